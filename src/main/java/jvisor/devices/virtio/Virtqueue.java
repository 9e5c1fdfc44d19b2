package jvisor.devices.virtio;

import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

import java.lang.invoke.VarHandle;
import jvisor.memory.GuestRam;

/**
 * A split virtqueue (virtio 1.2 §2.7) seen from the device side. The driver lays out three areas
 * in guest RAM and tells the transport where they are:
 *
 * <pre>
 *   Descriptor Area (align 16)  size × { u64 addr; u32 len; u16 flags; u16 next }        §2.7.5
 *   Driver Area     (align 2)   u16 flags; u16 idx; u16 ring[size]; u16 used_event        §2.7.6
 *   Device Area     (align 4)   u16 flags; u16 idx; {u32 id; u32 len} ring[size];
 *                               u16 avail_event                                           §2.7.8
 * </pre>
 *
 * The device {@link #pop}s chains the driver made available, and {@link #push}es them to the used
 * ring when done. With VIRTIO_F_EVENT_IDX (§2.7.7, §2.7.10) each side tells the other which index
 * it wants to hear about: {@link #needsInterrupt} honours the driver's {@code used_event} and
 * {@link #rearm} publishes {@code avail_event}.
 *
 * <p>One thread (the device's worker) uses a started queue; the transport configures it while
 * the device is stopped. Anything the driver got wrong is a {@link VirtqueueException}.
 */
public final class Virtqueue {
    static final int AVAIL_F_NO_INTERRUPT = 1;

    private final int index;
    private final int maxSize;

    // Layout, written by the transport while the device is stopped (§4.2.2 QueueNum, QueueDesc...).
    int size;
    long desc, avail, used;
    boolean ready;

    // Running state, owned by the device's worker once started.
    private GuestRam ram;
    private boolean started, eventIdx, indirect;
    private int lastAvail, usedIdx, signalled;

    Virtqueue(int index, int maxSize) {
        this.index = index;
        this.maxSize = maxSize;
    }

    public int index() { return index; }
    public int maxSize() { return maxSize; }
    public int size() { return size; }

    /** True once the driver made the queue ready and the device was activated with it. */
    public boolean started() { return started; }

    /** The layout and running indexes, in the transport's state. */
    void saveState(StateWriter out) {
        out.i32(size).i64(desc).i64(avail).i64(used).bool(ready).bool(started);
        out.i32(lastAvail).i32(usedIdx).i32(signalled);
    }

    /**
     * Reads the layout back; a started queue is started again (which checks the layout against
     * RAM, as the driver's DRIVER_OK did) and continues from its saved ring indexes.
     */
    void loadState(StateReader in, GuestRam ram, long features) throws StateException {
        size = in.i32(0, maxSize, "queue size");
        desc = in.i64();
        avail = in.i64();
        used = in.i64();
        ready = in.bool();
        boolean wasStarted = in.bool();
        int last = in.i32(0, 0xffff, "last available index");
        int usedIndex = in.i32(0, 0xffff, "used index");
        int signalledIndex = in.i32(0, 0xffff, "signalled index");
        if (wasStarted) {
            in.check(ready, "has a started queue that is not ready");
            String error = start(ram, features);
            if (error != null) throw in.fail(error);
            lastAvail = last;
            usedIdx = usedIndex;
            signalled = signalledIndex;
        }
    }

    /** Forgets the layout and running state (device reset, §2.4). */
    void reset() {
        size = 0;
        desc = avail = used = 0;
        ready = false;
        started = false;
        ram = null;
        lastAvail = usedIdx = signalled = 0;
    }

    /**
     * Checks the layout the driver wrote and starts the queue if it was made ready. Returns an
     * error message, or null if the queue is fine (or unused).
     */
    String start(GuestRam ram, long features) {
        if (!ready) return null;
        if (size <= 0 || size > maxSize || (size & (size - 1)) != 0) {
            return "queue " + index + ": size " + size + " is not a power of 2 up to " + maxSize;
        }
        if ((desc & 15) != 0 || (avail & 1) != 0 || (used & 3) != 0) {
            return String.format("queue %d: misaligned rings (desc 0x%x, driver 0x%x, device 0x%x)", index, desc, avail, used);
        }
        if (!ram.contains(desc, 16L * size) || !ram.contains(avail, 6 + 2L * size) || !ram.contains(used, 6 + 8L * size)) {
            return String.format("queue %d: rings outside RAM (desc 0x%x, driver 0x%x, device 0x%x)", index, desc, avail, used);
        }
        this.ram = ram;
        this.eventIdx = (features >>> VirtioDevice.F_EVENT_IDX & 1) != 0;
        this.indirect = (features >>> VirtioDevice.F_INDIRECT_DESC & 1) != 0;
        lastAvail = usedIdx = signalled = 0;
        started = true;
        return null;
    }

    private int u16(long pa) { return ram.getShort(pa - ram.base()) & 0xffff; }

    private void putU16(long pa, int v) {
        ram.putShort(pa - ram.base(), (short) v);
        ram.dmaWritten(pa, 2);
    }

    private int availIdx() {
        int idx = u16(avail + 2);
        VarHandle.acquireFence(); // ring entries written before idx (§2.7.13.3)
        return idx;
    }

    /** True when the driver has made buffers available that were not popped yet. */
    public boolean hasAvailable() {
        return started && availIdx() != lastAvail;
    }

    /** The next available descriptor chain, checked; null if there is none. */
    public Chain pop() throws VirtqueueException {
        if (!started) return null;
        int idx = availIdx();
        int pending = (idx - lastAvail) & 0xffff;
        if (pending == 0) return null;
        if (pending > size) {
            throw new VirtqueueException("queue " + index + ": avail idx " + idx + " is " + pending
                    + " ahead of the device, more than the queue size " + size);
        }
        int head = u16(avail + 4 + 2L * (lastAvail & (size - 1)));
        if (head >= size) throw new VirtqueueException("queue " + index + ": head descriptor " + head + " >= size " + size);
        Chain c = Chain.walk(ram, desc, size, head, indirect);
        lastAvail = (lastAvail + 1) & 0xffff;
        return c;
    }

    /** Returns a chain to the driver with {@link Chain#written()} bytes written (§2.7.8). */
    public void push(Chain c) {
        c.publishWrites();
        push(c.head(), (int) c.written());
    }

    /** Returns the chain with head {@code head} to the driver, {@code len} bytes written. */
    public void push(int head, int len) {
        if (!started) return;
        long e = used + 4 + 8L * (usedIdx & (size - 1));
        ram.putInt(e - ram.base(), head);
        ram.putInt(e + 4 - ram.base(), len);
        ram.dmaWritten(e, 8);
        VarHandle.releaseFence(); // the element before idx (§2.7.8)
        usedIdx = (usedIdx + 1) & 0xffff;
        putU16(used + 2, usedIdx);
    }

    /**
     * Whether the driver wants an interrupt for what was pushed since the last call (§2.7.7):
     * with event index, when the used idx passed {@code used_event}; otherwise unless the driver
     * set NO_INTERRUPT.
     */
    public boolean needsInterrupt() {
        if (!started) return false;
        VarHandle.fullFence(); // used idx store before reading the driver's wishes
        int old = signalled;
        if (old == usedIdx) return false;
        signalled = usedIdx;
        if (eventIdx) return needEvent(u16(avail + 4 + 2L * size), usedIdx, old);
        return (u16(avail) & AVAIL_F_NO_INTERRUPT) == 0;
    }

    /** vring_need_event: did the index move past {@code event} when going from {@code old} to {@code now}? */
    static boolean needEvent(int event, int now, int old) {
        return ((now - event - 1) & 0xffff) < ((now - old) & 0xffff);
    }

    /**
     * After draining: asks the driver to notify again for the next buffer (§2.7.10, avail_event),
     * then checks whether one slipped in meanwhile. True means: drain again.
     */
    public boolean rearm() {
        if (!started) return false;
        if (eventIdx) putU16(used + 4 + 8L * size, lastAvail);
        VarHandle.fullFence();
        return availIdx() != lastAvail;
    }
}
