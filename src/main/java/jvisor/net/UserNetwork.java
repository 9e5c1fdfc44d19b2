package jvisor.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import jvisor.net.Packets.Mac;

/**
 * User-mode networking, the shape of QEMU's slirp: the guest sits alone on 10.0.2.0/24 behind a
 * NAT that is really a set of host sockets, so it needs no privileges.
 *
 * <pre>
 *   10.0.2.15  the guest (offered by DHCP)
 *   10.0.2.2   the gateway; connections to it reach the host's 127.0.0.1
 *   10.0.2.3   the DNS server: queries are relayed to the host's resolver
 * </pre>
 *
 * Frames from the guest are ARP (answered for every address but the guest's), ICMP echo to the
 * gateway or DNS address (answered), DHCP ({@link DhcpServer}), UDP ({@link UdpFlows}) and TCP
 * ({@link TcpFlow}); the rest is dropped. Host forwards ({@link HostForward}) accept host
 * connections and open them to the guest. Everything runs on one thread around a
 * {@link Selector}; {@link #fromGuest} only queues a frame and wakes it.
 */
public final class UserNetwork implements NetBackend {
    public static final int NETWORK = Packets.ip("10.0.2.0"), GUEST = Packets.ip("10.0.2.15"),
            GATEWAY = Packets.ip("10.0.2.2"), DNS = Packets.ip("10.0.2.3");
    public static final Mac GATEWAY_MAC = new Mac(0x5255_0a00_0202L);
    static final long TICK = 20;
    /** Most TCP connections at once: a guest cannot use up the host's sockets. */
    static final int MAX_TCP = 4096;

    private final List<HostForward> forwards;
    private final InetSocketAddress resolver;
    private final Selector selector;
    private final ConcurrentLinkedQueue<byte[]> incoming = new ConcurrentLinkedQueue<>();
    /** Work for the network thread from other threads (it owns the selector). */
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final Map<TcpFlow.Key, TcpFlow> tcp = new HashMap<>();
    private final Set<TcpFlow> acks = new LinkedHashSet<>();
    private final UdpFlows udp;
    private final DhcpServer dhcp = new DhcpServer();
    private GuestPort port = (f, segment) -> { };
    private Mac guestMac;
    private int ipId, nextPort = 49152;
    private long now;
    private volatile boolean closed;
    private Thread thread;

    /**
     * A network with these host forwards (their listening sockets are bound at once, so a taken
     * port is reported here) and DNS relayed to {@code resolver} (null: the host's first
     * nameserver from /etc/resolv.conf).
     */
    public UserNetwork(List<HostForward> forwards, InetSocketAddress resolver, Mac guestMac) throws IOException {
        this.forwards = List.copyOf(forwards);
        this.resolver = resolver != null ? resolver : HostResolver.first();
        this.guestMac = guestMac;
        this.selector = Selector.open();
        this.udp = new UdpFlows(this);
        try {
            for (HostForward f : this.forwards) f.bind(selector);
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    @Override
    public synchronized void start(GuestPort port) {
        this.port = port;
        if (thread == null) thread = Thread.ofPlatform().name("jvisor-net").daemon().start(this::loop);
    }

    @Override
    public void fromGuest(byte[] frame) {
        incoming.add(frame);
        if (!wakeupPending.getAndSet(true)) selector.wakeup();
    }

    // ---- what flows use ----

    Selector selector() { return selector; }
    long now() { return now; }
    int guestIp() { return GUEST; }
    Mac guestMac() { return guestMac; }
    int ipId() { return ipId++ & 0xffff; }
    void toGuest(byte[] frame) { port.receive(frame, 0); }
    void toGuest(byte[] frame, int segmentSize) { port.receive(frame, segmentSize); }
    boolean largeSegments() { return port.largeReceive(); }
    void needsAck(TcpFlow f) { acks.add(f); }
    void closed(TcpFlow f) { tcp.remove(f.key, f); }
    InetSocketAddress resolver() { return resolver; }

    /** The host address the guest means by {@code ip}: the gateway is the host's loopback. */
    static InetAddress hostAddress(int ip) throws IOException {
        if (ip == GATEWAY) return InetAddress.getLoopbackAddress();
        return InetAddress.getByAddress(new byte[] {(byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip});
    }

    // ---- the loop ----

    private void loop() {
        long lastTick = 0;
        while (!closed) {
            try {
                selector.select(TICK);
                now = System.nanoTime() / 1_000_000;
                for (SelectionKey k : selector.selectedKeys()) {
                    if (!k.isValid()) continue;
                    switch (k.attachment()) {
                        case TcpFlow f -> f.ready(k);
                        case HostForward h -> accept(h);
                        case UdpFlows.Flow u -> udp.ready(u);
                        default -> { }
                    }
                }
                selector.selectedKeys().clear();
                wakeupPending.set(false);
                byte[] frame;
                while ((frame = incoming.poll()) != null) frame(frame);
                Runnable task;
                while ((task = tasks.poll()) != null) task.run();
                for (TcpFlow f : acks) f.flushAck();
                acks.clear();
                if (now - lastTick >= TICK) {
                    lastTick = now;
                    for (TcpFlow f : new ArrayList<>(tcp.values())) f.tick(now);
                    udp.expire(now);
                }
            } catch (IOException | RuntimeException e) {
                if (!closed) System.err.println("jvisor: user network: " + e);
            }
        }
    }

    private void frame(byte[] f) {
        if (f.length < Packets.ETH) return;
        Mac src = Mac.of(f, 6);
        if ((src.value() >>> 40 & 1) == 0) guestMac = src; // the guest's unicast address
        switch (Packets.u16(f, 12)) {
            case Packets.ETH_ARP -> arp(f);
            case Packets.ETH_IPV4 -> ipv4(f);
            default -> { }
        }
    }

    /** ARP (RFC 826): whoever the guest asks for, except itself, is the gateway's MAC. */
    private void arp(byte[] f) {
        int a = Packets.ETH;
        if (f.length < a + 28 || Packets.u16(f, a + 6) != 1) return; // requests only
        int target = Packets.u32(f, a + 24);
        if (target == Packets.u32(f, a + 14) || (target & 0xffffff00) != NETWORK || target == GUEST) return;
        byte[] r = new byte[Packets.ETH + 28];
        guestMac.put(r, 0);
        GATEWAY_MAC.put(r, 6);
        Packets.put16(r, 12, Packets.ETH_ARP);
        System.arraycopy(f, a, r, a, 6); // hardware and protocol types and sizes
        Packets.put16(r, a + 6, 2);
        GATEWAY_MAC.put(r, a + 8);
        Packets.put32(r, a + 14, target);
        System.arraycopy(f, a + 8, r, a + 18, 10); // the asker's MAC and IP
        toGuest(r);
    }

    private void ipv4(byte[] f) {
        int ip = Packets.ETH;
        if (f.length < ip + 20 || (f[ip] & 0xf0) != 0x40) return;
        int hl = (f[ip] & 0x0f) * 4;
        int total = Packets.u16(f, ip + 2);
        if (hl < 20 || total < hl || ip + total > f.length) return;
        if ((Packets.u16(f, ip + 6) & 0x3fff) != 0) return; // fragments are not reassembled
        int src = Packets.u32(f, ip + 12), dst = Packets.u32(f, ip + 16);
        int l4 = ip + hl, len = total - hl;
        switch (f[ip + 9]) {
            case Packets.IP_TCP -> tcp(f, src, dst, l4, len);
            case Packets.IP_UDP -> {
                if (len < 8) return;
                int dstPort = Packets.u16(f, l4 + 2);
                if (dstPort == DhcpServer.SERVER_PORT) {
                    byte[] reply = dhcp.answer(f, l4 + 8, len - 8);
                    if (reply != null) toGuest(Packets.udp(Mac.BROADCAST, GATEWAY_MAC, GATEWAY, DhcpServer.SERVER_PORT,
                            0xffffffff, DhcpServer.CLIENT_PORT, reply, 0, reply.length, ipId()));
                } else if (src == GUEST) {
                    udp.send(Packets.u16(f, l4), dst, dstPort, f, l4 + 8, Math.min(len, Packets.u16(f, l4 + 4)) - 8);
                }
            }
            case Packets.IP_ICMP -> icmp(f, src, dst, l4, len);
            default -> { }
        }
    }

    /** Echo requests to the gateway and DNS addresses get their reply (ping works for them). */
    private void icmp(byte[] f, int src, int dst, int l4, int len) {
        if (len < 8 || f[l4] != 8 || (dst != GATEWAY && dst != DNS)) return;
        byte[] r = new byte[Packets.ETH + 20 + len];
        int p = Packets.ipHeader(r, guestMac, GATEWAY_MAC, dst, src, Packets.IP_ICMP, len, ipId());
        System.arraycopy(f, l4, r, p, len);
        r[p] = 0; // echo reply
        r[p + 2] = r[p + 3] = 0;
        Packets.put16(r, p + 2, Packets.fold(Packets.sum(r, p, len, 0)));
        toGuest(r);
    }

    private void tcp(byte[] f, int src, int dst, int t, int len) {
        if (len < 20 || src != GUEST) return;
        int hl = ((f[t + 12] & 0xff) >>> 4) * 4;
        if (hl < 20 || hl > len) return;
        TcpFlow.Key key = new TcpFlow.Key(Packets.u16(f, t), dst, Packets.u16(f, t + 2));
        TcpFlow flow = tcp.get(key);
        int flags = f[t + 13] & 0x3f;
        if (flow == null) {
            if ((flags & (Packets.TCP_SYN | Packets.TCP_ACK)) == Packets.TCP_SYN && dst != DNS && (dst & 0xff) != 0xff
                    && tcp.size() < MAX_TCP) {
                try {
                    InetSocketAddress target = new InetSocketAddress(hostAddress(dst), key.remotePort());
                    tcp.put(key, TcpFlow.outbound(this, key, f, t, target));
                } catch (IOException e) {
                    refuse(f, t, len - hl, key);
                }
            } else if ((flags & Packets.TCP_RST) == 0) {
                refuse(f, t, len - hl, key);
            }
            return;
        }
        flow.segment(f, t, t + hl, len - hl);
    }

    /** RST for a segment no flow wants (RFC 793 "Reset Generation"). */
    private void refuse(byte[] f, int t, int dataLen, TcpFlow.Key key) {
        int flags = f[t + 13] & 0x3f;
        int seq = Packets.u32(f, t + 4), ack = Packets.u32(f, t + 8);
        boolean hasAck = (flags & Packets.TCP_ACK) != 0;
        int respSeq = hasAck ? ack : 0;
        int respAck = seq + dataLen + ((flags & Packets.TCP_SYN) != 0 ? 1 : 0) + ((flags & Packets.TCP_FIN) != 0 ? 1 : 0);
        toGuest(Packets.tcp(guestMac, GATEWAY_MAC, key.remoteIp(), key.remotePort(), GUEST, key.guestPort(), respSeq, respAck,
                Packets.TCP_RST | (hasAck ? 0 : Packets.TCP_ACK), 0, new byte[0], null, 0, ipId(), false));
    }

    /** A host connection on a forward: it becomes a connection from the gateway to the guest's port. */
    private void accept(HostForward h) throws IOException {
        SocketChannel c;
        while ((c = h.accept()) != null) {
            TcpFlow.Key key;
            do {
                nextPort = nextPort >= 65535 ? 49152 : nextPort + 1;
                key = new TcpFlow.Key(h.guestPort(), GATEWAY, nextPort);
            } while (tcp.containsKey(key));
            tcp.put(key, TcpFlow.inbound(this, key, c));
        }
    }

    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (TcpFlow f : new ArrayList<>(tcp.values())) f.close();
        udp.closeAll();
        for (HostForward f : forwards) f.close();
        try {
            selector.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }

    /**
     * Closes the forwards' listening sockets on the network thread, which then selects once: a
     * channel registered with a selector keeps its port until the selector lets go of its key.
     */
    @Override
    public void handOver() {
        Runnable release = () -> {
            for (HostForward f : forwards) f.close();
            try {
                selector.selectNow();
            } catch (IOException e) {
                System.err.println("jvisor: user network: " + e);
            }
        };
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t == null) {
            release.run();
            return;
        }
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        tasks.add(() -> {
            release.run();
            done.complete(null);
        });
        selector.wakeup();
        try {
            done.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            System.err.println("jvisor: user network: the host forwards did not let go of their ports: " + e);
        }
    }

    /**
     * Listens again on every forward's port; a port still held (by a destination that took the
     * VM and is letting it go) is tried again for a few seconds.
     */
    @Override
    public void reclaim() throws IOException {
        for (HostForward f : forwards) {
            long deadline = System.nanoTime() + RECLAIM_PATIENCE.toNanos();
            while (true) {
                try {
                    f.bind(selector);
                    break;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) throw e;
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException i) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
        }
        selector.wakeup();
    }

    private static final java.time.Duration RECLAIM_PATIENCE = java.time.Duration.ofSeconds(5);

    /** The forwards' bound addresses, for messages and tests. */
    public List<InetSocketAddress> forwardAddresses() {
        List<InetSocketAddress> out = new ArrayList<>();
        for (HostForward f : forwards) out.add(f.boundAddress());
        return out;
    }
}
