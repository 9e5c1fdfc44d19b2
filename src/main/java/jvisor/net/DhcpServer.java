package jvisor.net;

/**
 * The DHCP server of the user-mode network (RFC 2131, options RFC 2132): whatever the guest
 * asks, it gets 10.0.2.15/24, gateway 10.0.2.2 and DNS 10.0.2.3, as with QEMU's slirp.
 *
 * <pre>
 *   BOOTP  0 op · 1 htype · 2 hlen · 4 xid · 8 secs · 10 flags · 12 ciaddr · 16 yiaddr ·
 *          20 siaddr · 24 giaddr · 28 chaddr[16] · 44 sname[64] · 108 file[128] ·
 *          236 magic 99.130.83.99 · 240 options (code, length, value)...
 * </pre>
 */
final class DhcpServer {
    static final int SERVER_PORT = 67, CLIENT_PORT = 68;
    static final int DISCOVER = 1, OFFER = 2, REQUEST = 3, ACK = 5;
    private static final int MAGIC = 0x63825363, LEASE_SECONDS = 86400;

    /** The reply to the BOOTP message at {@code at} ({@code len} bytes), or null if none is due. */
    byte[] answer(byte[] f, int at, int len) {
        if (len < 240 || f[at] != 1 || Packets.u32(f, at + 236) != MAGIC) return null;
        int type = 0;
        for (int p = at + 240; p < at + len; ) {
            int code = f[p] & 0xff;
            if (code == 255) break;
            if (code == 0) {
                p++;
                continue;
            }
            if (p + 1 >= at + len) break;
            int l = f[p + 1] & 0xff;
            if (code == 53 && l >= 1 && p + 2 < at + len) type = f[p + 2] & 0xff;
            p += 2 + l;
        }
        int reply = switch (type) {
            case DISCOVER -> OFFER;
            case REQUEST -> ACK;
            default -> 0;
        };
        if (reply == 0) return null;
        byte[] r = new byte[300];
        r[0] = 2; // BOOTREPLY
        r[1] = 1;
        r[2] = 6;
        System.arraycopy(f, at + 4, r, 4, 4); // xid
        System.arraycopy(f, at + 10, r, 10, 2); // flags
        Packets.put32(r, 16, UserNetwork.GUEST);
        Packets.put32(r, 20, UserNetwork.GATEWAY);
        System.arraycopy(f, at + 28, r, 28, 16); // chaddr
        Packets.put32(r, 236, MAGIC);
        int p = 240;
        r[p++] = 53;
        r[p++] = 1;
        r[p++] = (byte) reply;
        p = option(r, p, 54, UserNetwork.GATEWAY);
        p = option(r, p, 51, LEASE_SECONDS);
        p = option(r, p, 1, 0xffffff00);
        p = option(r, p, 3, UserNetwork.GATEWAY);
        p = option(r, p, 6, UserNetwork.DNS);
        r[p] = (byte) 255;
        return r;
    }

    private static int option(byte[] r, int p, int code, int value) {
        r[p] = (byte) code;
        r[p + 1] = 4;
        Packets.put32(r, p + 2, value);
        return p + 6;
    }
}
