package jvisor.host;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ByteChannel;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.net.ssl.SSLContext;

/**
 * The connection that carries a migration's state stream: TCP beside the WebSocket that carries
 * the control messages, because RAM is the bulk of a migration and a WebSocket client must mask
 * every byte it sends (on loopback a socket carried the stream 2 to 4 times as fast). The
 * destination listens on a fresh port of the address the source reached it at and accepts one
 * connection that presents the one-time key it gave over the authenticated WebSocket. When the
 * API speaks HTTPS the data connection is TLS too, with the daemon's certificate, which the
 * source trusts by the same pin as the WebSocket.
 */
final class MigrationData {
    private MigrationData() {}

    private static final int KEY_BYTES = 32;
    private static final int TIMEOUT_MS = 30_000;

    /** The destination's side: a port waiting for the source, and the key it must present. */
    static final class Listener implements java.io.Closeable {
        private final ServerSocket server;
        private final byte[] key = new byte[KEY_BYTES];

        /** Listens on {@code address}; with {@code tls} (the daemon's context), speaks TLS. */
        Listener(InetAddress address, SSLContext tls) throws IOException {
            new SecureRandom().nextBytes(key);
            server = tls != null ? tls.getServerSocketFactory().createServerSocket(0, 1, address)
                    : java.nio.channels.ServerSocketChannel.open().bind(new InetSocketAddress(address, 0), 1).socket();
        }

        int port() { return server.getLocalPort(); }

        String key() { return HexFormat.of().formatHex(key); }

        /** Waits for the source and checks its key; returns the connection the stream then comes on. */
        ByteChannel accept() throws IOException {
            Socket s;
            try {
                server.setSoTimeout(TIMEOUT_MS);
                s = server.accept();
            } catch (SocketTimeoutException e) {
                throw new IOException("the source did not open its data connection within " + TIMEOUT_MS / 1000 + " s");
            } finally {
                server.close(); // one connection only: a wrong key ends the migration
            }
            try {
                s.setSoTimeout(TIMEOUT_MS);
                byte[] got = s.getInputStream().readNBytes(2 * KEY_BYTES);
                if (!MessageDigest.isEqual(got, key().getBytes(StandardCharsets.US_ASCII))) {
                    throw new IOException("the data connection did not present the migration's key");
                }
                s.setSoTimeout(0); // the stream pauses between rounds; a broken WebSocket closes it
                s.setTcpNoDelay(true); // the answers to the rounds' ends go at once
                return channel(s);
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException { server.close(); }
    }

    /**
     * The source's side: connects to the destination's data port (through {@code tls}, the
     * pinned client context, for an HTTPS daemon) and presents the key.
     */
    static ByteChannel connect(String host, int port, String key, SSLContext tls) throws IOException {
        Socket s = tls != null ? tls.getSocketFactory().createSocket() : java.nio.channels.SocketChannel.open().socket();
        try {
            s.setTcpNoDelay(true); // the last, small sections go at once
            s.connect(new InetSocketAddress(host, port), TIMEOUT_MS);
            ByteChannel out = channel(s);
            java.nio.ByteBuffer k = java.nio.ByteBuffer.wrap(key.getBytes(StandardCharsets.US_ASCII));
            while (k.hasRemaining()) out.write(k);
            return out;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw new IOException("cannot open the data connection to " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** The socket as one channel both ways: its own (plain TCP), or one over its streams (TLS). */
    private static ByteChannel channel(Socket s) throws IOException {
        if (s.getChannel() != null) return s.getChannel();
        ReadableByteChannel in = Channels.newChannel(s.getInputStream());
        WritableByteChannel out = Channels.newChannel(s.getOutputStream());
        return new ByteChannel() {
            @Override public int read(java.nio.ByteBuffer dst) throws IOException { return in.read(dst); }
            @Override public int write(java.nio.ByteBuffer src) throws IOException { return out.write(src); }
            @Override public boolean isOpen() { return !s.isClosed(); }
            @Override public void close() throws IOException { s.close(); }
        };
    }
}
