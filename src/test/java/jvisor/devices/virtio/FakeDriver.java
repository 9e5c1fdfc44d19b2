package jvisor.devices.virtio;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import jvisor.devices.IrqLine;
import jvisor.memory.GuestRam;
import jvisor.memory.Region;

/**
 * A virtio driver written in the test, playing the guest's part against a real
 * {@link VirtioMmio}: it negotiates features, lays out split queues in a small {@link GuestRam},
 * offers buffers (direct or indirect, well-formed or not) and waits for the used ring.
 *
 * <p>RAM layout: queue q's descriptor table at 0x1000 + q·0x4000 (256 entries), driver area
 * 0x1000 later, device area 0x2000 later; buffers from 0x40000 up, handed out by {@link #alloc}.
 */
final class FakeDriver implements AutoCloseable {
    static final long BASE = 0x8000_0000L, RAM_SIZE = 1L << 20;
    static final int QSIZE = 16;

    final GuestRam ram = new GuestRam(BASE, RAM_SIZE);
    final VirtioMmio mmio;
    final AtomicBoolean line = new AtomicBoolean();
    private final Object irqLock = new Object();
    private long nextBuffer = BASE + 0x40000;
    private final int[] availIdx = new int[8], freeDesc = new int[8], usedSeen = new int[8];

    FakeDriver(VirtioDevice device) {
        IrqLine irq = level -> {
            synchronized (irqLock) {
                line.set(level);
                irqLock.notifyAll();
            }
        };
        mmio = new VirtioMmio(device, ram, new Region("virtio0", 0x1000_1000L, 0x1000, 1), irq);
    }

    int reg(int off) { return (int) mmio.read(off, 4); }

    void reg(int off, long v) { mmio.write(off, 4, v); }

    long deviceFeatures() {
        reg(VirtioMmio.DEVICE_FEATURES_SEL, 1);
        long hi = reg(VirtioMmio.DEVICE_FEATURES) & 0xffff_ffffL;
        reg(VirtioMmio.DEVICE_FEATURES_SEL, 0);
        return hi << 32 | reg(VirtioMmio.DEVICE_FEATURES) & 0xffff_ffffL;
    }

    /** The driver's side of initialisation (virtio 1.2 §3.1.1), accepting {@code features}. Returns the final status. */
    int init(long features) {
        reg(VirtioMmio.STATUS, 0);
        reg(VirtioMmio.STATUS, VirtioMmio.ACKNOWLEDGE);
        reg(VirtioMmio.STATUS, VirtioMmio.ACKNOWLEDGE | VirtioMmio.DRIVER);
        reg(VirtioMmio.DRIVER_FEATURES_SEL, 0);
        reg(VirtioMmio.DRIVER_FEATURES, features & 0xffff_ffffL);
        reg(VirtioMmio.DRIVER_FEATURES_SEL, 1);
        reg(VirtioMmio.DRIVER_FEATURES, features >>> 32);
        reg(VirtioMmio.STATUS, VirtioMmio.ACKNOWLEDGE | VirtioMmio.DRIVER | VirtioMmio.FEATURES_OK);
        if ((reg(VirtioMmio.STATUS) & VirtioMmio.FEATURES_OK) == 0) return reg(VirtioMmio.STATUS);
        int queues = mmio.device().queueCount();
        for (int q = 0; q < queues; q++) setupQueue(q, QSIZE, desc(q), avail(q), used(q));
        reg(VirtioMmio.STATUS, VirtioMmio.ACKNOWLEDGE | VirtioMmio.DRIVER | VirtioMmio.FEATURES_OK | VirtioMmio.DRIVER_OK);
        return reg(VirtioMmio.STATUS);
    }

    int init() { return init(1L << VirtioDevice.F_VERSION_1); }

    void setupQueue(int q, int size, long desc, long avail, long used) {
        reg(VirtioMmio.QUEUE_SEL, q);
        reg(VirtioMmio.QUEUE_NUM, size);
        reg(VirtioMmio.QUEUE_DESC_LOW, desc);
        reg(VirtioMmio.QUEUE_DESC_HIGH, desc >>> 32);
        reg(VirtioMmio.QUEUE_DRIVER_LOW, avail);
        reg(VirtioMmio.QUEUE_DRIVER_HIGH, avail >>> 32);
        reg(VirtioMmio.QUEUE_DEVICE_LOW, used);
        reg(VirtioMmio.QUEUE_DEVICE_HIGH, used >>> 32);
        reg(VirtioMmio.QUEUE_READY, 1);
        availIdx[q] = freeDesc[q] = usedSeen[q] = 0;
    }

    static long desc(int q) { return BASE + 0x1000 + q * 0x4000L; }
    static long avail(int q) { return desc(q) + 0x1000; }
    static long used(int q) { return desc(q) + 0x2000; }

    long alloc(int len) {
        long a = nextBuffer;
        nextBuffer += (len + 15) & ~15;
        return a;
    }

    long off(long pa) { return pa - BASE; }

    /** Writes descriptor {@code i} of the table at {@code table}. */
    void putDesc(long table, int i, long addr, int len, int flags, int next) {
        long d = off(table) + 16L * i;
        ram.putLong(d, addr);
        ram.putInt(d + 8, len);
        ram.putShort(d + 12, (short) flags);
        ram.putShort(d + 14, (short) next);
    }

    /** A buffer for {@link #offer}: readable data or {@code len} writable bytes. */
    record Buf(long addr, int len, boolean write) {}

    Buf readable(byte[] data) {
        long a = alloc(data.length);
        ram.load(a, data, 0, data.length);
        return new Buf(a, data.length, false);
    }

    Buf writable(int len) { return new Buf(alloc(len), len, true); }

    /** Chains {@code bufs} in queue {@code q}'s descriptor table and makes the chain available; returns the head. */
    int offer(int q, Buf... bufs) {
        int head = freeDesc[q];
        for (int i = 0; i < bufs.length; i++) {
            int idx = (head + i) % QSIZE;
            boolean last = i == bufs.length - 1;
            putDesc(desc(q), idx, bufs[i].addr, bufs[i].len, (last ? 0 : Chain.F_NEXT) | (bufs[i].write ? Chain.F_WRITE : 0),
                    (idx + 1) % QSIZE);
        }
        freeDesc[q] = (head + bufs.length) % QSIZE;
        publish(q, head);
        return head;
    }

    /** Puts {@code bufs} in an indirect table referenced by one descriptor; returns the head. */
    int offerIndirect(int q, Buf... bufs) {
        long table = alloc(16 * bufs.length);
        for (int i = 0; i < bufs.length; i++) {
            boolean last = i == bufs.length - 1;
            putDesc(table, i, bufs[i].addr, bufs[i].len, (last ? 0 : Chain.F_NEXT) | (bufs[i].write ? Chain.F_WRITE : 0), i + 1);
        }
        int head = freeDesc[q];
        putDesc(desc(q), head, table, 16 * bufs.length, Chain.F_INDIRECT, 0);
        freeDesc[q] = (head + 1) % QSIZE;
        publish(q, head);
        return head;
    }

    /** Makes descriptor {@code head} available in queue {@code q} (the descriptors are already written). */
    void publish(int q, int head) {
        ram.putShort(off(avail(q)) + 4 + 2L * (availIdx[q] % QSIZE), (short) head);
        availIdx[q] = (availIdx[q] + 1) & 0xffff;
        ram.putShort(off(avail(q)) + 2, (short) availIdx[q]);
    }

    void kick(int q) { reg(VirtioMmio.QUEUE_NOTIFY, q); }

    int usedIdx(int q) { return ram.getShort(off(used(q)) + 2) & 0xffff; }

    /** The used element {@code n} (mod size): {id, len}. */
    int[] usedElem(int q, int n) {
        long e = off(used(q)) + 4 + 8L * (n % QSIZE);
        return new int[] {ram.getInt(e), ram.getInt(e + 4)};
    }

    /** Waits until queue q's used idx reaches {@code count}, or the device asks for a reset; true if used. */
    boolean awaitUsed(int q, int count, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < deadline) {
            if (((usedIdx(q) - count) & 0x8000) == 0) return true;
            if (needsReset()) return false;
            Thread.sleep(1);
        }
        return false;
    }

    /** Waits for DEVICE_NEEDS_RESET. */
    boolean awaitNeedsReset(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < deadline) {
            if (needsReset()) return true;
            Thread.sleep(1);
        }
        return false;
    }

    boolean needsReset() { return (reg(VirtioMmio.STATUS) & VirtioMmio.DEVICE_NEEDS_RESET) != 0; }

    byte[] bytes(Buf b, int len) {
        byte[] out = new byte[len];
        ram.copyOut(b.addr, out, 0, len);
        return out;
    }

    @Override
    public void close() {
        mmio.shutdown();
        mmio.device().close();
        ram.close();
    }
}
