package jvisor.gdb;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import jvisor.machine.Machine;

/**
 * A gdb remote stub on a TCP port, for one machine at a time: QEMU's {@code -gdb tcp::PORT}, and
 * {@code -S} through {@link #serve}'s {@code halted}. One client at a time; another connection
 * while one is active is closed at once. The server outlives machines (a guest reboot brings a
 * new one: {@link #serve} it, and a connected gdb is disconnected from the old).
 */
public final class GdbServer implements AutoCloseable {
    private final ServerSocket listener;
    private final Thread acceptor;
    private Debugger debugger;
    private boolean halted;
    private GdbSession session;
    private Thread sessionThread;

    /** Listens on {@code address}; see {@link #parseAddress}. */
    public GdbServer(InetSocketAddress address) throws IOException {
        listener = new ServerSocket();
        listener.setReuseAddress(true);
        listener.bind(address);
        acceptor = Thread.ofPlatform().name("jvisor-gdb-accept").daemon().start(this::acceptLoop);
    }

    /**
     * Parses {@code tcp:[HOST:]PORT} (QEMU's spelling; "tcp:" may be left out). Without a host the
     * stub listens on the loopback address only: gdb's protocol has no authentication.
     */
    public static InetSocketAddress parseAddress(String spec) {
        String s = spec.startsWith("tcp:") ? spec.substring(4) : spec;
        int colon = s.lastIndexOf(':');
        String host = colon < 0 ? "" : s.substring(0, colon);
        String port = s.substring(colon + 1);
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--gdb " + spec + ": expected tcp:[HOST:]PORT, e.g. tcp::1234");
        }
        if (p < 0 || p > 65535) throw new IllegalArgumentException("--gdb " + spec + ": port must be 0 to 65535");
        return host.isEmpty() ? new InetSocketAddress(InetAddress.getLoopbackAddress(), p) : new InetSocketAddress(host, p);
    }

    /** The port listened on (useful after binding port 0). */
    public int port() { return listener.getLocalPort(); }

    /**
     * Debugs {@code machine} from now on, before it runs. With {@code halted}, its harts stop
     * before their first instruction until gdb lets them go.
     */
    public synchronized Debugger serve(Machine machine, boolean halted) {
        if (session != null) session.close(); // gdb was debugging the machine before this one
        debugger = new Debugger(machine);
        this.halted = halted;
        if (halted) debugger.enable(true);
        return debugger;
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                return; // closed
            }
            synchronized (this) {
                if (debugger == null || sessionThread != null && sessionThread.isAlive()) {
                    closeQuietly(s); // one client at a time
                    continue;
                }
                session = new GdbSession(s, debugger, halted);
                halted = false; // only the first run starts halted
                sessionThread = Thread.ofPlatform().name("jvisor-gdb-session").daemon().start(session);
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    @Override
    public synchronized void close() {
        try {
            listener.close();
        } catch (IOException e) {
            // nothing to do
        }
        if (session != null) session.close();
    }
}
