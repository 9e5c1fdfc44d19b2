/**
 * Paravirtual I/O: virtio 1.2 devices on the virtio-mmio transport (issue 6).
 *
 * <p>Reading order, as in lguest: {@link jvisor.devices.virtio.VirtioMmio} is the register file
 * the guest's driver talks to (one per board slot, DESIGN §2); it negotiates features, collects
 * the queue layout and starts a {@link jvisor.devices.virtio.VirtioDevice}, which knows nothing of
 * MMIO. Each queue is a {@link jvisor.devices.virtio.Virtqueue} (split ring, event index), whose
 * {@code pop} returns a checked {@link jvisor.devices.virtio.Chain} of guest buffers, or a
 * {@link jvisor.devices.virtio.VirtqueueException} that stops the device with DEVICE_NEEDS_RESET.
 * {@link jvisor.devices.virtio.QueueDevice} gives every device a worker thread, so no I/O runs
 * on a hart; completions raise the slot's PLIC line through
 * {@link jvisor.devices.virtio.VirtioInterrupt}.
 *
 * <p>Then one device per file: {@link jvisor.devices.virtio.VirtioRng} (the simplest),
 * {@link jvisor.devices.virtio.VirtioConsole}, {@link jvisor.devices.virtio.VirtioBlock} (over
 * {@link jvisor.storage}), {@link jvisor.devices.virtio.VirtioNet} (over {@link jvisor.net}) and
 * {@link jvisor.devices.virtio.Virtio9p} (over {@link jvisor.share}).
 */
package jvisor.devices.virtio;
