package jvisor.cpu;

/**
 * A direct-mapped software TLB for one privilege level: a virtual page to the RAM offset of the
 * 4 KiB page, separately for loads, stores and fetches, so a hit needs no permission check.
 * Each table interleaves {tag, offset} pairs so a lookup touches one cache line. Only RAM pages
 * are entered; device pages always take the slow path. A store entry exists only once the PTE's
 * D bit is set and the page is not watched (code or HTIF pages).
 *
 * <p>A tag is the page's virtual address, so one subtraction gives both the hit test and the
 * offset in the page. An empty slot holds the address of a page that maps to another slot, which
 * no lookup in this slot can match.
 */
final class Tlb {
    /**
     * 1024 entries: a boot of Debian's kernel walked the page table half as often as with 256, and
     * mips.S (every access a hit) ran as fast (docs/PERFORMANCE.md, issue 17).
     */
    static final int BITS = 10, SIZE = 1 << BITS;
    /** Slots of the set of superpages entered; past three quarters full it stops listing. */
    private static final int SUPERPAGE_SLOTS = 1024, SUPERPAGES = SUPERPAGE_SLOTS * 3 / 4;

    final long[] load = new long[2 * SIZE];
    final long[] store = new long[2 * SIZE];
    final long[] fetch = new long[2 * SIZE];
    /**
     * The superpages whose translations were entered since the last full flush, a set (open
     * addressing) of keys: first VPN or-ed with the mask of the VPN bits below their level.
     * Entries are per 4 KiB page, so fencing one address of a superpage must drop its sibling
     * pages as well, and only a fence inside one of them needs to look for siblings. (Fencing a
     * page dropped every entry near it while any superpage had been entered: Linux maps its own
     * memory with superpages and fences single user pages ~100,000 times in a boot.) More than
     * {@link #SUPERPAGES} of them: the fence of any page drops what {@link #superpageSpan} says
     * may be a sibling.
     */
    private final long[] superpageKeys = new long[SUPERPAGE_SLOTS];
    private int superpages;
    /** The masks of every superpage entered since the last full flush, or-ed (0 if none). */
    private long superpageSpan;
    /** Bit L set: superpages of level L (9 * L VPN bits below them) were entered. */
    private int superpageLevels;

    Tlb() { flush(); }

    /**
     * Index of the tag for the page holding {@code va} in {@code table}; the offset follows it.
     * C2 keeps a predictable range check on each access; masking both indexes to drop them made
     * compiled regions slower (docs/PERFORMANCE.md, "The interpreter's loop").
     */
    static int slot(long[] table, long va) { return (int) (va >>> 11) & table.length - 2; }

    /** The tag of an empty slot {@code i}: a page four slots on, so it never matches here. */
    private static long empty(int i) { return (long) (i + 4 & 2 * SIZE - 2) << 11; }

    /**
     * The RAM offset for a {@code size}-byte access at {@code va} if {@code table} holds its page
     * and the access stays inside it; -1 otherwise.
     */
    static long hit(long[] table, long va, int size) {
        int i = slot(table, va);
        long inPage = va - table[i]; // unsigned: beyond the page if the tag is another page's
        return Long.compareUnsigned(inPage, 4096 - size) <= 0 ? table[i + 1] + inPage : -1;
    }

    /** The RAM offset of the page holding {@code va} if {@code table} holds it; -1 otherwise. */
    static long page(long[] table, long va) {
        int i = slot(table, va);
        return table[i] == (va & -4096L) ? table[i + 1] : -1;
    }

    static void put(long[] table, long va, long pageOff) {
        int i = slot(table, va);
        table[i] = va & -4096L;
        table[i + 1] = pageOff;
    }

    void flush() {
        empty(load);
        empty(store);
        empty(fetch);
        superpageSpan = 0;
        superpageLevels = 0;
        if (superpages > 0) java.util.Arrays.fill(superpageKeys, 0);
        superpages = 0;
    }

    /** Notes that a translation of page {@code vpn} through a superpage ({@code lowMask}: its VPN bits) may be entered. */
    void enteredSuperpage(long vpn, long lowMask) {
        superpageSpan |= lowMask;
        superpageLevels |= 1 << Long.bitCount(lowMask) / 9;
        if (superpages > SUPERPAGES) return; // too many to list
        long key = vpn & ~lowMask | lowMask; // never 0: the mask is not
        int i = superpageSlot(key);
        while (superpageKeys[i] != 0) {
            if (superpageKeys[i] == key) return;
            i = i + 1 & SUPERPAGE_SLOTS - 1;
        }
        if (++superpages <= SUPERPAGES) superpageKeys[i] = key;
    }

    private static int superpageSlot(long key) { return (int) (key ^ key >>> 17) * 0x9E3779B9 >>> 22; } // 10 bits

    private boolean listedSuperpage(long key) {
        for (int i = superpageSlot(key); superpageKeys[i] != 0; i = i + 1 & SUPERPAGE_SLOTS - 1) {
            if (superpageKeys[i] == key) return true;
        }
        return false;
    }

    private static void empty(long[] table) {
        for (int i = 0; i < table.length; i += 2) table[i] = empty(i);
    }

    /**
     * sfence.vma for one address: drops the page's entries, and if superpages have been entered,
     * every entry that a superpage holding the page may have produced (over-fencing is legal).
     */
    void flushPage(long vpn) {
        if (superpages > SUPERPAGES) {
            dropMatching(vpn, ~superpageSpan);
            return;
        }
        boolean inSuperpage = false;
        for (int level = 1; level <= 4; level++) { // a level's superpages have 9 * level VPN bits below
            if ((superpageLevels >> level & 1) == 0) continue;
            long lowMask = (1L << 9 * level) - 1;
            if (listedSuperpage(vpn & ~lowMask | lowMask)) {
                dropMatching(vpn, ~lowMask);
                inSuperpage = true;
            }
        }
        if (inSuperpage) return;
        long page = vpn << 12;
        int i = slot(load, page); // the three tables have one size
        if (load[i] == page) load[i] = empty(i);
        if (store[i] == page) store[i] = empty(i);
        if (fetch[i] == page) fetch[i] = empty(i);
    }

    /** Drops every entry whose VPN equals {@code vpn} in the bits {@code keep} has set. */
    private void dropMatching(long vpn, long keep) {
        dropMatching(load, vpn, keep);
        dropMatching(store, vpn, keep);
        dropMatching(fetch, vpn, keep);
    }

    private static void dropMatching(long[] table, long vpn, long keep) {
        for (int i = 0; i < table.length; i += 2) {
            if (((table[i] >>> 12 ^ vpn) & keep) == 0) table[i] = empty(i);
        }
    }
}
