package jvisor.net;

/** Where a network backend hands frames to the guest's network card; callable from the backend's thread. */
public interface GuestPort {
    /**
     * A frame for the guest. {@code segmentSize} > 0 marks a TCP/IPv4 frame larger than the MTU
     * whose TCP checksum holds only the pseudo-header sum: the card hands it on as one large
     * receive (TSO) to be seen as segments of that size.
     */
    void receive(byte[] frame, int segmentSize);

    /** Whether the guest takes such large TCP frames now (virtio-net GUEST_TSO4 negotiated). */
    default boolean largeReceive() { return false; }
}
