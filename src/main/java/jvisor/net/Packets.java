package jvisor.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Ethernet II frames carrying IPv4 (RFC 791), UDP (RFC 768) and TCP (RFC 793) as the user-mode
 * network reads and writes them: field offsets, the Internet checksum (RFC 1071), and builders
 * for the frames it sends to the guest. Frames are plain {@code byte[]}, big-endian.
 *
 * <pre>
 *   Ethernet  0 dst MAC · 6 src MAC · 12 type (0x0800 IPv4, 0x0806 ARP)              14 bytes
 *   IPv4     +0 ver/ihl · 1 tos · 2 total length · 4 id · 6 flags/fragment · 8 ttl ·
 *            +9 protocol (1 ICMP, 6 TCP, 17 UDP) · 10 checksum · 12 src · 16 dst     20+ bytes
 *   UDP      +0 src port · 2 dst port · 4 length · 6 checksum                          8 bytes
 *   TCP      +0 src port · 2 dst port · 4 seq · 8 ack · 12 data offset/flags ·
 *            +14 window · 16 checksum · 18 urgent · 20 options                        20+ bytes
 * </pre>
 */
public final class Packets {
    public static final int ETH = 14, ETH_IPV4 = 0x0800, ETH_ARP = 0x0806;
    public static final int IP_ICMP = 1, IP_TCP = 6, IP_UDP = 17;
    public static final int TCP_FIN = 1, TCP_SYN = 2, TCP_RST = 4, TCP_PSH = 8, TCP_ACK = 16;

    private Packets() {}

    static int u8(byte[] b, int at) { return b[at] & 0xff; }

    static int u16(byte[] b, int at) { return (b[at] & 0xff) << 8 | b[at + 1] & 0xff; }

    static int u32(byte[] b, int at) { return u16(b, at) << 16 | u16(b, at + 2); }

    static void put16(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 8);
        b[at + 1] = (byte) v;
    }

    static void put32(byte[] b, int at, int v) {
        put16(b, at, v >>> 16);
        put16(b, at + 2, v);
    }

    /** One's-complement sum of {@code len} bytes from {@code at}, added to {@code sum} (not folded). */
    static long sum(byte[] b, int at, int len, long sum) {
        int i = at, end = at + len;
        for (; i + 1 < end; i += 2) sum += (b[i] & 0xff) << 8 | b[i + 1] & 0xff;
        if (i < end) sum += (b[i] & 0xff) << 8;
        return sum;
    }

    static int fold(long sum) {
        while ((sum >>> 16) != 0) sum = (sum & 0xffff) + (sum >>> 16);
        return (int) ~sum & 0xffff;
    }

    /** The IPv4 header checksum of the header at {@code ip}. */
    static int ipChecksum(byte[] b, int ip, int headerLen) {
        return fold(sum(b, ip, headerLen, 0) - u16(b, ip + 10));
    }

    /** TCP or UDP checksum over the pseudo header and {@code len} bytes of segment at {@code at}. */
    static int l4Checksum(byte[] b, int ip, int at, int len, int protocol) {
        long s = sum(b, ip + 12, 8, 0) + protocol + len;
        s = sum(b, at, len, s);
        return fold(s);
    }

    /** Writes Ethernet and IPv4 headers for a packet of {@code payload} bytes; returns the payload offset. */
    static int ipHeader(byte[] f, Mac dst, Mac src, int from, int to, int protocol, int payload, int id) {
        dst.put(f, 0);
        src.put(f, 6);
        put16(f, 12, ETH_IPV4);
        int ip = ETH;
        f[ip] = 0x45;
        put16(f, ip + 2, 20 + payload);
        put16(f, ip + 4, id);
        put16(f, ip + 6, 0x4000); // don't fragment
        f[ip + 8] = 64;
        f[ip + 9] = (byte) protocol;
        put32(f, ip + 12, from);
        put32(f, ip + 16, to);
        put16(f, ip + 10, ipChecksum(f, ip, 20));
        return ip + 20;
    }

    /** A UDP datagram in a frame. */
    static byte[] udp(Mac dst, Mac src, int from, int fromPort, int to, int toPort, byte[] data, int off, int len, int id) {
        byte[] f = new byte[ETH + 20 + 8 + len];
        int u = ipHeader(f, dst, src, from, to, IP_UDP, 8 + len, id);
        put16(f, u, fromPort);
        put16(f, u + 2, toPort);
        put16(f, u + 4, 8 + len);
        System.arraycopy(data, off, f, u + 8, len);
        int c = l4Checksum(f, ETH, u, 8 + len, IP_UDP);
        put16(f, u + 6, c == 0 ? 0xffff : c);
        return f;
    }

    /**
     * A TCP segment in a frame; {@code options} may be empty (length a multiple of 4). With
     * {@code partial} the checksum field holds only the pseudo-header sum, for a receiver that
     * completes it (virtio-net NEEDS_CSUM).
     */
    static byte[] tcp(Mac dst, Mac src, int from, int fromPort, int to, int toPort, int seq, int ack, int flags,
                      int window, byte[] options, ByteBuffer data, int len, int id, boolean partial) {
        int hl = 20 + options.length;
        byte[] f = new byte[ETH + 20 + hl + len];
        int t = ipHeader(f, dst, src, from, to, IP_TCP, hl + len, id);
        put16(f, t, fromPort);
        put16(f, t + 2, toPort);
        put32(f, t + 4, seq);
        put32(f, t + 8, ack);
        f[t + 12] = (byte) (hl / 4 << 4);
        f[t + 13] = (byte) flags;
        put16(f, t + 14, Math.min(window, 0xffff));
        System.arraycopy(options, 0, f, t + 20, options.length);
        if (len > 0) data.get(data.position(), f, t + hl, len);
        int checksum = partial ? ~fold(sum(f, ETH + 12, 8, 0) + IP_TCP + hl + len) & 0xffff : l4Checksum(f, ETH, t, hl + len, IP_TCP);
        put16(f, t + 16, checksum);
        return f;
    }

    /** IPv4 address as text. */
    public static String ip(int a) {
        return (a >>> 24) + "." + (a >>> 16 & 0xff) + "." + (a >>> 8 & 0xff) + "." + (a & 0xff);
    }

    /** Parses dotted IPv4 text. */
    public static int ip(String s) {
        String[] p = s.split("\\.");
        if (p.length != 4) throw new IllegalArgumentException("not an IPv4 address: " + s);
        int a = 0;
        for (String x : p) {
            int v = Integer.parseInt(x);
            if (v < 0 || v > 255) throw new IllegalArgumentException("not an IPv4 address: " + s);
            a = a << 8 | v;
        }
        return a;
    }

    /** A big-endian view for reading fields. */
    static ByteBuffer view(byte[] b) { return ByteBuffer.wrap(b).order(ByteOrder.BIG_ENDIAN); }

    /** A 48-bit Ethernet address. */
    public record Mac(long value) {
        public static final Mac BROADCAST = new Mac(0xffff_ffff_ffffL);

        public static Mac of(byte[] b, int at) {
            long v = 0;
            for (int i = 0; i < 6; i++) v = v << 8 | (b[at + i] & 0xff);
            return new Mac(v);
        }

        public void put(byte[] b, int at) {
            for (int i = 0; i < 6; i++) b[at + i] = (byte) (value >>> (8 * (5 - i)));
        }

        public byte[] bytes() {
            byte[] b = new byte[6];
            put(b, 0);
            return b;
        }

        @Override
        public String toString() {
            StringBuilder s = new StringBuilder();
            for (int i = 5; i >= 0; i--) s.append(String.format("%02x", value >>> (8 * i) & 0xff)).append(i > 0 ? ":" : "");
            return s.toString();
        }
    }
}
