package jvisor.host;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The migration stream over a WebSocket, as channels the machine state stream reads and writes:
 * binary messages of up to {@link #CHUNK} bytes, each sent only once the last is out (the
 * socket's flow control is the stream's), and queued on arrival with a bound (a receiver that
 * falls behind holds the sender back).
 */
final class MigrationChannels {
    private MigrationChannels() {}

    /** Largest binary message; the daemon's WebSocket limits must allow it. */
    static final int CHUNK = 256 << 10;
    private static final long SEND_TIMEOUT_SECONDS = 60;

    /** The sender's side: bytes written go out as binary messages. */
    static final class Sending implements WritableByteChannel, java.io.Flushable {
        private final WebSocket socket;
        private final ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        private volatile boolean open = true;

        Sending(WebSocket socket) { this.socket = socket; }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!open) throw new ClosedChannelException();
            int n = src.remaining();
            while (src.hasRemaining()) {
                int take = Math.min(buffer.remaining(), src.remaining());
                buffer.put(src.slice(src.position(), take));
                src.position(src.position() + take);
                if (!buffer.hasRemaining()) flush();
            }
            return n;
        }

        /** Sends what is buffered and waits until the socket has taken it. */
        @Override
        public void flush() throws IOException {
            if (buffer.position() == 0) return;
            buffer.flip();
            try {
                socket.sendBinary(buffer, true).get(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("the migration was interrupted");
            } catch (ExecutionException e) {
                throw new IOException("the connection to the destination broke: " + e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new IOException("the destination took no data for " + SEND_TIMEOUT_SECONDS + " s");
            } finally {
                buffer.clear();
            }
        }

        @Override public boolean isOpen() { return open; }
        @Override public void close() { open = false; }
    }

    /** The receiver's side: binary messages as they arrive, read as one stream. */
    static final class Receiving implements ReadableByteChannel {
        private final BlockingQueue<ByteBuffer> queue = new ArrayBlockingQueue<>(16);
        private ByteBuffer current = ByteBuffer.allocate(0);
        private volatile boolean ended;

        /** A message arrived: queued, waiting while the queue is full (the sender waits for us). */
        void arrived(ByteBuffer data) throws InterruptedException {
            ByteBuffer copy = ByteBuffer.allocate(data.remaining()).put(data).flip();
            while (!ended && !queue.offer(copy, 100, TimeUnit.MILLISECONDS)) {
                // full: the reader is busy
            }
        }

        /** No more messages will come (the connection closed): the reader sees the end after what came. */
        void end() { ended = true; }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            try {
                while (!current.hasRemaining()) {
                    ByteBuffer next = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (next != null) current = next;
                    else if (ended) return -1;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("the migration was interrupted");
            }
            int n = Math.min(dst.remaining(), current.remaining());
            dst.put(current.slice(current.position(), n));
            current.position(current.position() + n);
            return n;
        }

        @Override public boolean isOpen() { return !ended; }
        @Override public void close() { end(); }
    }
}
