package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RamRunsTest {
    private static final int PAGES = 1000;

    private static BitSet pages(int... set) {
        BitSet b = new BitSet();
        for (int p : set) b.set(p);
        return b;
    }

    @Test
    void runsArePairsOfFirstPageAndCountInPageOrder() {
        assertArrayEquals(new int[0], RamRuns.of(new BitSet(), PAGES));
        assertArrayEquals(new int[] {0, 1}, RamRuns.of(pages(0), PAGES));
        assertArrayEquals(new int[] {PAGES - 1, 1}, RamRuns.of(pages(PAGES - 1), PAGES));
        assertArrayEquals(new int[] {3, 3, 7, 1}, RamRuns.of(pages(3, 4, 5, 7), PAGES));
    }

    @Test
    void pagesBeyondRamAreNotRuns() {
        assertArrayEquals(new int[] {PAGES - 2, 2}, RamRuns.of(pages(PAGES - 2, PAGES - 1, PAGES, PAGES + 5), PAGES));
        assertArrayEquals(new int[0], RamRuns.of(pages(PAGES, PAGES + 1), PAGES));
    }

    @Test
    void manyRunsMatchAPageByPageWalk() {
        SplittableRandom random = new SplittableRandom(42);
        for (int round = 0; round < 50; round++) {
            BitSet used = new BitSet();
            for (int p = 0; p < PAGES; p++) if (random.nextInt(3) == 0) used.set(p);
            assertArrayEquals(walk(used), RamRuns.of(used, PAGES));
        }
    }

    /** The runs found by looking at every page. */
    private static int[] walk(BitSet used) {
        int[] runs = new int[2 * PAGES];
        int n = 0;
        for (int p = 0; p < PAGES; p++) {
            if (!used.get(p)) continue;
            if (n > 0 && runs[n - 2] + runs[n - 1] == p) {
                runs[n - 1]++;
            } else {
                runs[n++] = p;
                runs[n++] = 1;
            }
        }
        return java.util.Arrays.copyOf(runs, n);
    }
}
