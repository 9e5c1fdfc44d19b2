package jvisor.devices.virtio;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Console device (virtio 1.2 §5.3) with one port, which Linux makes {@code hvc0}: bytes the
 * guest writes go to a host stream, bytes read from another host stream go to the guest.
 *
 * <pre>
 *   queue 0  receiveq  device → driver: writable buffers the device fills with input
 *   queue 1  transmitq driver → device: readable buffers of output
 *   config   u16 cols; u16 rows; u32 max_nr_ports; u32 emerg_wr (W: one byte of output)
 * </pre>
 *
 * Feature VIRTIO_CONSOLE_F_EMERG_WRITE (bit 2) is offered; MULTIPORT and SIZE are not. A reader
 * thread blocks on the input stream and hands chunks to the worker; when the guest has no
 * receive buffers the chunks wait (up to {@link #PENDING} of them, then the reader waits too).
 */
public final class VirtioConsole extends QueueDevice {
    private static final int RX = 0, TX = 1;
    static final int F_EMERG_WRITE = 2;
    private static final int PENDING = 64, CHUNK = 4096;

    private final InputStream in;
    private final OutputStream out;
    private final BlockingQueue<byte[]> input = new ArrayBlockingQueue<>(PENDING);
    private final Thread reader;
    /** The chunk being delivered and how much of it the guest has (worker only). */
    private byte[] current;
    private int currentOff;

    /** A console reading guest input from {@code in} (may be null: no input) and writing output to {@code out}. */
    public VirtioConsole(InputStream in, OutputStream out) {
        super("virtio-console", 2);
        this.in = in;
        this.out = out;
        this.reader = in == null ? null : Thread.ofPlatform().name("jvisor-virtio-console-input").daemon().start(this::pump);
    }

    @Override public int deviceId() { return CONSOLE; }

    @Override public long features() { return 1L << F_EMERG_WRITE; }

    @Override
    public byte[] config() {
        return new byte[] {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0}; // no size; one port
    }

    @Override
    public void writeConfig(int offset, byte[] data) {
        if (offset == 8 && data.length >= 1) emit(data, 0, 1); // emerg_wr
    }

    /**
     * Bytes typed for the guest from a thread of the host's (a terminal's input pump), for a
     * console made without an input stream; blocks while the guest is far behind.
     */
    public void type(byte[] bytes) {
        try {
            input.put(bytes.clone());
            submit(this::deliver);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reader thread: blocks on the host stream, queues what it reads for the worker. */
    private void pump() {
        byte[] buf = new byte[CHUNK];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (n == 0) continue;
                input.put(Arrays.copyOf(buf, n));
                submit(this::deliver);
            }
        } catch (IOException e) {
            // input closed: the guest sees no more input
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    protected void service(int q) throws VirtqueueException {
        if (q == RX) deliver();
        else if (q == TX) drain(TX, chain -> {
            MemorySegment s;
            while ((s = chain.nextReadable(CHUNK)) != null) {
                byte[] b = s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                emit(b, 0, b.length);
            }
        });
    }

    /** Moves pending input into the guest's receive buffers while both exist. */
    private void deliver() throws VirtqueueException {
        Virtqueue rx = queues[RX];
        if (!rx.started()) return;
        boolean used = false;
        while (true) {
            if (current == null) {
                current = input.poll();
                currentOff = 0;
                if (current == null) break;
            }
            Chain c = rx.pop();
            if (c == null) {
                if (rx.rearm()) continue;
                break;
            }
            currentOff += c.write(current, currentOff, current.length - currentOff);
            if (currentOff == current.length) current = null;
            rx.push(c);
            used = true;
        }
        if (used) signal(RX);
    }

    private void emit(byte[] b, int off, int len) {
        try {
            out.write(b, off, len);
            out.flush();
        } catch (IOException e) {
            // the host side is gone: output is dropped, the guest runs on
        }
    }

    @Override
    protected void resetState() {
        current = null;
    }

    @Override
    protected void closeBackend() {
        if (reader != null) reader.interrupt();
    }
}
