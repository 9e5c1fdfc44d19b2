package jvisor.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP forwarder on loopback whose connections a test can cut at any moment (each side gets a
 * reset, as when a link breaks); connections made afterwards go through again.
 */
public final class CutProxy implements AutoCloseable {
    private final ServerSocket server;
    private final URI target;
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    public CutProxy(URI target) throws IOException {
        this.target = target;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("cut-proxy").start(this::accept);
    }

    /** The proxy's URL, in the target's scheme. */
    public URI uri() { return URI.create(target.getScheme() + "://127.0.0.1:" + server.getLocalPort()); }

    /** Resets every connection open now. */
    public void cut() {
        for (Socket s : open) {
            try {
                s.setSoLinger(true, 0);
                s.close();
            } catch (IOException e) {
                // closed already
            }
        }
        open.clear();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket in = server.accept();
                Socket out = new Socket(target.getHost(), target.getPort());
                open.add(in);
                open.add(out);
                pump(in, out);
                pump(out, in);
            } catch (IOException e) {
                // closed, or the target is down: the client sees its connection end
            }
        }
    }

    private static void pump(Socket from, Socket to) {
        Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[64 << 10];
            try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
                for (int n; (n = i.read(buf)) > 0; ) o.write(buf, 0, n);
            } catch (IOException e) {
                // cut or closed
            } finally {
                try {
                    to.close();
                } catch (IOException e) {
                    // already
                }
            }
        });
    }

    @Override
    public void close() throws IOException {
        cut();
        server.close();
    }
}
