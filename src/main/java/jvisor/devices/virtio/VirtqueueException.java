package jvisor.devices.virtio;

/**
 * The driver broke the virtqueue protocol: a descriptor outside RAM, a loop, a readable buffer
 * after a writable one, an index out of range. The device stops and asks for a reset
 * ({@link VirtioInterrupt#needsReset}); the host carries on.
 */
public final class VirtqueueException extends Exception {
    public VirtqueueException(String message) { super(message); }
}
