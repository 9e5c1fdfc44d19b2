package jvisor.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import jvisor.net.Packets.Mac;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The user-mode network driven by frames a test "guest" builds by hand: ARP, DHCP, ping, and TCP
 * both ways (out to a server on 127.0.0.1 through 10.0.2.2, and in through a host forward).
 */
class UserNetworkTest {
    static final Mac GUEST_MAC = new Mac(0x5254_0012_3456L);
    final LinkedBlockingQueue<byte[]> toGuest = new LinkedBlockingQueue<>();
    UserNetwork net;
    int ipId;

    UserNetwork start(List<HostForward> forwards) throws Exception {
        net = new UserNetwork(forwards, null, GUEST_MAC);
        net.start((frame, segment) -> toGuest.add(frame));
        return net;
    }

    @AfterEach
    void stop() {
        if (net != null) net.close();
    }

    byte[] next() throws InterruptedException {
        byte[] f = toGuest.poll(5, TimeUnit.SECONDS);
        assertNotNull(f, "a frame for the guest");
        assertTrue(Mac.of(f, 0).equals(GUEST_MAC) || Mac.of(f, 0).equals(Mac.BROADCAST), "addressed to the guest");
        return f;
    }

    /** The next TCP segment for the guest, with valid checksums. */
    byte[] nextTcp() throws InterruptedException {
        while (true) {
            byte[] f = next();
            if (Packets.u16(f, 12) == Packets.ETH_IPV4 && f[Packets.ETH + 9] == Packets.IP_TCP) {
                int total = Packets.u16(f, Packets.ETH + 2);
                assertEquals(0, Packets.fold(Packets.sum(f, Packets.ETH, 20, 0)) & 0xffff, "IP checksum");
                assertEquals(0, Packets.l4Checksum(f, Packets.ETH, Packets.ETH + 20, total - 20, Packets.IP_TCP), "TCP checksum");
                return f;
            }
        }
    }

    static final int T = Packets.ETH + 20;

    static int flags(byte[] f) { return f[T + 13] & 0x3f; }
    static int seq(byte[] f) { return Packets.u32(f, T + 4); }
    static int ack(byte[] f) { return Packets.u32(f, T + 8); }
    static String payload(byte[] f) {
        int hl = ((f[T + 12] & 0xff) >>> 4) * 4;
        int total = Packets.u16(f, Packets.ETH + 2);
        return new String(f, T + hl, total - 20 - hl, StandardCharsets.ISO_8859_1);
    }

    void guestTcp(int srcPort, int dst, int dstPort, int seq, int ack, int flags, String data) {
        byte[] d = data.getBytes(StandardCharsets.ISO_8859_1);
        byte[] opts = (flags & Packets.TCP_SYN) != 0 ? new byte[] {2, 4, 0x05, (byte) 0xb4, 1, 3, 3, 7} : new byte[0];
        net.fromGuest(Packets.tcp(UserNetwork.GATEWAY_MAC, GUEST_MAC, UserNetwork.GUEST, srcPort, dst, dstPort, seq, ack,
                flags, 0xffff, opts, ByteBuffer.wrap(d), d.length, ipId++, false));
    }

    @Test
    void answersArpForEveryoneButTheGuest() throws Exception {
        start(List.of());
        byte[] req = new byte[42];
        Mac.BROADCAST.put(req, 0);
        GUEST_MAC.put(req, 6);
        Packets.put16(req, 12, Packets.ETH_ARP);
        byte[] arp = {0, 1, 8, 0, 6, 4, 0, 1};
        System.arraycopy(arp, 0, req, 14, 8);
        GUEST_MAC.put(req, 22);
        Packets.put32(req, 28, UserNetwork.GUEST);
        Packets.put32(req, 38, UserNetwork.GATEWAY);
        net.fromGuest(req);
        byte[] r = next();
        assertEquals(2, Packets.u16(r, 20), "ARP reply");
        assertEquals(UserNetwork.GATEWAY_MAC, Mac.of(r, 22));
        assertEquals(UserNetwork.GATEWAY, Packets.u32(r, 28));
    }

    @Test
    void dhcpOffersTheGuestAddress() throws Exception {
        start(List.of());
        byte[] bootp = new byte[300];
        bootp[0] = 1;
        Packets.put32(bootp, 4, 0x1234abcd);
        GUEST_MAC.put(bootp, 28);
        Packets.put32(bootp, 236, 0x63825363);
        bootp[240] = 53;
        bootp[241] = 1;
        bootp[242] = 1; // DISCOVER
        bootp[243] = (byte) 255;
        net.fromGuest(Packets.udp(Mac.BROADCAST, GUEST_MAC, 0, 68, 0xffffffff, 67, bootp, 0, bootp.length, 1));
        byte[] r = next();
        int b = Packets.ETH + 28;
        assertEquals(2, r[b], "BOOTREPLY");
        assertEquals(0x1234abcd, Packets.u32(r, b + 4));
        assertEquals(UserNetwork.GUEST, Packets.u32(r, b + 16));
        assertEquals(2, r[b + 242], "OFFER");
    }

    @Test
    void tcpOutToTheHostLoopbackAndBack() throws Exception {
        start(List.of());
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            guestTcp(40000, UserNetwork.GATEWAY, port, 1000, 0, Packets.TCP_SYN, "");
            Socket s = server.accept();
            byte[] synAck = nextTcp();
            assertEquals(Packets.TCP_SYN | Packets.TCP_ACK, flags(synAck));
            assertEquals(1001, ack(synAck));
            int their = seq(synAck) + 1;
            guestTcp(40000, UserNetwork.GATEWAY, port, 1001, their, Packets.TCP_ACK | Packets.TCP_PSH, "hello");
            byte[] buf = new byte[5];
            InputStream in = s.getInputStream();
            assertEquals(5, in.readNBytes(buf, 0, 5));
            assertEquals("hello", new String(buf, StandardCharsets.US_ASCII));
            assertEquals(1006, ack(nextTcp()), "data acknowledged");

            OutputStream out = s.getOutputStream();
            out.write("world".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] data = nextTcp();
            assertEquals("world", payload(data));
            assertEquals(their, seq(data));
            guestTcp(40000, UserNetwork.GATEWAY, port, 1006, their + 5, Packets.TCP_ACK, "");

            s.shutdownOutput();
            byte[] fin = nextTcp();
            assertTrue((flags(fin) & Packets.TCP_FIN) != 0);
            guestTcp(40000, UserNetwork.GATEWAY, port, 1006, their + 6, Packets.TCP_ACK | Packets.TCP_FIN, "");
            assertEquals(-1, in.read(), "the guest's FIN closes the host side");
            s.close();
        }
    }

    @Test
    void closedPortsAnswerReset() throws Exception {
        start(List.of());
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        guestTcp(40001, UserNetwork.GATEWAY, port, 5000, 0, Packets.TCP_SYN, "");
        byte[] rst = nextTcp();
        assertTrue((flags(rst) & Packets.TCP_RST) != 0);
        assertEquals(5001, ack(rst));
    }

    @Test
    void hostForwardOpensAConnectionToTheGuest() throws Exception {
        start(List.of(HostForward.parse("tcp:127.0.0.1:0-:8080")));
        InetSocketAddress fwd = net.forwardAddresses().getFirst();
        assertEquals(InetAddress.getLoopbackAddress(), fwd.getAddress(), "loopback unless asked otherwise");
        try (Socket client = new Socket(fwd.getAddress(), fwd.getPort())) {
            byte[] syn = nextTcp();
            assertEquals(Packets.TCP_SYN, flags(syn));
            assertEquals(8080, Packets.u16(syn, T + 2));
            int from = Packets.u16(syn, T);
            int ours = seq(syn) + 1;
            guestTcp(8080, UserNetwork.GATEWAY, from, 9000, ours, Packets.TCP_SYN | Packets.TCP_ACK, "");
            assertEquals(Packets.TCP_ACK, flags(nextTcp()) & Packets.TCP_ACK);
            guestTcp(8080, UserNetwork.GATEWAY, from, 9001, ours, Packets.TCP_ACK | Packets.TCP_PSH, "served by the guest");
            byte[] buf = client.getInputStream().readNBytes(19);
            assertEquals("served by the guest", new String(buf, StandardCharsets.US_ASCII));
        }
    }

    /**
     * A live migration's hand-over: the network lets go of its forwarded port (another process
     * on this machine, the destination, can listen there), and takes the same port back when the
     * VM stays; connections on it reach the guest again.
     */
    @Test
    void aForwardLetsGoOfItsPortAndTakesItBack() throws Exception {
        start(List.of(HostForward.parse("tcp:127.0.0.1:0-:8080")));
        InetSocketAddress fwd = net.forwardAddresses().getFirst();
        net.handOver();
        try (ServerSocket destination = new ServerSocket()) {
            destination.bind(fwd);
        }
        net.reclaim();
        assertEquals(fwd, net.forwardAddresses().getFirst(), "the same port");
        try (Socket client = new Socket(fwd.getAddress(), fwd.getPort())) {
            byte[] syn = nextTcp();
            assertEquals(Packets.TCP_SYN, flags(syn));
            assertEquals(8080, Packets.u16(syn, T + 2));
        }
        net.handOver();
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(fwd);
            IOException e = assertThrows(IOException.class, net::reclaim, "another program holds the port");
            assertTrue(e.getMessage().contains("cannot listen on " + fwd), e.getMessage());
        }
    }

    @Test
    void forwardSpecsParseLikeQemus() {
        HostForward f = HostForward.parse("tcp::2222-:22");
        assertEquals(22, f.guestPort());
        assertEquals(2, NetSpec.parse("user,hostfwd=tcp::1-:2,hostfwd=tcp:127.0.0.1:3-10.0.2.15:4").forwards().size());
        assertThrows(IllegalArgumentException.class, () -> NetSpec.parse("tap"));
        assertThrows(IllegalArgumentException.class, () -> HostForward.parse("tcp::80"));
        assertThrows(IllegalArgumentException.class, () -> HostForward.parse("tcp::80-:99999"));
        assertThrows(IllegalArgumentException.class, () -> HostForward.parse("tcp::80-10.0.2.16:80"));
    }
}
