package jvisor.fuzz;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What the instruction generators share: the code buffer, the random source, which integer
 * registers the body may not write (x0, sp, live loop counters and link registers), the write
 * sets of the functions being generated, and an estimate of the dynamic instruction count.
 */
final class Emitter {
    final Code code;
    final SplittableRandom rnd;
    private final boolean[] reserved = new boolean[32];
    private final List<BitSet> writeSets = new ArrayList<>();
    /** The last destinations, so later instructions often read fresh results. */
    private final int[] recent = {5, 6, 7, 10, 11, 12, 13, 14};
    private int recentNext;
    /** Product of the iteration counts of the enclosing loops. */
    long multiplier = 1;
    /** Estimated instructions a run executes. */
    long dynamic;
    /** Whether this program reads cycle and instret (then only jvisor's modes are compared). */
    boolean counters;
    /** The last integer or FP register an instruction wrote (-1: none since the last fold). */
    int lastX = -1, lastF = -1;
    /**
     * Swarm testing: every program uses its own random subset and weighting of the choices at
     * each decision, so the instructions it does use come often enough to meet corner values and
     * each other.
     */
    private final Map<String, int[]> swarm = new HashMap<>();

    Emitter(Code code, SplittableRandom rnd) {
        this.code = code;
        this.rnd = rnd;
        reserved[0] = true;
        reserved[2] = true; // sp: the data base, constant so the epilogue can find the dump area
    }

    void put(int word, String text) {
        code.emit32(word, text);
        dynamic += multiplier;
    }

    void putC(int half, String text) {
        code.emit16(half, text);
        dynamic += multiplier;
    }

    /** One of {@code n} choices, from this program's subset for {@code family}. */
    int pick(String family, int n) {
        int[] enabled = swarm.computeIfAbsent(family + "/" + n, k -> {
            int[] on = new int[n];
            int count = 0;
            for (int i = 0; i < n; i++) if (rnd.nextInt(3) != 0) on[count++] = i;
            if (count == 0) on[count++] = rnd.nextInt(n);
            return java.util.Arrays.copyOf(on, count);
        });
        return enabled[rnd.nextInt(enabled.length)];
    }

    /** A choice by {@code weights}, which this program scales by 0, 1, 2 or 4 each. */
    int weighted(String family, int... weights) {
        int[] w = swarm.computeIfAbsent(family, k -> {
            int[] scaled = new int[weights.length];
            int total = 0;
            for (int i = 0; i < weights.length; i++) total += scaled[i] = weights[i] * new int[] {0, 1, 2, 4}[rnd.nextInt(4)];
            return total == 0 ? weights.clone() : scaled;
        });
        int total = 0;
        for (int v : w) total += v;
        int r = rnd.nextInt(total);
        for (int i = 0; ; i++) if ((r -= w[i]) < 0) return i;
    }

    boolean chance(int percent) { return rnd.nextInt(100) < percent; }

    int below(int n) { return rnd.nextInt(n); }

    boolean isReserved(int r) { return reserved[r]; }

    void reserve(int r) { reserved[r] = true; }

    void release(int r) { reserved[r] = false; }

    /** A destination register the body may write (recorded in the open functions' write sets). */
    int rd() {
        int r;
        do r = 1 + rnd.nextInt(31); while (reserved[r]);
        return wrote(r);
    }

    /** A destination that is now and then x0, whose writes must vanish. */
    int rdOrZero() { return rnd.nextInt(25) == 0 ? 0 : rd(); }

    /** A writable destination among x8..x15 (for RVC's 3-bit fields), or -1 if all are reserved. */
    int rdC() {
        int start = rnd.nextInt(8);
        for (int i = 0; i < 8; i++) {
            int r = 8 + (start + i) % 8;
            if (!reserved[r]) return wrote(r);
        }
        return -1;
    }

    /** Records that generated code writes {@code r}, which must not be reserved. */
    int wrote(int r) {
        if (reserved[r]) throw new IllegalStateException("x" + r + " is reserved");
        for (BitSet s : writeSets) s.set(r);
        recent[recentNext++ & 7] = r;
        lastX = r;
        lastF = -1;
        return r;
    }

    /** A source register: often a recent result, sometimes x0. */
    int rs() {
        int k = rnd.nextInt(10);
        if (k < 4) return recent[rnd.nextInt(8)];
        if (k == 4) return 0;
        return rnd.nextInt(32);
    }

    /** A source among x8..x15. */
    int rsC() { return 8 + rnd.nextInt(8); }

    int fr() { return rnd.nextInt(32); }

    /** An FP destination register. */
    int frd() {
        lastF = rnd.nextInt(32);
        lastX = -1;
        return lastF;
    }

    /** Starts recording the registers written, for a function body. */
    BitSet openWriteSet() {
        BitSet s = new BitSet();
        writeSets.add(s);
        return s;
    }

    void closeWriteSet(BitSet s) { writeSets.remove(s); }

    /** True if code writing {@code writes} may run here without clobbering a reserved register. */
    boolean mayWrite(BitSet writes) {
        for (int r = writes.nextSetBit(0); r >= 0; r = writes.nextSetBit(r + 1)) if (reserved[r]) return false;
        return true;
    }

    /** A 12-bit immediate leaning to small values and the extremes. */
    int imm12() {
        return switch (rnd.nextInt(10)) {
            case 0, 1, 2 -> rnd.nextInt(33) - 16;
            case 3 -> new int[] {-2048, 2047, -1, 0, 1, 0x7ff, -0x800 + 1}[rnd.nextInt(7)];
            default -> rnd.nextInt(4096) - 2048;
        };
    }

    /** Puts the 32-bit value {@code v} sign-extended into {@code rd} (lui + addiw). */
    void li32(int rd, int v) {
        int hi = (v + 0x800) >>> 12, lo = v << 20 >> 20;
        put(Rv.u(Rv.LUI, rd, hi), "lui " + Rv.x(rd) + ", 0x" + Integer.toHexString(hi & 0xfffff));
        put(Rv.i(Rv.OP_IMM_32, 0, rd, rd, lo), "addiw " + Rv.x(rd) + ", " + Rv.x(rd) + ", " + lo);
    }

    void addi(int rd, int rs1, int imm) {
        put(Rv.addi(rd, rs1, imm), "addi " + Rv.x(rd) + ", " + Rv.x(rs1) + ", " + imm);
    }
}
