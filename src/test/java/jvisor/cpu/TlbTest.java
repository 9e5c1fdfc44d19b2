package jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The software TLB's lookups: tags are page addresses, empty slots never match. */
class TlbTest {
    private static final long PAGE = 4096;

    @Test
    void aFlushedTlbMissesEveryAddress() {
        Tlb tlb = new Tlb();
        // Every page an empty slot's tag could name, and the pages around address 0 and the top.
        for (long page = -8; page < 2 * Tlb.SIZE + 8; page++) {
            for (long va : new long[] {page * PAGE, page * PAGE + 8, page * PAGE + PAGE - 8}) {
                assertEquals(-1, Tlb.hit(tlb.load, va, 8), () -> "va 0x" + Long.toHexString(va));
                assertEquals(-1, Tlb.hit(tlb.store, va, 1));
                assertEquals(-1, Tlb.page(tlb.fetch, va));
            }
        }
    }

    @Test
    void aHitGivesTheOffsetInsideThePageOnly() {
        Tlb tlb = new Tlb();
        long va = 0xffff_ffc0_1234_5000L; // an Sv39 kernel address
        Tlb.put(tlb.load, va + 0x10, 0x7000);
        assertEquals(0x7000, Tlb.hit(tlb.load, va, 8));
        assertEquals(0x7ff8, Tlb.hit(tlb.load, va + 0xff8, 8));
        assertEquals(0x7fff, Tlb.hit(tlb.load, va + 0xfff, 1));
        assertEquals(-1, Tlb.hit(tlb.load, va + 0xffc, 8), "an access that crosses the page end goes slow");
        assertEquals(-1, Tlb.hit(tlb.load, va - 8, 8), "the page below");
        assertEquals(-1, Tlb.hit(tlb.load, va + PAGE, 8), "the page above");
        assertEquals(-1, Tlb.hit(tlb.load, va + Tlb.SIZE * PAGE, 8), "another page in the same slot");
        assertEquals(0x7000, Tlb.page(tlb.load, va + 0x123));
    }

    @Test
    void flushingAPageDropsItFromEveryTable() {
        Tlb tlb = new Tlb();
        long va = 0x4000_3000L;
        Tlb.put(tlb.load, va, 0);
        Tlb.put(tlb.store, va, 0);
        Tlb.put(tlb.fetch, va, 0);
        Tlb.put(tlb.load, va + PAGE, PAGE);
        tlb.flushPage(va >>> 12);
        assertEquals(-1, Tlb.hit(tlb.load, va, 4));
        assertEquals(-1, Tlb.hit(tlb.store, va, 4));
        assertEquals(-1, Tlb.page(tlb.fetch, va));
        assertEquals(PAGE + 4, Tlb.hit(tlb.load, va + PAGE + 4, 4), "its neighbour stays");
    }

    @Test
    void flushingAPageOfASuperpageDropsItsSiblings() {
        Tlb tlb = new Tlb();
        long mega = 0x8020_0000L; // a 2 MiB superpage entered page by page
        tlb.enteredSuperpage(mega >>> 12, (1L << 9) - 1);
        Tlb.put(tlb.load, mega, 0);
        Tlb.put(tlb.load, mega + 5 * PAGE, 5 * PAGE);
        Tlb.put(tlb.load, mega + (1 << 21), 1 << 21); // the next superpage
        tlb.flushPage((mega + 5 * PAGE) >>> 12);
        assertEquals(-1, Tlb.hit(tlb.load, mega, 8));
        assertEquals(-1, Tlb.hit(tlb.load, mega + 5 * PAGE, 8));
        assertEquals(1 << 21, Tlb.hit(tlb.load, mega + (1 << 21), 8));
    }

    @Test
    void flushingAPageOutsideEverySuperpageKeepsTheirPages() {
        Tlb tlb = new Tlb();
        long mega = 0x8020_0000L, user = 0x4000_3000L;
        tlb.enteredSuperpage(mega >>> 12, (1L << 9) - 1);
        Tlb.put(tlb.load, mega + 5 * PAGE, 5 * PAGE);
        Tlb.put(tlb.load, user, 0);
        tlb.flushPage(user >>> 12);
        assertEquals(-1, Tlb.hit(tlb.load, user, 8));
        assertEquals(5 * PAGE, Tlb.hit(tlb.load, mega + 5 * PAGE, 8));
    }

    @Test
    void pastTheSuperpagesItListsAFenceDropsEveryPossibleSibling() {
        Tlb tlb = new Tlb();
        long mega = 0x8020_0000L;
        int n = 1000;
        for (int k = 0; k < n; k++) tlb.enteredSuperpage((mega + ((long) k << 21)) >>> 12, (1L << 9) - 1);
        long last = mega + ((long) (n - 1) << 21);
        Tlb.put(tlb.load, mega + 5 * PAGE, 5 * PAGE);
        Tlb.put(tlb.load, last + 7 * PAGE, 7 * PAGE);
        tlb.flushPage(last >>> 12); // the last one entered, past the list
        assertEquals(-1, Tlb.hit(tlb.load, last + 7 * PAGE, 8));
        assertEquals(5 * PAGE, Tlb.hit(tlb.load, mega + 5 * PAGE, 8), "another superpage's page stays");
    }

    @Test
    void aFenceFindsTheSuperpageOfEachLevelItLiesIn() {
        Tlb tlb = new Tlb();
        long giga = 0xC000_0000L, mega = 0x8020_0000L;
        tlb.enteredSuperpage(giga >>> 12, (1L << 18) - 1); // a 1 GiB one
        tlb.enteredSuperpage(mega >>> 12, (1L << 9) - 1); // and a 2 MiB one elsewhere
        Tlb.put(tlb.load, giga + (300L << 12), 1);
        Tlb.put(tlb.load, mega + 3 * PAGE, 3 * PAGE);
        tlb.flushPage((giga + (5L << 21)) >>> 12); // inside the 1 GiB superpage only
        assertEquals(-1, Tlb.hit(tlb.load, giga + (300L << 12), 8));
        assertEquals(3 * PAGE, Tlb.hit(tlb.load, mega + 3 * PAGE, 8));
        tlb.flushPage((mega + 9 * PAGE) >>> 12);
        assertEquals(-1, Tlb.hit(tlb.load, mega + 3 * PAGE, 8));
    }
}
