package jvisor.cpu.fpu;

/** Bit-level constants and helpers for binary32/binary64 values held in 64-bit f registers. */
public final class FpBits {
    private FpBits() {}

    /** Canonical quiet NaNs (unpriv. ISA, F chapter, "NaN Generation and Propagation"). */
    public static final int CANON_S = 0x7fc00000;
    public static final long CANON_D = 0x7ff8000000000000L;

    static final long D_SIGN = 0x8000000000000000L;
    static final long D_INF = 0x7ff0000000000000L;
    static final long D_QUIET = 0x0008000000000000L;
    static final int S_SIGN = 0x80000000;
    static final int S_INF = 0x7f800000;
    static final int S_QUIET = 0x00400000;

    /** Upper half of a NaN-boxed single (D chapter, "NaN Boxing of Narrower Values"). */
    static final long BOX = 0xffffffff00000000L;

    /** NaN-boxes a single for writing to an f register. */
    public static long box(int s) {
        return BOX | (s & 0xffffffffL);
    }

    /** Reads a single operand; anything not properly NaN-boxed reads as the canonical NaN. */
    public static int unbox(long r) {
        return (r & BOX) == BOX ? (int) r : CANON_S;
    }

    static boolean isNaN(long d) { return (d & ~D_SIGN) > D_INF; }
    static boolean isNaN(int s) { return (s & ~S_SIGN) > S_INF; }
    static boolean isSNaN(long d) { return isNaN(d) && (d & D_QUIET) == 0; }
    static boolean isSNaN(int s) { return isNaN(s) && (s & S_QUIET) == 0; }

    /** fclass result bits 0..9 (F chapter, "Single-Precision Floating-Point Classify Instruction"). */
    static long classD(long d) {
        boolean neg = d < 0;
        long mag = d & ~D_SIGN;
        if (mag > D_INF) return (d & D_QUIET) != 0 ? 1 << 9 : 1 << 8;
        if (mag == D_INF) return neg ? 1 : 1 << 7;
        if (mag == 0) return neg ? 1 << 3 : 1 << 4;
        if (mag < 0x0010000000000000L) return neg ? 1 << 2 : 1 << 5;
        return neg ? 1 << 1 : 1 << 6;
    }

    static long classS(int s) {
        boolean neg = s < 0;
        int mag = s & ~S_SIGN;
        if (mag > S_INF) return (s & S_QUIET) != 0 ? 1 << 9 : 1 << 8;
        if (mag == S_INF) return neg ? 1 : 1 << 7;
        if (mag == 0) return neg ? 1 << 3 : 1 << 4;
        if (mag < 0x00800000) return neg ? 1 << 2 : 1 << 5;
        return neg ? 1 << 1 : 1 << 6;
    }
}
