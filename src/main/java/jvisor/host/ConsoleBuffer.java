package jvisor.host;

import java.io.OutputStream;

/**
 * A VM's serial console output: the guest's UART writes here (byte by byte, on a hart thread),
 * and readers (console viewers, the log writer, followers) each keep their own position and
 * wait for more. Only the last {@link #CAPACITY} bytes are kept, which is what a new viewer sees
 * replayed; a reader that falls further behind skips ahead. Writing never blocks on a reader, so
 * a slow viewer cannot stall the guest.
 */
public final class ConsoleBuffer extends OutputStream {
    public static final int CAPACITY = 64 * 1024;

    private final byte[] ring = new byte[CAPACITY];
    /** Bytes written since the VM was defined; the ring holds [total - min(total, CAPACITY), total). */
    private long total;
    private boolean closed;
    /** Set by tests to make the next write fail like a broken device would (see {@link Vm#injectFault}). */
    private volatile RuntimeException fault;

    @Override
    public void write(int b) {
        RuntimeException f = fault;
        if (f != null) {
            fault = null;
            throw f;
        }
        synchronized (this) {
            ring[(int) (total++ % CAPACITY)] = (byte) b;
            notifyAll();
        }
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) ring[(int) (total++ % CAPACITY)] = b[off + i];
        notifyAll();
    }

    /** A line from the host (state changes, crash reasons) between the guest's output. */
    public void note(String text) {
        byte[] b = ("\r\n[jvisor] " + text + "\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        write(b, 0, b.length);
    }

    void failNextWrite(RuntimeException e) { fault = e; }

    /** The position after the last byte written. */
    public synchronized long position() { return total; }

    /** The oldest position still held. */
    public synchronized long oldest() { return Math.max(0, total - CAPACITY); }

    /** Bytes read from the console: {@code data} starts at position {@code start}. */
    public record Chunk(long start, byte[] data) {
        public long next() { return start + data.length; }
    }

    /**
     * The bytes from {@code from} on (from the oldest held if {@code from} is older), waiting up
     * to {@code millis} for some: an empty chunk when none came, null once closed and drained.
     */
    public synchronized Chunk read(long from, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (total <= from && !closed) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) return new Chunk(from, new byte[0]);
            wait(left);
        }
        long start = Math.max(from, oldest());
        if (start >= total) return closed ? null : new Chunk(start, new byte[0]);
        byte[] out = new byte[(int) (total - start)];
        int first = (int) (start % CAPACITY);
        int n = Math.min(out.length, CAPACITY - first);
        System.arraycopy(ring, first, out, 0, n);
        System.arraycopy(ring, 0, out, n, out.length - n);
        return new Chunk(start, out);
    }

    /** Wakes every reader for good (the VM was deleted or the daemon is stopping). */
    @Override
    public synchronized void close() {
        closed = true;
        notifyAll();
    }
}
