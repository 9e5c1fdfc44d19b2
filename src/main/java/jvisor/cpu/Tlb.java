package jvisor.cpu;

import java.util.Arrays;

/**
 * A direct-mapped software TLB for one privilege level: virtual page number to the RAM offset of
 * the 4 KiB page, separately for loads, stores and fetches, so a hit needs no permission check.
 * Each table interleaves {tag, offset} pairs so a lookup touches one cache line. Only RAM pages
 * are entered; device pages always take the slow path. A store entry exists only once the PTE's
 * D bit is set and the page is not watched (code or HTIF pages).
 */
final class Tlb {
    static final int BITS = 8, SIZE = 1 << BITS;
    private static final long INVALID = -1;

    final long[] load = new long[2 * SIZE];
    final long[] store = new long[2 * SIZE];
    final long[] fetch = new long[2 * SIZE];
    /**
     * VPN bits below the superpage level of any superpage translation entered since the last full
     * flush (0 if none): entries are per 4 KiB page, so fencing one address of a superpage must
     * drop its sibling pages as well.
     */
    long superpageSpan;

    Tlb() { flush(); }

    /**
     * Index of the tag for {@code vpn} in {@code table}; the offset follows it. Masking with the
     * table's own length lets C2 prove both accesses in bounds.
     */
    static int slot(long[] table, long vpn) { return (int) vpn << 1 & table.length - 2; }

    /**
     * The RAM offset for a {@code size}-byte access at {@code va} if {@code table} holds its page
     * and the access stays inside it; -1 otherwise.
     */
    static long hit(long[] table, long va, int size) {
        long vpn = va >>> 12;
        int i = slot(table, vpn);
        return table[i] == vpn && (va & 0xfff) <= 4096 - size ? table[i + 1] + (va & 0xfff) : -1;
    }

    static void put(long[] table, long vpn, long pageOff) {
        int i = slot(table, vpn);
        table[i] = vpn;
        table[i + 1] = pageOff;
    }

    void flush() {
        Arrays.fill(load, INVALID);
        Arrays.fill(store, INVALID);
        Arrays.fill(fetch, INVALID);
        superpageSpan = 0;
    }

    /**
     * sfence.vma for one address: drops the page's entries, and if superpages have been entered,
     * every entry that a superpage holding the page may have produced (over-fencing is legal).
     */
    void flushPage(long vpn) {
        if (superpageSpan == 0) {
            int i = slot(load, vpn); // the three tables have one size
            if (load[i] == vpn) load[i] = INVALID;
            if (store[i] == vpn) store[i] = INVALID;
            if (fetch[i] == vpn) fetch[i] = INVALID;
            return;
        }
        long keep = ~superpageSpan;
        dropMatching(load, vpn, keep);
        dropMatching(store, vpn, keep);
        dropMatching(fetch, vpn, keep);
    }

    private static void dropMatching(long[] table, long vpn, long keep) {
        for (int i = 0; i < table.length; i += 2) {
            if (((table[i] ^ vpn) & keep) == 0) table[i] = INVALID;
        }
    }
}
