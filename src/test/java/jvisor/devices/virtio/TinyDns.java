package jvisor.devices.virtio;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A DNS server for tests (RFC 1035), on 127.0.0.1: answers A queries for one name with one
 * address and anything else with NXDOMAIN. The user network relays the guest's queries to it.
 */
final class TinyDns implements AutoCloseable {
    private final DatagramSocket socket;
    private final String name;
    private final byte[] address;

    TinyDns(String name, byte[] address) throws IOException {
        this.name = name;
        this.address = address;
        this.socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("tiny-dns").start(this::serve);
    }

    InetSocketAddress address() { return (InetSocketAddress) socket.getLocalSocketAddress(); }

    private void serve() {
        byte[] buf = new byte[512];
        try {
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                byte[] reply = answer(buf, p.getLength());
                if (reply != null) socket.send(new DatagramPacket(reply, reply.length, p.getSocketAddress()));
            }
        } catch (IOException e) {
            // closed
        }
    }

    private byte[] answer(byte[] q, int len) {
        if (len < 12) return null;
        StringBuilder qname = new StringBuilder();
        int p = 12;
        while (p < len && q[p] != 0) {
            int l = q[p] & 0xff;
            if (p + 1 + l > len) return null;
            if (!qname.isEmpty()) qname.append('.');
            qname.append(new String(q, p + 1, l, StandardCharsets.US_ASCII));
            p += 1 + l;
        }
        int qend = p + 5; // zero label, qtype, qclass
        if (qend > len) return null;
        int qtype = (q[p + 1] & 0xff) << 8 | q[p + 2] & 0xff;
        boolean match = qname.toString().equalsIgnoreCase(name);
        boolean answer = match && qtype == 1;
        ByteBuffer r = ByteBuffer.allocate(qend + 16);
        r.put(q, 0, 2);
        r.putShort((short) (0x8180 | (match ? 0 : 3)));
        r.putShort((short) 1).putShort((short) (answer ? 1 : 0)).putShort((short) 0).putShort((short) 0);
        r.put(q, 12, qend - 12);
        if (answer) r.putShort((short) 0xc00c).putShort((short) 1).putShort((short) 1).putInt(60).putShort((short) 4).put(address);
        byte[] out = new byte[r.position()];
        r.flip().get(out);
        return out;
    }

    @Override
    public void close() { socket.close(); }
}
