package jvisor.cpu;

import java.util.Arrays;

/**
 * A direct-mapped software TLB for one privilege level: virtual page number to the RAM offset of
 * the 4 KiB page, separately for loads, stores and fetches, so a hit needs no permission check.
 * Only RAM pages are entered; device pages always take the slow path. A store entry exists only
 * once the PTE's D bit is set and the page is not watched (code or HTIF pages).
 */
final class Tlb {
    static final int BITS = 8, SIZE = 1 << BITS, MASK = SIZE - 1;
    private static final long INVALID = -1;

    final long[] loadTag = new long[SIZE], loadOff = new long[SIZE];
    final long[] storeTag = new long[SIZE], storeOff = new long[SIZE];
    final long[] fetchTag = new long[SIZE], fetchOff = new long[SIZE];

    Tlb() { flush(); }

    void flush() {
        Arrays.fill(loadTag, INVALID);
        Arrays.fill(storeTag, INVALID);
        Arrays.fill(fetchTag, INVALID);
    }

    void flushPage(long vpn) {
        int i = (int) vpn & MASK;
        if (loadTag[i] == vpn) loadTag[i] = INVALID;
        if (storeTag[i] == vpn) storeTag[i] = INVALID;
        if (fetchTag[i] == vpn) fetchTag[i] = INVALID;
    }

    /** Drops store entries that map to the RAM page at {@code pageOff} (it became watched). */
    void dropStores(long pageOff) {
        for (int i = 0; i < SIZE; i++) {
            if (storeTag[i] != INVALID && storeOff[i] == pageOff) storeTag[i] = INVALID;
        }
    }
}
