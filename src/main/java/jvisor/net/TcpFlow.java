package jvisor.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One TCP connection between the guest and a host socket: the user-mode network terminates the
 * guest's TCP here (RFC 793, simplified for a loss-free virtual link) and moves the bytes to and
 * from an ordinary {@link SocketChannel}, so no privileges are needed.
 *
 * <p>Outbound: the guest's SYN starts a non-blocking connect; success answers SYN-ACK, failure
 * RST. Inbound (a host forward): an accepted host connection sends the guest a SYN from the
 * gateway. Then bytes flow both ways through two buffers: guest data waits in {@code toHost}
 * (its free space is the window we advertise), host data waits in {@code toGuest} until the
 * guest acknowledges it (what was sent is resent from there after a timeout: go-back-N). We send
 * no more than the guest's window, probe a zero window, and pass each side's FIN on once the
 * buffered data has gone. All of it runs on the network thread.
 */
final class TcpFlow {
    static final int MSS = 1460, BUFFER = 256 * 1024, WSCALE = 3;
    /** Largest segment handed to a guest that takes large receives: what fits an IPv4 packet, in whole MSS. */
    static final int LARGE = 65535 - 20 - 20;
    private static final long RTO_MIN = 200, RTO_MAX = 10_000, CONNECT_TIMEOUT = 30_000;
    private static final int MAX_RETRIES = 12;

    enum State { CONNECTING, SYN_RECEIVED, SYN_SENT, ESTABLISHED, CLOSED }

    /** The flow as the guest sees it: its port, and the remote address and port. */
    record Key(int guestPort, int remoteIp, int remotePort) {}

    private final UserNetwork net;
    final Key key;
    private final SocketChannel host;
    private SelectionKey selection;
    State state;

    // sequence space (RFC 793 names)
    private final int iss;
    private int sndUna, sndNxt, rcvNxt;
    private long sndWnd;
    private int mss = 536, guestShift, ourShift;
    private boolean wscale;

    private final ByteBuffer toHost = ByteBuffer.allocate(BUFFER);   // guest data not yet written to the host
    private final ByteBuffer toGuest = ByteBuffer.allocate(BUFFER);  // host data from sndUna on: sent, then unsent
    private boolean guestFin, hostShut, hostEof, finSent, finAcked, ackPending;
    private long rto = RTO_MIN * 2, deadline, connectDeadline;
    private int retries;

    private TcpFlow(UserNetwork net, Key key, SocketChannel host, State state) {
        this.net = net;
        this.key = key;
        this.host = host;
        this.state = state;
        this.iss = ThreadLocalRandom.current().nextInt();
        this.sndUna = iss;
        this.sndNxt = iss;
    }

    /** The guest's SYN at TCP header {@code t}: connect to {@code target} on its behalf. */
    static TcpFlow outbound(UserNetwork net, Key key, byte[] f, int t, InetSocketAddress target) throws IOException {
        SocketChannel ch = SocketChannel.open();
        TcpFlow flow = new TcpFlow(net, key, ch, State.CONNECTING);
        flow.rcvNxt = Packets.u32(f, t + 4) + 1;
        flow.synOptions(f, t);
        flow.sndWnd = Packets.u16(f, t + 14);
        ch.configureBlocking(false);
        ch.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
        flow.connectDeadline = net.now() + CONNECT_TIMEOUT;
        if (ch.connect(target)) {
            flow.selection = ch.register(net.selector(), 0, flow);
            flow.connected();
        } else {
            flow.selection = ch.register(net.selector(), SelectionKey.OP_CONNECT, flow);
        }
        return flow;
    }

    /** A host connection accepted by a forward: offer it to the guest with a SYN. */
    static TcpFlow inbound(UserNetwork net, Key key, SocketChannel accepted) throws IOException {
        TcpFlow flow = new TcpFlow(net, key, accepted, State.SYN_SENT);
        accepted.configureBlocking(false);
        accepted.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
        flow.selection = accepted.register(net.selector(), 0, flow);
        flow.wscale = true; // offered; confirmed by the guest's SYN-ACK
        flow.sendSyn();
        return flow;
    }

    private void synOptions(byte[] f, int t) {
        int end = t + ((f[t + 12] & 0xff) >>> 4) * 4;
        for (int p = t + 20; p < end; ) {
            int kind = f[p] & 0xff;
            if (kind == 0) break;
            if (kind == 1) {
                p++;
                continue;
            }
            int len = p + 1 < end ? f[p + 1] & 0xff : 0;
            if (len < 2 || p + len > end) break;
            if (kind == 2 && len == 4) mss = Math.min(MSS, Math.max(64, Packets.u16(f, p + 2)));
            if (kind == 3 && len == 3) {
                wscale = true;
                guestShift = Math.min(14, f[p + 2] & 0xff);
            }
            p += len;
        }
        if (!wscale) guestShift = 0;
        ourShift = wscale ? WSCALE : 0;
    }

    private byte[] ourSynOptions() {
        byte[] o = wscale ? new byte[8] : new byte[4];
        o[0] = 2;
        o[1] = 4;
        Packets.put16(o, 2, MSS);
        if (wscale) {
            o[4] = 1;
            o[5] = 3;
            o[6] = 3;
            o[7] = WSCALE;
        }
        return o;
    }

    private int window() {
        int w = toHost.remaining() >> ourShift;
        return Math.min(w, 0xffff);
    }

    private void send(int flags, int seq, byte[] options, ByteBuffer data, int len) {
        boolean large = len > mss;
        byte[] f = Packets.tcp(net.guestMac(), UserNetwork.GATEWAY_MAC, key.remoteIp, key.remotePort, net.guestIp(), key.guestPort,
                seq, rcvNxt, flags, (flags & Packets.TCP_SYN) != 0 ? Math.min(toHost.remaining(), 0xffff) : window(),
                options, data, len, net.ipId(), large);
        net.toGuest(f, large ? mss : 0);
    }

    private void sendSyn() {
        send(Packets.TCP_SYN, iss, ourSynOptions(), null, 0);
        sndNxt = iss + 1;
        arm();
    }

    private void sendSynAck() {
        send(Packets.TCP_SYN | Packets.TCP_ACK, iss, ourSynOptions(), null, 0);
        sndNxt = iss + 1;
        arm();
    }

    /** Sends an ACK now if one is owed. */
    void flushAck() {
        if (ackPending && state == State.ESTABLISHED) send(Packets.TCP_ACK, sndNxt, new byte[0], null, 0);
        ackPending = false;
    }

    private void arm() {
        if (deadline == 0) deadline = net.now() + rto;
    }

    // ---- host socket events ----

    void ready(SelectionKey k) {
        try {
            if (k.isConnectable()) {
                if (host.finishConnect()) connected();
                return;
            }
            if (k.isWritable()) writeHost();
            if (k.isReadable()) readHost();
        } catch (IOException e) {
            abort();
        }
    }

    private void connected() {
        connectDeadline = 0;
        state = State.SYN_RECEIVED;
        sendSynAck();
        interest();
    }

    private void readHost() throws IOException {
        if (hostEof || !toGuest.hasRemaining()) return;
        int n = host.read(toGuest);
        if (n < 0) hostEof = true;
        output();
        interest();
    }

    private void writeHost() throws IOException {
        int before = window();
        if (toHost.position() > 0) {
            toHost.flip();
            host.write(toHost);
            toHost.compact();
        }
        if (toHost.position() == 0 && guestFin && !hostShut) {
            host.shutdownOutput();
            hostShut = true;
        }
        if (before < mss && window() >= mss && state == State.ESTABLISHED) {
            ackPending = true; // window update
            net.needsAck(this);
        }
        interest();
        closeIfDone();
    }

    /** Asks the selector for what this flow can use now. */
    private void interest() {
        if (state == State.CLOSED || !selection.isValid()) return;
        int ops = 0;
        if (state == State.ESTABLISHED && !hostEof && toGuest.hasRemaining()) ops |= SelectionKey.OP_READ;
        if (toHost.position() > 0) ops |= SelectionKey.OP_WRITE;
        if (state == State.CONNECTING) ops = SelectionKey.OP_CONNECT;
        selection.interestOps(ops);
    }

    // ---- guest segments ----

    /** A segment from the guest: TCP header at {@code t}, {@code len} payload bytes at {@code data}. */
    void segment(byte[] f, int t, int data, int len) {
        int flags = f[t + 13] & 0x3f;
        int seq = Packets.u32(f, t + 4), ack = Packets.u32(f, t + 8), win = Packets.u16(f, t + 14);
        if ((flags & Packets.TCP_RST) != 0) {
            close();
            return;
        }
        switch (state) {
            case CONNECTING -> { return; } // a repeated SYN while the host connect is under way
            case SYN_SENT -> {
                if ((flags & (Packets.TCP_SYN | Packets.TCP_ACK)) != (Packets.TCP_SYN | Packets.TCP_ACK) || ack != iss + 1) return;
                rcvNxt = seq + 1;
                synOptions(f, t);
                sndUna = ack;
                sndWnd = win;
                establish();
                ackPending = true;
                net.needsAck(this);
                output();
                return;
            }
            case SYN_RECEIVED -> {
                if ((flags & Packets.TCP_SYN) != 0) {
                    sendSynAck(); // our SYN-ACK was lost
                    return;
                }
                if ((flags & Packets.TCP_ACK) == 0 || ack != iss + 1) return;
                sndUna = ack;
                establish();
            }
            case CLOSED -> { return; }
            default -> { }
        }
        if ((flags & Packets.TCP_ACK) != 0) acknowledged(ack, win);
        if (len > 0 || (flags & Packets.TCP_FIN) != 0) received(f, seq, data, len, (flags & Packets.TCP_FIN) != 0);
        closeIfDone();
    }

    private void establish() {
        state = State.ESTABLISHED;
        deadline = 0;
        retries = 0;
        interest();
    }

    private void acknowledged(int ack, int win) {
        if (ack - sndUna > 0 && ack - sndNxt <= 0) {
            int n = ack - sndUna;
            if (finSent && ack == sndNxt) {
                finAcked = true;
                n--;
            }
            toGuest.flip().position(Math.min(n, toGuest.limit()));
            toGuest.compact();
            sndUna = ack;
            retries = 0;
            rto = Math.max(RTO_MIN, rto / 2);
            deadline = sndUna != sndNxt ? net.now() + rto : 0;
            interest();
        }
        if (ack - sndUna >= 0) sndWnd = (long) win << guestShift;
        output();
    }

    private void received(byte[] f, int seq, int data, int len, boolean fin) {
        int skip = rcvNxt - seq;
        if (skip < 0 || skip > len || (skip == len && !fin && len > 0)) {
            ackPending = true; // out of order or old: say what we expect
            net.needsAck(this);
            return;
        }
        int n = Math.min(len - skip, toHost.remaining());
        toHost.put(f, data + skip, n);
        rcvNxt += n;
        if (fin && skip + n == len && !guestFin) {
            guestFin = true;
            rcvNxt++;
        }
        ackPending = true;
        net.needsAck(this);
        try {
            writeHost();
        } catch (IOException e) {
            abort();
        }
    }

    /** Data bytes sent and not yet acknowledged (our FIN takes a sequence number but is no data). */
    private int inFlight() { return sndNxt - sndUna - (finSent && !finAcked ? 1 : 0); }

    /** Sends what the guest's window allows, then our FIN when the host side has ended. */
    private void output() {
        if (state != State.ESTABLISHED) return;
        while (true) {
            int inFlight = inFlight();
            int unsent = toGuest.position() - inFlight;
            long room = sndWnd - inFlight;
            int segment = net.largeSegments() ? LARGE / mss * mss : mss;
            int n = (int) Math.min(Math.min(unsent, segment), room);
            if (n <= 0) break;
            boolean last = n == unsent;
            send(Packets.TCP_ACK | (last ? Packets.TCP_PSH : 0), sndNxt, new byte[0], toGuest.duplicate().position(inFlight), n);
            sndNxt += n;
            ackPending = false;
            arm();
        }
        if (hostEof && !finSent && inFlight() == toGuest.position()) {
            send(Packets.TCP_FIN | Packets.TCP_ACK, sndNxt, new byte[0], null, 0);
            sndNxt++;
            finSent = true;
            ackPending = false;
            arm();
        }
    }

    /** Timers: retransmission, zero-window probes, connect timeout. */
    void tick(long now) {
        if (connectDeadline != 0 && now >= connectDeadline && state == State.CONNECTING) {
            abort();
            return;
        }
        if (deadline == 0 || now < deadline) return;
        deadline = 0;
        if (++retries > MAX_RETRIES) {
            abort();
            return;
        }
        rto = Math.min(rto * 2, RTO_MAX);
        switch (state) {
            case SYN_SENT -> sendSyn();
            case SYN_RECEIVED -> sendSynAck();
            case ESTABLISHED -> {
                sndNxt = sndUna; // go back: resend everything unacknowledged
                finSent = false;
                if (sndWnd == 0 && toGuest.position() > 0) {
                    send(Packets.TCP_ACK, sndNxt, new byte[0], toGuest.duplicate().position(0), 1); // window probe
                    sndNxt++;
                    arm();
                } else {
                    output();
                }
            }
            default -> { }
        }
    }

    private void closeIfDone() {
        if (guestFin && hostShut && finAcked && toHost.position() == 0) close();
    }

    /** Resets the guest's side and closes the host's. */
    void abort() {
        if (state != State.CLOSED && state != State.CONNECTING) send(Packets.TCP_RST | Packets.TCP_ACK, sndNxt, new byte[0], null, 0);
        else if (state == State.CONNECTING) send(Packets.TCP_RST | Packets.TCP_ACK, 0, new byte[0], null, 0);
        close();
    }

    void close() {
        if (state == State.CLOSED) return;
        state = State.CLOSED;
        try {
            host.close();
        } catch (IOException e) {
            // already gone
        }
        net.closed(this);
    }
}
