package jvisor.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Objects;

/**
 * Guest RAM: one native, page-aligned {@link MemorySegment} (DESIGN §4). Plain accesses use
 * unaligned little-endian layouts; atomics use aligned var handles, which can compare-and-set
 * across hart threads.
 *
 * <p>Pages can be watched: a store through the CPU's slow path or a device DMA write to a watched
 * page notifies its watchers. The CPU never installs a fast store mapping for a watched page, so
 * no store is missed.
 *
 * <p>A dirty log (for live migration) records which pages were written since it was last read.
 * Like watchers it sees only slow-path stores: the CPU marks a page when it installs a fast
 * store mapping for it, so whoever reads the log must also drop those mappings (see
 * {@link #takeDirty}).
 */
public final class GuestRam implements AutoCloseable {
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;

    static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle ATOMIC32 =
            ValueLayout.JAVA_INT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final VarHandle ATOMIC64 =
            ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    /**
     * The whole address space as one segment, through which the harts' loads and stores reach
     * RAM by its address ({@link #hartGetLong} and the like). A constant: C2 folds its checks.
     */
    private static final MemorySegment EVERYWHERE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final Arena arena;
    private final MemorySegment mem;
    /** The host address of {@link #mem}. */
    private final long address;
    private final long base;
    private final long size;
    /** Watchers per page; null where nobody watches. */
    private final PageWatcher[][] watchers;

    public GuestRam(long base, long size) {
        if (size <= 0 || (size & (PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("RAM size must be a positive multiple of 4 KiB: " + size);
        }
        this.base = base;
        this.size = size;
        this.arena = Arena.ofShared();
        this.mem = NativeMemory.allocate(size, arena);
        this.address = mem.address();
        this.watchers = new PageWatcher[(int) (size >>> PAGE_SHIFT)][];
    }

    public long base() { return base; }
    public long size() { return size; }
    public long end() { return base + size; }
    public MemorySegment segment() { return mem; }

    /** True when the {@code len} bytes at physical address {@code pa} lie inside RAM. */
    public boolean contains(long pa, long len) {
        long off = pa - base;
        return off >= 0 && len >= 0 && off <= size - len;
    }

    // Access by RAM offset (physical address minus base). Callers have checked the bounds.
    public byte getByte(long off) { return mem.get(U8, off); }
    public short getShort(long off) { return mem.get(U16, off); }
    public int getInt(long off) { return mem.get(U32, off); }
    public long getLong(long off) { return mem.get(U64, off); }
    public void putByte(long off, byte v) { mem.set(U8, off, v); }
    public void putShort(long off, short v) { mem.set(U16, off, v); }
    public void putInt(long off, int v) { mem.set(U32, off, v); }
    public void putLong(long off, long v) { mem.set(U64, off, v); }

    /*
     * The same accesses for the harts' hot paths (the MMU's TLB hits and the interpreter's): RAM's
     * address plus the offset, checked against RAM's size. Through RAM's own segment each access
     * also checked the segment's class and its session's liveness and owner; inlined at every
     * load and store of a compiled region, that was most of the region's IR, so C2 ran out of
     * its inlining budget in large regions (their later accesses stayed calls) and compiled
     * slower. cbench ran faster in each of 13 alternating pairs, by 8% (median), and C2 took 39
     * ms a region instead of 50 (docs/PERFORMANCE.md, session 17). Only for hart threads: RAM's
     * own segment fails cleanly on any thread once RAM is closed, these would touch unmapped
     * memory, so the machine frees RAM only once no thread runs a hart (HartThreads#whenNoHartRuns).
     */
    public byte hartGetByte(long off) { return EVERYWHERE.get(U8, address + Objects.checkIndex(off, size)); }
    public short hartGetShort(long off) { return EVERYWHERE.get(U16, address + Objects.checkIndex(off, size - 1)); }
    public int hartGetInt(long off) { return EVERYWHERE.get(U32, address + Objects.checkIndex(off, size - 3)); }
    public long hartGetLong(long off) { return EVERYWHERE.get(U64, address + Objects.checkIndex(off, size - 7)); }
    public void hartPutByte(long off, byte v) { EVERYWHERE.set(U8, address + Objects.checkIndex(off, size), v); }
    public void hartPutShort(long off, short v) { EVERYWHERE.set(U16, address + Objects.checkIndex(off, size - 1), v); }
    public void hartPutInt(long off, int v) { EVERYWHERE.set(U32, address + Objects.checkIndex(off, size - 3), v); }
    public void hartPutLong(long off, long v) { EVERYWHERE.set(U64, address + Objects.checkIndex(off, size - 7), v); }

    /** Zero-extended read of 1, 2, 4 or 8 bytes at RAM offset {@code off}. */
    public long read(long off, int size) {
        return switch (size) {
            case 1 -> mem.get(U8, off) & 0xffL;
            case 2 -> mem.get(U16, off) & 0xffffL;
            case 4 -> mem.get(U32, off) & 0xffff_ffffL;
            default -> mem.get(U64, off);
        };
    }

    /** Write of 1, 2, 4 or 8 bytes at RAM offset {@code off}; does not notify watchers. */
    public void write(long off, int size, long v) {
        switch (size) {
            case 1 -> mem.set(U8, off, (byte) v);
            case 2 -> mem.set(U16, off, (short) v);
            case 4 -> mem.set(U32, off, (int) v);
            default -> mem.set(U64, off, v);
        }
    }

    public boolean cas32(long off, int expect, int update) {
        return ATOMIC32.compareAndSet(mem, off, expect, update);
    }

    public boolean cas64(long off, long expect, long update) {
        return ATOMIC64.compareAndSet(mem, off, expect, update);
    }

    // Atomic read-modify-writes for AMOs (lock-prefixed instructions on x86, not CAS loops).
    public int getAndAdd32(long off, int v) { return (int) ATOMIC32.getAndAdd(mem, off, v); }
    public long getAndAdd64(long off, long v) { return (long) ATOMIC64.getAndAdd(mem, off, v); }
    public int getAndSet32(long off, int v) { return (int) ATOMIC32.getAndSet(mem, off, v); }
    public long getAndSet64(long off, long v) { return (long) ATOMIC64.getAndSet(mem, off, v); }
    public int getAndAnd32(long off, int v) { return (int) ATOMIC32.getAndBitwiseAnd(mem, off, v); }
    public long getAndAnd64(long off, long v) { return (long) ATOMIC64.getAndBitwiseAnd(mem, off, v); }
    public int getAndOr32(long off, int v) { return (int) ATOMIC32.getAndBitwiseOr(mem, off, v); }
    public long getAndOr64(long off, long v) { return (long) ATOMIC64.getAndBitwiseOr(mem, off, v); }
    public int getAndXor32(long off, int v) { return (int) ATOMIC32.getAndBitwiseXor(mem, off, v); }
    public long getAndXor64(long off, long v) { return (long) ATOMIC64.getAndBitwiseXor(mem, off, v); }

    public int getIntVolatile(long off) { return (int) ATOMIC32.getVolatile(mem, off); }
    public long getLongVolatile(long off) { return (long) ATOMIC64.getVolatile(mem, off); }

    /** Copies bytes into guest RAM at physical address {@code pa} (loaders, DMA), notifying watchers. */
    public void load(long pa, byte[] data, int from, int len) {
        if (!contains(pa, len)) {
            throw new IndexOutOfBoundsException(String.format(
                    "%d bytes at 0x%x do not fit in RAM [0x%x, 0x%x)", len, pa, base, end()));
        }
        MemorySegment.copy(data, from, mem, U8, pa - base, len);
        notifyRange(pa, len);
    }

    /** Copies bytes out of guest RAM at physical address {@code pa}. */
    public void copyOut(long pa, byte[] dst, int from, int len) {
        if (!contains(pa, len)) {
            throw new IndexOutOfBoundsException(String.format("%d bytes at 0x%x are outside RAM", len, pa));
        }
        MemorySegment.copy(mem, U8, pa - base, dst, from, len);
    }

    // ---- device DMA (virtio, issue 6) ----

    /**
     * The {@code len} bytes of RAM at physical address {@code pa}, for a device to read or write in
     * place (zero-copy file and socket I/O). The caller has checked {@link #contains}; a device that
     * writes through the view calls {@link #dmaWritten} afterwards.
     */
    public MemorySegment dma(long pa, long len) {
        if (!contains(pa, len)) {
            throw new IndexOutOfBoundsException(String.format("%d bytes at 0x%x are outside RAM", len, pa));
        }
        return mem.asSlice(pa - base, len);
    }

    /** Tells page watchers (the CPU's decode cache) that a device wrote {@code [pa, pa+len)}. */
    public void dmaWritten(long pa, long len) { notifyRange(pa, len); }

    // ---- page watches ----

    /** Watches the page holding RAM offset {@code off}. Returns true if it was not watched before. */
    public synchronized boolean watch(long off, PageWatcher w) {
        int page = (int) (off >>> PAGE_SHIFT);
        PageWatcher[] cur = watchers[page];
        if (cur == null) {
            watchers[page] = new PageWatcher[] {w};
        } else {
            for (PageWatcher p : cur) if (p == w) return false;
            PageWatcher[] next = java.util.Arrays.copyOf(cur, cur.length + 1);
            next[cur.length] = w;
            watchers[page] = next;
        }
        return true;
    }

    public synchronized void unwatch(long off, PageWatcher w) {
        int page = (int) (off >>> PAGE_SHIFT);
        PageWatcher[] cur = watchers[page];
        if (cur == null) return;
        int n = 0;
        PageWatcher[] next = new PageWatcher[cur.length];
        for (PageWatcher p : cur) if (p != w) next[n++] = p;
        watchers[page] = n == 0 ? null : java.util.Arrays.copyOf(next, n);
    }

    /** True when the page holding RAM offset {@code off} has watchers. */
    public boolean watched(long off) {
        return watchers[(int) (off >>> PAGE_SHIFT)] != null;
    }

    /** Tells the watchers of the page holding RAM offset {@code off} about a store. */
    public void notifyStore(long off, int size) {
        PageWatcher[] ws = watchers[(int) (off >>> PAGE_SHIFT)];
        if (ws != null) for (PageWatcher w : ws) w.written(base + off, size);
    }

    private void notifyRange(long pa, long len) {
        long off = pa - base;
        markDirty(off, len);
        for (long p = off & -PAGE_SIZE; p < off + len; p += PAGE_SIZE) {
            PageWatcher[] ws = watchers[(int) (p >>> PAGE_SHIFT)];
            if (ws != null) {
                long s = Math.max(p, off), e = Math.min(p + PAGE_SIZE, off + len);
                for (PageWatcher w : ws) w.written(base + s, (int) (e - s));
            }
        }
    }

    // ---- dirty log (live migration) ----

    private static final VarHandle BITS = java.lang.invoke.MethodHandles.arrayElementVarHandle(long[].class);
    /** One bit per page written since the log was last taken; null while nobody logs. */
    private volatile long[] dirty;

    /** Starts recording written pages (from an empty log). */
    public void startDirtyLog() { dirty = new long[(int) ((size >>> PAGE_SHIFT) + 63 >>> 6)]; }

    public void stopDirtyLog() { dirty = null; }

    public boolean dirtyLogging() { return dirty != null; }

    /**
     * Records that {@code [off, off+len)} is written or about to be: called on every write to
     * RAM that does not go through a fast store mapping, and when such a mapping is made.
     */
    public void markDirty(long off, long len) {
        long[] d = dirty;
        if (d == null || len <= 0) return;
        for (long p = off >>> PAGE_SHIFT, last = (off + len - 1) >>> PAGE_SHIFT; p <= last; p++) {
            long bit = 1L << p;
            int word = (int) (p >>> 6);
            if ((d[word] & bit) == 0) BITS.getAndBitwiseOr(d, word, bit);
        }
    }

    /**
     * The pages written since the last call (or since the log started), and a fresh log. The
     * caller must then drop every fast store mapping of every CPU before it reads the pages, so
     * that the next write to each of them is recorded again.
     */
    public BitSet takeDirty() {
        long[] d = dirty;
        if (d == null) throw new IllegalStateException("no dirty log");
        long[] taken = new long[d.length];
        // Only words with a bit set need the atomic swap (a bit set after the plain read stays
        // for the next call); an idle guest's log is mostly zeros, and this runs too seldom for
        // HotSpot to compile the swap.
        for (int i = 0; i < d.length; i++) if (d[i] != 0) taken[i] = (long) BITS.getAndSet(d, i, 0L);
        return BitSet.valueOf(taken);
    }

    // ---- restore (machine state stream) ----

    /**
     * Fills runs of RAM from a snapshot file without reading it: the pages are mapped
     * copy-on-write and read in as the guest touches them. {@code offsets} are RAM offsets,
     * {@code fileOffsets} positions in {@code file}, all page-aligned. Returns false where the host
     * cannot map files (the caller then copies the runs in).
     */
    public boolean mapFrom(Path file, long[] offsets, long[] lengths, long[] fileOffsets) {
        for (int i = 0; i < offsets.length; i++) {
            if (((offsets[i] | lengths[i] | fileOffsets[i]) & (PAGE_SIZE - 1)) != 0 || !contains(base + offsets[i], lengths[i])) {
                throw new IllegalArgumentException("run " + i + " is not a page-aligned part of RAM");
            }
        }
        if (!FileMapping.map(mem, file, offsets, lengths, fileOffsets)) return false;
        synchronized (this) {
            for (int i = 0; i < offsets.length; i++) {
                fileMapped.set((int) (offsets[i] >>> PAGE_SHIFT), (int) ((offsets[i] + lengths[i]) >>> PAGE_SHIFT));
            }
        }
        return true;
    }

    /**
     * Bytes of RAM the host has memory for: what the guest has touched (less what the host swapped
     * out), as RAM is mapped lazily. Null where the host cannot say.
     */
    public Long residentBytes() {
        byte[] resident = FileMapping.resident(mem);
        if (resident == null) return null;
        long pages = 0;
        for (byte b : resident) pages += b & 1;
        return pages * PAGE_SIZE;
    }

    /**
     * The pages that may hold anything but zeros: those the host has memory for, and those
     * mapped from a snapshot file. Asking the host spares reading (and so mapping) every page the
     * guest never touched; where the host cannot tell, every page is a candidate.
     */
    public BitSet pagesInUse() {
        int pages = (int) (size >>> PAGE_SHIFT);
        BitSet used = new BitSet(pages);
        byte[] resident = FileMapping.resident(mem);
        if (resident == null) {
            used.set(0, pages);
        } else {
            for (int p = 0; p < pages; p++) if ((resident[p] & 1) != 0) used.set(p);
        }
        synchronized (this) {
            used.or(fileMapped);
        }
        // Most pages in use show data in their first word; only the rest need a full look. (This
        // runs once per save in a process that may never have run it: cheap steps matter.)
        java.nio.ByteBuffer words = size <= Integer.MAX_VALUE ? mem.asByteBuffer() : null; // a view needs an int index
        for (int p = used.nextSetBit(0); p >= 0; p = used.nextSetBit(p + 1)) {
            long off = (long) p << PAGE_SHIFT;
            if (words != null && words.getLong((int) off) != 0) continue;
            if (MemorySegment.mismatch(mem, off, off + PAGE_SIZE, ZERO_PAGE, 0, PAGE_SIZE) == -1) used.clear(p);
        }
        return used;
    }

    private static final MemorySegment ZERO_PAGE = Arena.global().allocate(PAGE_SIZE);
    /** Pages mapped from a snapshot file: not resident until read, yet not zero. */
    private final BitSet fileMapped = new BitSet();

    @Override
    public void close() { arena.close(); }
}
