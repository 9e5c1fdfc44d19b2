package jvisor.cpu;

import java.lang.invoke.VarHandle;

/**
 * What the CPU keeps about one physical page of guest code: its decoded instructions (one slot
 * per 2-byte position) and, once parts of it run hot, compiled regions. The whole object is
 * dropped when the page is written, so neither can go stale.
 */
public final class CodePage {
    /** Packed {@link Decoded} ops; 0 = not decoded yet, {@link Op#REGION} = enter {@link #regions}. */
    public final long[] ops = new long[DecodeCache.SLOTS];
    /** RAM offset of the page. */
    public final long pageOff;
    /** Compiled regions by entry slot; null until the first compilation. */
    Region[] regions;
    /** Profile: how often interpreted code started at each slot (wraps; only equality matters). */
    final short[] heat = new short[DecodeCache.SLOTS];
    /** The {@link Hart#heatEpoch} the counts in {@link #heat} belong to. */
    int heatEpoch;

    /** Slots a compiled region jumped to through a register (one bit each); null until one did. */
    private long[] jumpTargets;

    /** Notes that a region left through a jalr to {@code slot}. On a hart's thread. */
    void jumpedTo(int slot) {
        long[] t = jumpTargets;
        if (t == null) jumpTargets = t = new long[DecodeCache.SLOTS / 64];
        t[slot >>> 6] |= 1L << slot;
    }

    /**
     * The slots regions jumped to through a register (a switch's cases, returns) where code
     * started at least {@code min} times in the profile's current age, or so often that the count
     * wrapped; nearest to {@code near} first (most likely the same function's). Read without a
     * lock while harts count: an approximate answer is good enough.
     */
    public int[] hotJumpTargets(int min, int near) {
        long[] t = jumpTargets;
        if (t == null) return new int[0];
        int n = 0;
        long[] found = new long[16]; // distance << 16 | slot, to sort by distance
        for (int s = 0; s < DecodeCache.SLOTS; s++) {
            short h = heat[s];
            if ((t[s >>> 6] & 1L << s) != 0 && (h >= min || h < 0)) {
                if (n == found.length) found = java.util.Arrays.copyOf(found, 2 * n);
                found[n++] = (long) Math.abs(s - near) << 16 | s;
            }
        }
        java.util.Arrays.sort(found, 0, n);
        int[] slots = new int[n];
        for (int i = 0; i < n; i++) slots[i] = (int) (found[i] & 0xffff);
        return slots;
    }

    /** A debugger's private copy: never compiled, never shared ({@link DebugHook}). */
    final boolean debugCopy;

    CodePage(long pageOff) { this(pageOff, false); }

    private CodePage(long pageOff, boolean debugCopy) {
        this.pageOff = pageOff;
        this.debugCopy = debugCopy;
    }

    /**
     * A private copy for one visit of a debugged hart: the decoded ops without compiled regions
     * (their slots decode again), and a stop op in each of {@code breakpoints}' slots.
     */
    CodePage debugCopy(int[] breakpoints) {
        CodePage c = new CodePage(pageOff, true);
        for (int s = 0; s < DecodeCache.SLOTS; s++) {
            long d = ops[s];
            c.ops[s] = Decoded.op(d) == Op.REGION ? 0 : d;
        }
        for (int s : breakpoints) c.ops[s & DecodeCache.SLOTS - 1] = Op.DEBUG_BREAK;
        return c;
    }

    /**
     * Ages the profile to {@code epoch}: every count halves once per epoch gone by, so a slot
     * reaches the JIT's threshold only if it runs often (HotSpot's counter decay). Without it
     * code that runs a few times a second, such as an idle guest's timer interrupt, was compiled
     * after some minutes, one region after another, and then compiled again by the JVM's own
     * tiers: the bulk of an idle VM's host CPU (docs/PERFORMANCE.md, "Idle CPU").
     */
    void decay(int epoch) {
        int gone = epoch - heatEpoch;
        if (gone == -1) return; // a hart one block behind another at the turn of an epoch
        heatEpoch = epoch;
        if (gone < 0) return; // a restored clock went back: count on from its time
        int shift = Math.min(gone, 15);
        short[] h = heat;
        for (int i = 0; i < h.length; i++) h[i] = (short) (h[i] >> shift);
    }

    /**
     * Makes each entry slot of a compiled region enter it, unless an older region has the slot.
     * Any thread may install while harts run the page.
     */
    public void install(Jit.Compiled c) {
        Region[] r = regions;
        if (r == null) {
            // Regions installed in the same page at once must share one array, or one is lost
            // while its slot already says REGION, and every hart retries that slot forever.
            synchronized (this) {
                r = regions;
                if (r == null) regions = r = new Region[DecodeCache.SLOTS];
            }
        }
        for (int s : c.slots()) if (r[s] == null && Decoded.op(ops[s]) != Op.REGION) r[s] = c.region();
        VarHandle.releaseFence(); // harts must see the regions before the ops that enter them
        for (int s : c.slots()) if (r[s] == c.region()) ops[s] = Op.REGION | ops[s] & Decoded.COMPRESSED;
    }
}
