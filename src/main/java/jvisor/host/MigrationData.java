package jvisor.host;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The connection that carries a migration's state stream: plain TCP beside the WebSocket that
 * carries the control messages, because RAM is the bulk of a migration and a WebSocket client
 * must mask every byte it sends (on loopback a socket carried the stream 2 to 4 times as fast).
 * The destination listens on a fresh port of the address the source reached it at and accepts
 * one connection that presents the one-time key it gave over the authenticated WebSocket.
 */
final class MigrationData {
    private MigrationData() {}

    private static final int KEY_BYTES = 32;
    private static final int ACCEPT_TIMEOUT_MS = 30_000;

    /** The destination's side: a port waiting for the source, and the key it must present. */
    static final class Listener implements java.io.Closeable {
        private final ServerSocketChannel server;
        private final byte[] key = new byte[KEY_BYTES];

        Listener(InetAddress address) throws IOException {
            new SecureRandom().nextBytes(key);
            server = ServerSocketChannel.open();
            server.bind(new InetSocketAddress(address, 0), 1);
        }

        int port() { return ((InetSocketAddress) server.socket().getLocalSocketAddress()).getPort(); }

        String key() { return HexFormat.of().formatHex(key); }

        /** Waits for the source and checks its key; the connection the stream then comes on. */
        SocketChannel accept() throws IOException {
            Socket s;
            try {
                server.socket().setSoTimeout(ACCEPT_TIMEOUT_MS);
                s = server.socket().accept();
            } catch (SocketTimeoutException e) {
                throw new IOException("the source did not open its data connection within " + ACCEPT_TIMEOUT_MS / 1000 + " s");
            } finally {
                server.close(); // one connection only: a wrong key ends the migration
            }
            try {
                s.setSoTimeout(ACCEPT_TIMEOUT_MS);
                byte[] got = s.getInputStream().readNBytes(2 * KEY_BYTES);
                if (!MessageDigest.isEqual(got, key().getBytes(StandardCharsets.US_ASCII))) {
                    throw new IOException("the data connection did not present the migration's key");
                }
                s.setSoTimeout(0);
                return s.getChannel();
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
        }

        @Override
        public void close() throws IOException { server.close(); }
    }

    /** The source's side: connects to the destination's data port and presents the key. */
    static SocketChannel connect(String host, int port, String key) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true); // the last, small sections go at once
            ch.socket().connect(new InetSocketAddress(host, port), ACCEPT_TIMEOUT_MS);
            ByteBuffer k = ByteBuffer.wrap(key.getBytes(StandardCharsets.US_ASCII));
            while (k.hasRemaining()) ch.write(k);
            return ch;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw new IOException("cannot open the data connection to " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }
}
