package jvisor.devices.virtio;

/**
 * How an active device signals its driver (virtio 1.2 §2.3), given to it by the transport.
 * Callable from any thread.
 */
public interface VirtioInterrupt {
    /** Used buffers were added to some queue (§2.7.7 already decided the driver wants to hear). */
    void usedBuffers();

    /** The configuration space changed (§2.5): bumps the generation and interrupts. */
    void configChanged();

    /**
     * The driver broke the protocol (a malformed descriptor chain, a ring outside RAM) or the
     * device failed: sets DEVICE_NEEDS_RESET (§2.1) and sends a configuration change
     * notification. The device stays stopped until the driver resets it.
     */
    void needsReset(String why);
}
