package jvisor.cpu.fpu;

import static jvisor.cpu.fpu.FpRound.NV;
import static jvisor.cpu.fpu.FpBits.CANON_D;
import static jvisor.cpu.fpu.FpBits.CANON_S;
import static jvisor.cpu.fpu.FpBits.isNaN;
import static jvisor.cpu.fpu.FpBits.isSNaN;

/**
 * fmin/fmax, feq/flt/fle (F chapter, "Single-Precision Floating-Point Compare Instructions" and
 * min/max, which follow IEEE 754-2019 minimumNumber/maximumNumber).
 */
final class FpCompare {
    private FpCompare() {}

    /** minimumNumber/maximumNumber: a NaN loses to a number, -0 < +0, two NaNs give the canonical NaN. */
    static long minMaxD(FpArith st, long a, long b, boolean max) {
        boolean na = isNaN(a), nb = isNaN(b);
        if (na || nb) {
            if (isSNaN(a) || isSNaN(b)) st.flags |= NV;
            return na && nb ? CANON_D : na ? b : a;
        }
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b);
        if (x < y) return max ? b : a;
        if (x > y) return max ? a : b;
        // equal: identical bits, or +0 and -0 where the sign bit decides
        return max ? a & b : a | b;
    }

    static int minMaxS(FpArith st, int a, int b, boolean max) {
        boolean na = isNaN(a), nb = isNaN(b);
        if (na || nb) {
            if (isSNaN(a) || isSNaN(b)) st.flags |= NV;
            return na && nb ? CANON_S : na ? b : a;
        }
        float x = Float.intBitsToFloat(a), y = Float.intBitsToFloat(b);
        if (x < y) return max ? b : a;
        if (x > y) return max ? a : b;
        return max ? a & b : a | b;
    }

    /** Compare kinds, matching the funct3 field of feq (2), flt (1) and fle (0). */
    static final int LE = 0, LT = 1, EQ = 2;

    /** feq is a quiet comparison (NV only for sNaN); flt and fle signal on any NaN. */
    static long cmpD(FpArith st, long a, long b, int kind) {
        if (isNaN(a) || isNaN(b)) {
            if (kind != EQ || isSNaN(a) || isSNaN(b)) st.flags |= NV;
            return 0;
        }
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b);
        boolean r = kind == EQ ? x == y : kind == LT ? x < y : x <= y;
        return r ? 1 : 0;
    }

    static long cmpS(FpArith st, int a, int b, int kind) {
        if (isNaN(a) || isNaN(b)) {
            if (kind != EQ || isSNaN(a) || isSNaN(b)) st.flags |= NV;
            return 0;
        }
        float x = Float.intBitsToFloat(a), y = Float.intBitsToFloat(b);
        boolean r = kind == EQ ? x == y : kind == LT ? x < y : x <= y;
        return r ? 1 : 0;
    }
}
