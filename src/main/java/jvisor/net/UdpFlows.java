package jvisor.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;

/**
 * UDP through host sockets: each (guest port, remote address, remote port) gets a connected
 * {@link DatagramChannel}; datagrams go out through it and replies come back to the guest as if
 * from the remote address. Queries to 10.0.2.3:53 go to the host's resolver, so DNS is a relay
 * like any other flow. Idle flows close after a minute (DNS after ten seconds). Replies larger
 * than one Ethernet frame are dropped: the network does not fragment.
 */
final class UdpFlows {
    private static final long IDLE = 60_000, DNS_IDLE = 10_000;
    private static final int MAX_PAYLOAD = 1500 - 20 - 8, MAX_FLOWS = 1024;

    record Key(int guestPort, int remoteIp, int remotePort) {}

    /** One flow's socket. */
    static final class Flow {
        final Key key;
        final DatagramChannel channel;
        long lastUsed;

        Flow(Key key, DatagramChannel channel) {
            this.key = key;
            this.channel = channel;
        }
    }

    private final UserNetwork net;
    private final Map<Key, Flow> flows = new HashMap<>();
    private final ByteBuffer buffer = ByteBuffer.allocate(65536);

    UdpFlows(UserNetwork net) { this.net = net; }

    /** The guest sent {@code len} bytes at {@code at} from {@code guestPort} to {@code ip:port}. */
    void send(int guestPort, int ip, int port, byte[] f, int at, int len) {
        if (len < 0 || port == 0 || (ip & 0xff) == 0xff) return;
        Key key = new Key(guestPort, ip, port);
        Flow flow = flows.get(key);
        try {
            if (flow == null) {
                InetSocketAddress target = ip == UserNetwork.DNS
                        ? (port == 53 ? net.resolver() : null)
                        : new InetSocketAddress(UserNetwork.hostAddress(ip), port);
                if (target == null || flows.size() >= MAX_FLOWS) return;
                DatagramChannel ch = DatagramChannel.open();
                ch.configureBlocking(false);
                ch.connect(target);
                flow = new Flow(key, ch);
                ch.register(net.selector(), SelectionKey.OP_READ, flow);
                flows.put(key, flow);
            }
            flow.lastUsed = net.now();
            flow.channel.write(ByteBuffer.wrap(f, at, len));
        } catch (IOException e) {
            if (flow != null) close(flow);
        }
    }

    /** Replies arrived on a flow's socket. */
    void ready(Flow flow) {
        try {
            while (true) {
                buffer.clear();
                if (flow.channel.receive(buffer) == null) return;
                buffer.flip();
                flow.lastUsed = net.now();
                if (buffer.remaining() > MAX_PAYLOAD) continue;
                net.toGuest(Packets.udp(net.guestMac(), UserNetwork.GATEWAY_MAC, flow.key.remoteIp(), flow.key.remotePort(),
                        net.guestIp(), flow.key.guestPort(), buffer.array(), 0, buffer.remaining(), net.ipId()));
            }
        } catch (IOException e) {
            close(flow); // e.g. ICMP port unreachable on a connected socket
        }
    }

    void expire(long now) {
        for (Flow f : new ArrayList<>(flows.values())) {
            long idle = f.key.remoteIp() == UserNetwork.DNS ? DNS_IDLE : IDLE;
            if (now - f.lastUsed > idle) close(f);
        }
    }

    private void close(Flow f) {
        flows.remove(f.key, f);
        try {
            f.channel.close();
        } catch (IOException e) {
            // gone anyway
        }
    }

    void closeAll() {
        for (Flow f : new ArrayList<>(flows.values())) close(f);
    }
}
