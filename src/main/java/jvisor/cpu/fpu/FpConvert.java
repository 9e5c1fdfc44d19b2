package jvisor.cpu.fpu;

import static jvisor.cpu.fpu.FpRound.NV;
import static jvisor.cpu.fpu.FpRound.NX;
import static jvisor.cpu.fpu.FpRound.RNE;
import static jvisor.cpu.fpu.FpRound.D_EXP;
import static jvisor.cpu.fpu.FpRound.D_FRAC;
import static jvisor.cpu.fpu.FpRound.S_EXP;
import static jvisor.cpu.fpu.FpRound.S_FRAC;
import static jvisor.cpu.fpu.FpBits.CANON_D;
import static jvisor.cpu.fpu.FpBits.CANON_S;
import static jvisor.cpu.fpu.FpBits.isNaN;
import static jvisor.cpu.fpu.FpBits.isSNaN;

/**
 * Conversions between floating-point formats and integers (F chapter, "Single-Precision
 * Floating-Point Conversion and Move Instructions"; D chapter, "Double-Precision Floating-Point
 * Conversion and Move Instructions").
 */
final class FpConvert {
    private FpConvert() {}

    /** Integer kinds, matching the rs2 field of fcvt: W, WU, L, LU. */
    static final int W = 0, WU = 1, L = 2, LU = 3;

    /** Largest valid result per kind, also the result for NaN and +overflow (spec's fcvt table). */
    private static long maxOf(int kind) {
        switch (kind) {
            case W: return Integer.MAX_VALUE;
            case L: return Long.MAX_VALUE;
            default: return -1L; // 2^32-1 sign-extended as a 32-bit result, or 2^64-1
        }
    }

    private static long minOf(int kind) {
        switch (kind) {
            case W: return Integer.MIN_VALUE;
            case L: return Long.MIN_VALUE;
            default: return 0;
        }
    }

    /**
     * fcvt.{w,wu,l,lu}.d: rounds to an integer in rm; out-of-range values and NaN saturate and
     * raise NV only (no NX), in-range inexact values raise NX. 32-bit results are sign-extended.
     */
    static long toInt(FpArith st, long a, int rm, int kind) {
        int e = (int) (a >>> 52) & 0x7ff;
        int sign = (int) (a >>> 63);
        if (e == 0x7ff) {
            st.flags |= NV;
            return sign != 0 && !isNaN(a) ? minOf(kind) : maxOf(kind);
        }
        long m = a & 0xfffffffffffffL;
        if (e != 0) m |= 1L << 52;
        int sh = (e == 0 ? 1 : e) - 1075; // value = m * 2^sh
        long mag;
        boolean inexact = false;
        if (m == 0) {
            mag = 0;
        } else if (sh >= 0) {
            if (sh > 11) return invalid(st, sign, kind); // >= 2^64
            mag = m << sh;
        } else {
            long q, rem, half;
            int s = -sh;
            if (s > 63) { q = 0; rem = 1; half = 2; } // below one half
            else { q = m >>> s; rem = m & ((1L << s) - 1); half = 1L << (s - 1); }
            mag = FpRound.roundUp(rm, sign, q, rem, half) ? q + 1 : q;
            inexact = rem != 0;
        }
        boolean ok;
        switch (kind) {
            case W:  ok = Long.compareUnsigned(mag, sign != 0 ? 0x80000000L : 0x7fffffffL) <= 0; break;
            case WU: ok = sign != 0 ? mag == 0 : Long.compareUnsigned(mag, 0xffffffffL) <= 0; break;
            case L:  ok = Long.compareUnsigned(mag, sign != 0 ? Long.MIN_VALUE : Long.MAX_VALUE) <= 0; break;
            default: ok = sign == 0 || mag == 0; break;
        }
        if (!ok) return invalid(st, sign, kind);
        if (inexact) st.flags |= NX;
        long r = sign != 0 ? -mag : mag;
        return kind < L ? (long) (int) r : r;
    }

    private static long invalid(FpArith st, int sign, int kind) {
        st.flags |= NV;
        return sign != 0 ? minOf(kind) : maxOf(kind);
    }

    /** fcvt.{w,wu,l,lu}.s: singles are exact doubles, so convert after the NaN test. */
    static long toIntS(FpArith st, int a, int rm, int kind) {
        if (isNaN(a)) return toInt(st, CANON_D, rm, kind);
        return toInt(st, Double.doubleToRawLongBits(Float.intBitsToFloat(a)), rm, kind);
    }

    /**
     * fcvt.{d,s}.{w,wu,l,lu}: v is the register value, already sign- or zero-extended for the
     * 32-bit kinds. Returns double bits, or single bits in the low word when single is set.
     */
    static long fromInt(FpArith st, long v, int kind, int rm, boolean single) {
        boolean unsigned = kind == WU || kind == LU;
        if (kind == W) v = (int) v;
        else if (kind == WU) v &= 0xffffffffL;
        int sign = !unsigned && v < 0 ? 1 : 0;
        long mag = sign != 0 ? -v : v; // -Long.MIN_VALUE is 2^63 read unsigned
        if (mag == 0) return 0;
        long exactLimit = single ? 1L << 24 : 1L << 53;
        if (mag > 0 && mag <= exactLimit) { // fast path: exactly representable
            double d = sign != 0 ? -(double) mag : (double) mag;
            return single ? Float.floatToRawIntBits((float) d) & 0xffffffffL : Double.doubleToRawLongBits(d);
        }
        int top = 63 - Long.numberOfLeadingZeros(mag);
        long sig = top == 63 ? (mag >>> 1) | (mag & 1) : mag << (62 - top);
        return single
                ? FpRound.pack(st, sign, top, sig, rm, S_FRAC, S_EXP) & 0xffffffffL
                : FpRound.pack(st, sign, top, sig, rm, D_FRAC, D_EXP);
    }

    /** fcvt.s.d: rounds in rm; NaN gives the canonical NaN (NV if signalling). */
    static int dToS(FpArith st, long a, int rm) {
        if (isNaN(a)) {
            if (isSNaN(a)) st.flags |= NV;
            return CANON_S;
        }
        double d = Double.longBitsToDouble(a);
        float f = (float) d;
        if (f == d || Double.isInfinite(d)) return Float.floatToRawIntBits(f); // exact, zero, or inf
        if (rm == RNE) {
            float af = Math.abs(f);
            if (af > 0x1p-126f && af <= Float.MAX_VALUE) { st.flags |= NX; return Float.floatToRawIntBits(f); }
        }
        return (int) FpRound.packDouble(st, d, 0, rm, S_FRAC, S_EXP);
    }

    /** fcvt.d.s: always exact; NaN gives the canonical NaN (NV if signalling). */
    static long sToD(FpArith st, int a) {
        if (isNaN(a)) {
            if (isSNaN(a)) st.flags |= NV;
            return CANON_D;
        }
        return Double.doubleToRawLongBits(Float.intBitsToFloat(a));
    }
}
