package jvisor.devices.virtio;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jvisor.memory.GuestRam;

/**
 * One descriptor chain popped from a virtqueue, already checked (virtio 1.2 §2.7.5): every
 * buffer lies inside RAM, device-readable buffers come before device-writable ones, and the
 * walk ended within the queue size. The device reads the request from the readable part and
 * writes its answer into the writable part through two cursors; {@link #written()} becomes the
 * length in the used ring.
 *
 * <p>Descriptor layout (§2.7.5): {@code u64 addr; u32 len; u16 flags; u16 next}, flags NEXT = 1,
 * WRITE = 2, INDIRECT = 4 (§2.7.5.3: a table of descriptors, only one, never nested, never
 * together with NEXT).
 */
public final class Chain {
    static final int DESC_SIZE = 16;
    static final int F_NEXT = 1, F_WRITE = 2, F_INDIRECT = 4;
    /** Longest indirect table accepted: more than any driver needs, small enough to bound the walk. */
    static final int MAX_INDIRECT = 4096;

    private final GuestRam ram;
    private final int head;
    private long[] addr = new long[8];
    private int[] len = new int[8];
    private int count;
    private int firstWritable = -1;
    private long readable, writable;

    // cursors: segment index and offset inside it
    private int rSeg, wSeg;
    private long rOff, wOff;
    private long read, written;

    private Chain(GuestRam ram, int head) {
        this.ram = ram;
        this.head = head;
    }

    /**
     * Walks the chain starting at descriptor {@code head} of the table at {@code table} (queue
     * size {@code size}), following at most one indirect table if {@code indirect} was negotiated.
     */
    static Chain walk(GuestRam ram, long table, int size, int head, boolean indirect) throws VirtqueueException {
        Chain c = new Chain(ram, head);
        long tableAddr = table;
        int tableSize = size;
        boolean inIndirect = false;
        int idx = head;
        int steps = 0;
        while (true) {
            if (idx >= tableSize) {
                throw new VirtqueueException("descriptor index " + idx + " beyond the " + (inIndirect ? "indirect table" : "queue")
                        + " (" + tableSize + " entries)");
            }
            if (++steps > tableSize) {
                throw new VirtqueueException("descriptor chain from head " + head + " is longer than "
                        + tableSize + " entries (a loop?)");
            }
            long d = tableAddr + (long) idx * DESC_SIZE - ram.base();
            long a = ram.getLong(d);
            long l = ram.getInt(d + 8) & 0xffff_ffffL;
            int flags = ram.getShort(d + 12) & 0xffff;
            int next = ram.getShort(d + 14) & 0xffff;
            if ((flags & F_INDIRECT) != 0) {
                if (!indirect) throw new VirtqueueException("indirect descriptor, but VIRTIO_F_INDIRECT_DESC was not negotiated");
                if (inIndirect) throw new VirtqueueException("indirect descriptor inside an indirect table");
                if ((flags & F_NEXT) != 0) throw new VirtqueueException("indirect descriptor with NEXT set");
                if (l == 0 || l % DESC_SIZE != 0 || l / DESC_SIZE > MAX_INDIRECT) {
                    throw new VirtqueueException("indirect table of " + l + " bytes");
                }
                if (!ram.contains(a, l)) {
                    throw new VirtqueueException(String.format("indirect table 0x%x+%d is outside RAM", a, l));
                }
                tableAddr = a;
                tableSize = (int) (l / DESC_SIZE);
                inIndirect = true;
                idx = 0;
                steps = 0;
                continue;
            }
            if (!ram.contains(a, l)) {
                throw new VirtqueueException(String.format("buffer 0x%x+%d is outside RAM", a, l));
            }
            c.add(a, (int) l, (flags & F_WRITE) != 0);
            if ((flags & F_NEXT) == 0) return c;
            idx = next;
        }
    }

    private void add(long a, int l, boolean write) throws VirtqueueException {
        if (write) {
            if (firstWritable < 0) firstWritable = count;
            writable += l & 0xffff_ffffL;
        } else {
            if (firstWritable >= 0) throw new VirtqueueException("device-readable buffer after a device-writable one");
            readable += l & 0xffff_ffffL;
        }
        if (readable + writable > 0xffff_ffffL) throw new VirtqueueException("descriptor chain longer than 4 GiB");
        if (count == addr.length) {
            addr = java.util.Arrays.copyOf(addr, count * 2);
            len = java.util.Arrays.copyOf(len, count * 2);
        }
        addr[count] = a;
        len[count] = l;
        count++;
    }

    /** Index of the head descriptor: the id the used ring reports. */
    public int head() { return head; }

    /** Total bytes in the device-readable buffers. */
    public long readable() { return readable; }

    /** Total bytes in the device-writable buffers. */
    public long writable() { return writable; }

    public long remainingReadable() { return readable - read; }

    public long remainingWritable() { return writable - written; }

    /** Bytes written so far: the {@code len} of the used ring element. */
    public long written() { return written; }

    private int readEnd() { return firstWritable < 0 ? count : firstWritable; }

    /** The next piece of readable guest memory, at most {@code max} bytes; advances the read cursor. Null when none is left. */
    public MemorySegment nextReadable(long max) {
        while (rSeg < readEnd() && rOff == (len[rSeg] & 0xffff_ffffL)) {
            rSeg++;
            rOff = 0;
        }
        if (rSeg >= readEnd() || max <= 0) return null;
        long n = Math.min(max, (len[rSeg] & 0xffff_ffffL) - rOff);
        MemorySegment s = ram.dma(addr[rSeg] + rOff, n);
        rOff += n;
        read += n;
        return s;
    }

    /**
     * The next piece of writable guest memory, at most {@code max} bytes; advances the write
     * cursor and counts the bytes as written. Null when none is left.
     */
    public MemorySegment nextWritable(long max) {
        if (firstWritable < 0) return null;
        if (wSeg < firstWritable) {
            wSeg = firstWritable;
            wOff = 0;
        }
        while (wSeg < count && wOff == (len[wSeg] & 0xffff_ffffL)) {
            wSeg++;
            wOff = 0;
        }
        if (wSeg >= count || max <= 0) return null;
        long n = Math.min(max, (len[wSeg] & 0xffff_ffffL) - wOff);
        MemorySegment s = ram.dma(addr[wSeg] + wOff, n);
        wOff += n;
        written += n;
        return s;
    }

    /** Copies up to {@code n} readable bytes into {@code dst[off..]}; returns how many. */
    public int read(byte[] dst, int off, int n) {
        int done = 0;
        MemorySegment s;
        while (done < n && (s = nextReadable(n - done)) != null) {
            MemorySegment.copy(s, ValueLayout.JAVA_BYTE, 0, dst, off + done, (int) s.byteSize());
            done += (int) s.byteSize();
        }
        return done;
    }

    /** The next {@code n} readable bytes as a little-endian buffer, or null if fewer are left. */
    public ByteBuffer readHeader(int n) {
        if (remainingReadable() < n) return null;
        byte[] b = new byte[n];
        read(b, 0, n);
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** All remaining readable bytes, or null if there are more than {@code max}. */
    public byte[] readAll(int max) {
        if (remainingReadable() > max) return null;
        byte[] b = new byte[(int) remainingReadable()];
        read(b, 0, b.length);
        return b;
    }

    /** Skips up to {@code n} readable bytes. */
    public void skipReadable(long n) {
        long left = n;
        MemorySegment s;
        while (left > 0 && (s = nextReadable(left)) != null) left -= s.byteSize();
    }

    /** Copies up to {@code n} bytes from {@code src[off..]} into the writable buffers; returns how many fit. */
    public int write(byte[] src, int off, int n) {
        int done = 0;
        MemorySegment s;
        while (done < n && (s = nextWritable(n - done)) != null) {
            MemorySegment.copy(src, off + done, s, ValueLayout.JAVA_BYTE, 0, (int) s.byteSize());
            done += (int) s.byteSize();
        }
        return done;
    }

    public int write(byte[] src) { return write(src, 0, src.length); }

    /** Copies up to {@code n} bytes from a host segment into the writable buffers; returns how many fit. */
    public long write(MemorySegment src) {
        long done = 0, n = src.byteSize();
        MemorySegment s;
        while (done < n && (s = nextWritable(n - done)) != null) {
            MemorySegment.copy(src, done, s, 0, s.byteSize());
            done += s.byteSize();
        }
        return done;
    }

    /** Fills up to {@code n} writable bytes with zeros. */
    public void fillWritable(long n) {
        long left = n;
        MemorySegment s;
        while (left > 0 && (s = nextWritable(left)) != null) {
            s.fill((byte) 0);
            left -= s.byteSize();
        }
    }

    /** Tells RAM's page watchers about everything written, before the used ring publishes it. */
    void publishWrites() {
        long left = written;
        if (firstWritable < 0) return;
        for (int i = firstWritable; i < count && left > 0; i++) {
            long n = Math.min(left, len[i] & 0xffff_ffffL);
            ram.dmaWritten(addr[i], n);
            left -= n;
        }
    }

    /** Number of buffers in the chain (after following an indirect table). */
    public int buffers() { return count; }
}
