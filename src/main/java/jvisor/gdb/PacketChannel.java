package jvisor.gdb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * The framing of the GDB remote serial protocol (gdb manual, "Overview" of Remote Protocol):
 * {@code $data#cs} with a two-digit modulo-256 checksum, {@code +}/{@code -} acknowledgements until
 * QStartNoAckMode, and a bare 0x03 byte for Ctrl-C. Reads poll the socket with a short timeout so
 * a session can wait for the guest and the client at once.
 */
final class PacketChannel implements AutoCloseable {
    /** What {@link #read} returns when nothing complete arrived within the poll interval. */
    static final String NOTHING = "";
    /** What {@link #read} returns for a Ctrl-C from the client. */
    static final String INTERRUPT = "\u0003";
    /** Packets longer than this are dropped (gdb sends at most the PacketSize we announce). */
    static final int MAX_PACKET = 0x4000 * 2 + 64;
    private static final int POLL_MILLIS = 20;

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private boolean acks = true;
    /** A packet being received across polls. */
    private ByteArrayOutputStream partial;
    private int checksumDigits = -1;
    private int checksum;

    PacketChannel(Socket socket) throws IOException {
        this.socket = socket;
        socket.setSoTimeout(POLL_MILLIS);
        socket.setTcpNoDelay(true);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    void noAcks() { acks = false; }

    /**
     * The next packet's data, {@link #INTERRUPT}, or {@link #NOTHING} after a quiet poll interval.
     * Throws EOFException when the client has gone.
     */
    String read() throws IOException {
        while (true) {
            int b;
            try {
                b = in.read();
            } catch (SocketTimeoutException e) {
                return NOTHING;
            }
            if (b < 0) throw new java.io.EOFException("gdb closed the connection");
            if (partial == null) {
                if (b == 0x03) return INTERRUPT;
                if (b == '$') {
                    partial = new ByteArrayOutputStream();
                    checksum = 0;
                    checksumDigits = -1;
                }
                continue; // '+', '-' and noise between packets
            }
            if (checksumDigits < 0) {
                if (b == '#') checksumDigits = 0;
                else if (partial.size() < MAX_PACKET) partial.write(b);
                else partial = null; // oversized: dropped, the client times out or resends
                continue;
            }
            checksum = checksum << 4 | Character.digit(b, 16);
            if (++checksumDigits < 2) continue;
            byte[] data = partial.toByteArray();
            partial = null;
            int sum = 0;
            for (byte x : data) sum += x & 0xff;
            if (acks) {
                out.write((sum & 0xff) == checksum ? '+' : '-');
                out.flush();
                if ((sum & 0xff) != checksum) continue;
            }
            return new String(data, StandardCharsets.ISO_8859_1);
        }
    }

    /** Sends one packet (ISO-8859-1 text; binary replies are escaped by the caller). */
    void send(String data) throws IOException {
        byte[] body = data.getBytes(StandardCharsets.ISO_8859_1);
        int sum = 0;
        for (byte x : body) sum += x & 0xff;
        byte[] frame = new byte[body.length + 4];
        frame[0] = '$';
        System.arraycopy(body, 0, frame, 1, body.length);
        frame[body.length + 1] = '#';
        frame[body.length + 2] = (byte) Character.forDigit(sum >> 4 & 15, 16);
        frame[body.length + 3] = (byte) Character.forDigit(sum & 15, 16);
        out.write(frame);
        out.flush();
        // With acks on, the client's '+' is skipped by read() as noise; a '-' (never seen on TCP) too.
    }

    /** Escapes binary data for a reply: '#', '$', '}' and '*' become '}' and the byte xor 0x20. */
    static String escape(byte[] data) {
        StringBuilder b = new StringBuilder(data.length + 8);
        for (byte x : data) {
            int c = x & 0xff;
            if (c == '#' || c == '$' || c == '}' || c == '*') b.append('}').append((char) (c ^ 0x20));
            else b.append((char) c);
        }
        return b.toString();
    }

    /** Undoes {@link #escape} on the data of an X packet. */
    static byte[] unescape(String s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '}' && i + 1 < s.length()) b.write(s.charAt(++i) ^ 0x20);
            else b.write(c);
        }
        return b.toByteArray();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // already gone
        }
    }
}
