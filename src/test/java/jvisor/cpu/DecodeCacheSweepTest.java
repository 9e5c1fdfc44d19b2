package jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jvisor.memory.Bus;
import jvisor.memory.GuestRam;
import org.junit.jupiter.api.Test;

/**
 * Decoded pages no hart has entered for {@link DecodeCache#SWEEP_EPOCHS} heat epochs are dropped
 * as a store would drop them (no longer watched; the next fetch decodes afresh); a page entered
 * meanwhile stays, and so does one whose epoch lies ahead (a restored clock went back).
 */
class DecodeCacheSweepTest {
    private static final long PAGE = GuestRam.PAGE_SIZE;

    @Test
    void pagesUnenteredForLongAreDroppedAndDecodedAfresh() {
        GuestRam ram = new GuestRam(0x8000_0000L, 1 << 20);
        DecodeCache decoded = new DecodeCache(ram);
        Hart hart = new Hart(0, new Bus(ram), decoded, new Clock() {
            @Override public long now() { return 0; }
            @Override public long nanosUntil(long ticks) { return 0; }
        });
        hart.heatEpoch = 100;
        CodePage cold = decoded.page(0, hart), hot = decoded.page(PAGE, hart), ahead;
        hart.heatEpoch = 300;
        ahead = decoded.page(2 * PAGE, hart);
        assertTrue(ram.watched(0) && ram.watched(PAGE) && ram.watched(2 * PAGE), "decoded pages are watched");

        decoded.sweep(100 + DecodeCache.SWEEP_EPOCHS - 1);
        assertSame(cold, decoded.page(0, hart), "not yet");

        hot.heatEpoch = 110; // entered later
        decoded.sweep(100 + DecodeCache.SWEEP_EPOCHS);
        assertFalse(ram.watched(0), "a dropped page is no longer watched: stores to it go the fast way");
        assertSame(hot, decoded.page(PAGE, hart), "entered within the limit: kept");
        assertSame(ahead, decoded.page(2 * PAGE, hart), "its epoch lies ahead: kept");
        CodePage again = decoded.page(0, hart);
        assertNotSame(cold, again, "decoded afresh");
        assertTrue(ram.watched(0), "and watched again");
    }
}
