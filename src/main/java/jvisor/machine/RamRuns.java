package jvisor.machine;

import jvisor.memory.GuestRam;

/** Finds runs of RAM pages: those that hold anything but zeros (what a snapshot must carry), or a given set. */
final class RamRuns {
    private RamRuns() {}

    /** {@code [firstPage, pageCount]} pairs in page order. */
    static int[] of(GuestRam ram) {
        return of(ram.pagesInUse(), (int) (ram.size() >>> GuestRam.PAGE_SHIFT));
    }

    /** The runs of the pages set in {@code used}, as {@link #of(GuestRam)} gives them. */
    static int[] of(java.util.BitSet used, int pages) {
        int[] runs = new int[16];
        int n = 0;
        int start = -1;
        for (int p = 0; p <= pages; p++) {
            boolean data = p < pages && used.get(p);
            if (data && start < 0) start = p;
            if (!data && start >= 0) {
                if (n + 2 > runs.length) runs = java.util.Arrays.copyOf(runs, runs.length * 2);
                runs[n++] = start;
                runs[n++] = p - start;
                start = -1;
            }
        }
        return java.util.Arrays.copyOf(runs, n);
    }
}
