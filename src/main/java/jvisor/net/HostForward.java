package jvisor.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A host port forwarded to the guest, written as QEMU writes it:
 * {@code tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT}. The host address defaults to 127.0.0.1
 * (loopback: nothing is exposed unless asked), the guest address to 10.0.2.15. Port 0 on the host
 * side takes any free port ({@link #boundAddress} tells which).
 */
public final class HostForward {
    /** Where to listen: as asked, then where it first listened (a port asked as 0 stays the one it got). */
    private volatile InetSocketAddress listen;
    private final int guestPort;
    private volatile ServerSocketChannel server;

    public HostForward(InetSocketAddress listen, int guestPort) {
        this.listen = listen;
        this.guestPort = guestPort;
    }

    /** Parses the value of {@code hostfwd=}; throws IllegalArgumentException with a message for the user. */
    public static HostForward parse(String spec) {
        String s = spec;
        if (s.startsWith("tcp:")) s = s.substring(4);
        else if (s.startsWith("udp:")) throw new IllegalArgumentException("hostfwd: only tcp forwards are supported: " + spec);
        int dash = s.indexOf('-');
        if (dash < 0) throw new IllegalArgumentException("hostfwd must look like tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT: " + spec);
        String host = s.substring(0, dash), guest = s.substring(dash + 1);
        int hc = host.lastIndexOf(':'), gc = guest.lastIndexOf(':');
        if (hc < 0 || gc < 0) throw new IllegalArgumentException("hostfwd must look like tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT: " + spec);
        String hostAddr = host.substring(0, hc), guestAddr = guest.substring(0, gc);
        int hostPort = port(host.substring(hc + 1), spec), guestPort = port(guest.substring(gc + 1), spec);
        if (guestPort == 0) throw new IllegalArgumentException("hostfwd needs a guest port: " + spec);
        if (!guestAddr.isEmpty() && Packets.ip(guestAddr) != UserNetwork.GUEST) {
            throw new IllegalArgumentException("hostfwd: the guest is " + Packets.ip(UserNetwork.GUEST) + ": " + spec);
        }
        InetSocketAddress listen = hostAddr.isEmpty() ? new InetSocketAddress(InetAddress.getLoopbackAddress(), hostPort)
                : new InetSocketAddress(hostAddr, hostPort);
        if (listen.isUnresolved()) throw new IllegalArgumentException("hostfwd: unknown host address " + hostAddr);
        return new HostForward(listen, guestPort);
    }

    private static int port(String p, String spec) {
        try {
            int v = Integer.parseInt(p);
            if (v < 0 || v > 65535) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("hostfwd: bad port '" + p + "': " + spec);
        }
    }

    public int guestPort() { return guestPort; }

    /** Listens (again, after {@link #close}) and lets {@code selector} report connections. */
    void bind(Selector selector) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        try {
            s.bind(listen);
        } catch (IOException e) {
            s.close();
            throw new IOException("hostfwd: cannot listen on " + listen + ": " + e.getMessage(), e);
        }
        listen = (InetSocketAddress) s.getLocalAddress();
        s.configureBlocking(false);
        s.register(selector, SelectionKey.OP_ACCEPT, this);
        server = s;
    }

    /** A host connection, or null (none waiting, or the forward let go of its port meanwhile). */
    SocketChannel accept() throws IOException {
        ServerSocketChannel s = server;
        try {
            return s == null ? null : s.accept();
        } catch (java.nio.channels.ClosedChannelException e) {
            return null;
        }
    }

    /** Where the forward listens (the real port when 0 was asked for). */
    public InetSocketAddress boundAddress() { return listen; }

    /** Stops listening; {@link #bind} listens again on the same address. */
    void close() {
        ServerSocketChannel s = server;
        server = null;
        try {
            if (s != null) s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
