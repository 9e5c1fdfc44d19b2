package jvisor.cpu;

import jvisor.memory.GuestRam;
import jvisor.memory.PageWatcher;

/**
 * Decoded instructions per physical RAM page: 2048 slots, one per 2-byte instruction position,
 * filled lazily by the interpreter. A decoded page is watched, so any store to it (by a hart or a
 * device) throws the whole page away; the next fetch decodes afresh. Shared by all harts of a
 * machine since decoding depends only on the bytes.
 */
public final class DecodeCache implements PageWatcher {
    static final int SLOTS = 2048;

    private final GuestRam ram;
    private final long[][] pages;

    public DecodeCache(GuestRam ram) {
        this.ram = ram;
        this.pages = new long[(int) (ram.size() >>> GuestRam.PAGE_SHIFT)][];
    }

    /** The decoded slots of the RAM page at offset {@code pageOff}, created (and watched) on first use. */
    long[] page(long pageOff) {
        int p = (int) (pageOff >>> GuestRam.PAGE_SHIFT);
        long[] slots = pages[p];
        if (slots == null) {
            slots = new long[SLOTS];
            pages[p] = slots;
            ram.watch(pageOff, this);
        }
        return slots;
    }

    @Override
    public void written(long pa, int size) {
        long off = (pa - ram.base()) & -GuestRam.PAGE_SIZE;
        pages[(int) (off >>> GuestRam.PAGE_SHIFT)] = null;
        ram.unwatch(off, this);
    }

    /** Forgets every decoded page (fence.i is handled by ending the block; this is for resets). */
    public void clear() {
        for (int p = 0; p < pages.length; p++) {
            if (pages[p] != null) {
                pages[p] = null;
                ram.unwatch((long) p << GuestRam.PAGE_SHIFT, this);
            }
        }
    }
}
