package jvisor.devices.virtio;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import jvisor.net.GuestPort;
import jvisor.net.NetBackend;
import jvisor.net.Packets;
import jvisor.net.Packets.Mac;

/**
 * Network device (virtio 1.2 §5.1) plugged into a {@link NetBackend}. Every packet in either
 * direction is a 12-byte header followed by an Ethernet frame:
 *
 * <pre>
 *   queue 0  receiveq1   writable buffers the device fills with frames for the guest
 *   queue 1  transmitq1  readable frames from the guest
 *   header   u8 flags (1 NEEDS_CSUM, 2 DATA_VALID); u8 gso_type (0 none, 1 TCPv4); le16 hdr_len;
 *            le16 gso_size; le16 csum_start; le16 csum_offset; le16 num_buffers
 *   config   0 u8 mac[6] · 6 le16 status (1 = link up) · 8 le16 max_virtqueue_pairs
 * </pre>
 *
 * Offloads (§5.1.6.2, §5.1.6.4) spare the emulated guest most of its per-packet work: with
 * CSUM and HOST_TSO4 it may send TCP segments of up to 64 KiB with unfinished checksums (the
 * backend terminates TCP, so nothing needs finishing); with GUEST_CSUM and GUEST_TSO4 it takes
 * TCP frames of up to 64 KiB in one receive (the backend asks through
 * {@link GuestPort#largeReceive}) and skips checking checksums of frames marked DATA_VALID.
 * Without MRG_RXBUF, Linux then posts receive buffers big enough for such frames. Frames wait
 * (up to {@link #PENDING}) for receive buffers; beyond that they are dropped, as a full NIC would.
 */
public final class VirtioNet extends QueueDevice {
    private static final int RX = 0, TX = 1;
    static final int F_CSUM = 0, F_GUEST_CSUM = 1, F_MAC = 5, F_GUEST_TSO4 = 7, F_HOST_TSO4 = 11, F_STATUS = 16;
    static final int HEADER = 12, MAX_PACKET = HEADER + 14 + 65535, PENDING = 4096;
    static final int HDR_NEEDS_CSUM = 1, HDR_DATA_VALID = 2, GSO_TCPV4 = 1;

    private record Frame(byte[] bytes, int segmentSize) {}

    private final NetBackend backend;
    private final Mac mac;
    private final ConcurrentLinkedQueue<Frame> pending = new ConcurrentLinkedQueue<>();
    private final AtomicInteger pendingCount = new AtomicInteger();
    private final AtomicBoolean delivering = new AtomicBoolean();
    private volatile boolean largeReceive;
    private boolean checksumsValid;
    private long dropped;
    /**
     * Ethernet frames (without the virtio header) given to the guest and taken from it, for
     * statistics; a large (TSO) frame counts once. Written only by the worker thread (so a
     * volatile store, no atomic update or lock); read by any thread.
     */
    private volatile long rxPackets, rxBytes, txPackets, txBytes;

    public VirtioNet(NetBackend backend, Mac mac) {
        super("virtio-net " + mac, 2);
        this.backend = backend;
        this.mac = mac;
        backend.start(new GuestPort() {
            @Override public void receive(byte[] frame, int segmentSize) { fromBackend(frame, segmentSize); }
            @Override public boolean largeReceive() { return largeReceive; }
        });
    }

    @Override public int deviceId() { return NET; }

    @Override
    public long features() {
        return 1L << F_CSUM | 1L << F_GUEST_CSUM | 1L << F_MAC | 1L << F_GUEST_TSO4 | 1L << F_HOST_TSO4 | 1L << F_STATUS;
    }

    @Override
    public byte[] config() {
        byte[] c = new byte[12];
        mac.put(c, 0);
        c[6] = 1;  // VIRTIO_NET_S_LINK_UP
        c[8] = 1;  // one queue pair
        return c;
    }

    /**
     * Header bytes before each frame: 12 for modern drivers, 10 for one that did not accept
     * VERSION_1 (the legacy header has no num_buffers without MRG_RXBUF, virtio 1.2 §5.1.6.1).
     */
    private int headerLength = HEADER;

    @Override
    protected void activated() {
        headerLength = negotiated(F_VERSION_1) ? HEADER : HEADER - 2;
        checksumsValid = negotiated(F_GUEST_CSUM);
        largeReceive = checksumsValid && negotiated(F_GUEST_TSO4);
    }

    /** A frame for the guest (backend thread). */
    private void fromBackend(byte[] frame, int segmentSize) {
        if (pendingCount.incrementAndGet() > PENDING) {
            pendingCount.decrementAndGet();
            dropped++;
            return;
        }
        pending.add(new Frame(frame, segmentSize));
        if (!delivering.getAndSet(true)) submit(this::deliver);
    }

    @Override
    protected void service(int q) throws VirtqueueException {
        if (q == RX) deliver();
        else if (q == TX) drain(TX, chain -> {
            byte[] packet = chain.readAll(MAX_PACKET);
            if (packet != null && packet.length > headerLength) {
                backend.fromGuest(java.util.Arrays.copyOfRange(packet, headerLength, packet.length));
                txBytes += packet.length - headerLength; // one writer: this thread
                txPackets++;
            }
        });
    }

    /** Moves waiting frames into the guest's receive buffers while there are both. */
    private void deliver() throws VirtqueueException {
        delivering.set(false);
        Virtqueue rx = queues[RX];
        if (!rx.started()) return;
        boolean used = false;
        Frame frame;
        while ((frame = pending.peek()) != null) {
            Chain c = rx.pop();
            if (c == null) {
                if (rx.rearm()) continue;
                break;
            }
            pending.poll();
            pendingCount.decrementAndGet();
            byte[] f = frame.bytes;
            if (c.writable() >= headerLength + f.length && (frame.segmentSize == 0 || largeReceive)) {
                c.write(java.util.Arrays.copyOf(header(f, frame.segmentSize), headerLength));
                c.write(f);
                rxBytes += f.length; // one writer: this thread
                rxPackets++;
            } else {
                dropped++; // bigger than the guest's buffer: it reads an empty one
            }
            rx.push(c);
            used = true;
        }
        if (used) signal(RX);
    }

    /** The virtio-net header for a frame from the backend (whose checksums are complete unless it is a large one). */
    private byte[] header(byte[] f, int segmentSize) {
        byte[] h = new byte[HEADER];
        h[10] = 1; // num_buffers
        boolean ipv4 = f.length >= Packets.ETH + 20 && (f[12] & 0xff) == 0x08 && f[13] == 0;
        if (segmentSize > 0 && ipv4) {
            int tcp = Packets.ETH + (f[Packets.ETH] & 0x0f) * 4;
            int hdrLen = tcp + ((f[tcp + 12] & 0xff) >>> 4) * 4;
            h[0] = HDR_NEEDS_CSUM;
            h[1] = GSO_TCPV4;
            put16(h, 2, hdrLen);
            put16(h, 4, segmentSize);
            put16(h, 6, tcp);
            put16(h, 8, 16); // the TCP checksum field
        } else if (checksumsValid && ipv4) {
            h[0] = HDR_DATA_VALID;
        }
        return h;
    }

    private static void put16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }

    /** Frames dropped because the guest was not taking them. */
    public long dropped() { return dropped; }

    /** The guest's MAC address. */
    public Mac mac() { return mac; }

    /** Frames delivered to the guest since the device was made. */
    public long rxPackets() { return rxPackets; }

    /** Bytes of the frames delivered to the guest (Ethernet header and payload). */
    public long rxBytes() { return rxBytes; }

    /** Frames the guest sent. */
    public long txPackets() { return txPackets; }

    /** Bytes of the frames the guest sent (Ethernet header and payload). */
    public long txBytes() { return txBytes; }

    @Override
    protected void resetState() {
        largeReceive = false;
        pending.clear();
        pendingCount.set(0);
    }

    @Override
    protected void closeBackend() { backend.close(); }

    @Override
    public void handOver() { backend.handOver(); }

    @Override
    public void reclaim() throws java.io.IOException { backend.reclaim(); }
}
