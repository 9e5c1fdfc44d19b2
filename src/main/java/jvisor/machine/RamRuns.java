package jvisor.machine;

import jvisor.memory.GuestRam;

/** Finds runs of RAM pages: those that hold anything but zeros (what a snapshot must carry), or a given set. */
final class RamRuns {
    private RamRuns() {}

    /** {@code [firstPage, pageCount]} pairs in page order. */
    static int[] of(GuestRam ram) {
        return of(ram.pagesInUse(), (int) (ram.size() >>> GuestRam.PAGE_SHIFT));
    }

    /**
     * The runs of the pages set in {@code used}, as {@link #of(GuestRam)} gives them. It skips from
     * run to run: a migration's last round, taken while the guest stands still, has a few dozen
     * pages among RAM's hundred thousand, and this code runs too seldom for HotSpot to compile.
     */
    static int[] of(java.util.BitSet used, int pages) {
        int[] runs = new int[16];
        int n = 0;
        int start = used.nextSetBit(0);
        while (start >= 0 && start < pages) {
            int end = Math.min(used.nextClearBit(start), pages);
            if (n + 2 > runs.length) runs = java.util.Arrays.copyOf(runs, runs.length * 2);
            runs[n++] = start;
            runs[n++] = end - start;
            start = used.nextSetBit(end);
        }
        return java.util.Arrays.copyOf(runs, n);
    }
}
