package jvisor.machine;

import jvisor.memory.GuestRam;

/** Finds the runs of RAM pages that hold anything but zeros: what a snapshot must carry. */
final class RamRuns {
    private RamRuns() {}

    /** {@code [firstPage, pageCount]} pairs in page order. */
    static int[] of(GuestRam ram) {
        int pages = (int) (ram.size() >>> GuestRam.PAGE_SHIFT);
        java.util.BitSet used = ram.pagesInUse();
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
