package jvisor.jit;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jvisor.cpu.Region;
import jvisor.memory.GuestRam;

/**
 * Compiled regions shared by every machine of the process, so that ten VMs booting one kernel
 * compile its hot code once (issues 15–17).
 *
 * <p>A region is found by its {@link Code}: the decoded op of each of its slots and its entry
 * slots, which is all that {@link RegionCompiler}'s code generation reads. Nothing of the regime
 * goes in, as none is compiled in: privilege, address translation (the H extension's two stages
 * included), the FPU's state and rounding mode are checked at run time through the hart and its
 * MMU, pcs are computed from the entry pc (so neither the virtual nor the physical address of the
 * page matters), XLEN is 64 and the instruction budget a constant of the process. A page that was
 * written has other ops, so other code: a stale region cannot be found.
 *
 * <p>Regions are also listed under a hash of the whole content of each page they were compiled
 * or found for, so that a machine can install them as soon as a page with that content becomes
 * code ({@link RegionCompiler#adopt}), before its interpreter has counted anything; the hash only
 * finds candidates, whose ops are then compared exactly.
 *
 * <p>Bounded: the cache holds regions weakly, so a region lives as long as some machine has it
 * installed, plus those of the last {@link #RETAINED} compilations and finds, held strongly in a
 * ring so that a VM started after another stopped still finds its code. A hidden class no one references is
 * unloaded with its metaspace and native code.
 */
final class RegionCache {
    /** Uses whose regions stay alive though no machine runs them: a kernel's boot uses some 400–1000. */
    static final int RETAINED = Integer.getInteger("jvisor.jit.retained", 4096);

    /** The process's cache. */
    static final RegionCache SHARED = new RegionCache(RETAINED);

    /**
     * The input of code generation: {@code [members, slot, op, slot, op, ..., entry, entry, ...]},
     * members in slot order.
     */
    record Code(long[] words, int hash) {
        static Code of(RegionPlan plan) {
            int[] slots = plan.slots(), entries = plan.entries();
            long[] w = new long[1 + 2 * slots.length + entries.length];
            w[0] = slots.length;
            for (int i = 0; i < slots.length; i++) {
                w[1 + 2 * i] = slots[i];
                w[2 + 2 * i] = plan.ops[slots[i]];
            }
            for (int i = 0; i < entries.length; i++) w[1 + 2 * slots.length + i] = entries[i];
            return new Code(w, Arrays.hashCode(w));
        }

        int members() { return (int) words[0]; }
        int slot(int i) { return (int) words[1 + 2 * i]; }
        long op(int i) { return words[2 + 2 * i]; }

        int[] entries() {
            int from = 1 + 2 * members();
            int[] e = new int[words.length - from];
            for (int i = 0; i < e.length; i++) e[i] = (int) words[from + i];
            return e;
        }

        @Override public boolean equals(Object o) { return o instanceof Code c && hash == c.hash && Arrays.equals(words, c.words); }
        @Override public int hashCode() { return hash; }
    }

    /** A cached region, weakly held, with what it was compiled from and the pages it was listed under. */
    static final class Entry extends WeakReference<Region> {
        final Code code;
        private long[] pages = new long[0];

        Entry(Region r, Code code, ReferenceQueue<Region> q) {
            super(r, q);
            this.code = code;
        }
    }

    private final Map<Code, Entry> byCode = new HashMap<>();
    private final Map<Long, List<Entry>> byPage = new HashMap<>();
    private final ReferenceQueue<Region> cleared = new ReferenceQueue<>();
    private final Region[] retained;
    private int next;

    RegionCache(int retained) { this.retained = new Region[Math.max(1, retained)]; }

    /** The region compiled from {@code code}, or null; lists it under page content {@code page}. */
    synchronized Region find(Code code, long page) {
        expunge();
        Entry e = byCode.get(code);
        Region r = e == null ? null : e.get();
        if (r != null) use(e, r, page);
        return r;
    }

    /** Caches {@code r}, compiled from {@code code} on a page with content hash {@code page}; returns the region to use. */
    synchronized Region put(Code code, Region r, long page) {
        expunge();
        Entry e = byCode.get(code);
        Region old = e == null ? null : e.get();
        if (old != null) r = old; // another machine compiled it meanwhile
        else byCode.put(code, e = new Entry(r, code, cleared));
        use(e, r, page);
        return r;
    }

    /** The regions listed under page content {@code page}: candidates, to be checked op by op. */
    synchronized List<Entry> candidates(long page) {
        expunge();
        List<Entry> l = byPage.get(page);
        return l == null ? List.of() : List.copyOf(l);
    }

    /** Regions cached now (alive or not yet expunged). */
    synchronized int size() {
        expunge();
        return byCode.size();
    }

    private void use(Entry e, Region r, long page) {
        retained[next] = r;
        next = (next + 1) % retained.length;
        for (long p : e.pages) if (p == page) return;
        e.pages = Arrays.copyOf(e.pages, e.pages.length + 1);
        e.pages[e.pages.length - 1] = page;
        byPage.computeIfAbsent(page, k -> new ArrayList<>(2)).add(e);
    }

    /** Forgets the regions the GC has collected. */
    private void expunge() {
        for (Object o; (o = cleared.poll()) != null; ) {
            Entry e = (Entry) o;
            byCode.remove(e.code, e);
            for (long p : e.pages) {
                List<Entry> l = byPage.get(p);
                if (l != null && l.remove(e) && l.isEmpty()) byPage.remove(p);
            }
        }
    }

    /** A hash of the content of the 4 KiB page at RAM offset {@code pageOff}. */
    static long pageHash(GuestRam ram, long pageOff) {
        long h = 0x9E3779B97F4A7C15L;
        for (long o = 0; o < GuestRam.PAGE_SIZE; o += 8) h = Long.rotateLeft((h ^ ram.getLong(pageOff + o)) * 0xC2B2AE3D27D4EB4FL, 29);
        return h;
    }
}
