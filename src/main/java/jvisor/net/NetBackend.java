package jvisor.net;

/**
 * What a network device is plugged into: it takes the guest's Ethernet frames and gives frames
 * back. {@link UserNetwork} is one; a switch between VMs would be another.
 */
public interface NetBackend extends AutoCloseable {
    /** Starts delivering frames for the guest to {@code port}. */
    void start(GuestPort port);

    /** A frame the guest sent (Ethernet header first); must not block. */
    void fromGuest(byte[] frame);

    /** Lets go of the host ports this backend listens on, for a live migration's destination ({@link jvisor.devices.virtio.VirtioDevice#handOver}). */
    default void handOver() { }

    /** Listens on the ports {@link #handOver} let go again. */
    default void reclaim() throws java.io.IOException { }

    @Override
    void close();
}
