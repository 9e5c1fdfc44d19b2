package jvisor.cpu.fpu;

import static jvisor.cpu.fpu.FpRound.D_EXP;
import static jvisor.cpu.fpu.FpRound.D_FRAC;
import static jvisor.cpu.fpu.FpRound.RDN;

/**
 * Exact integer implementations of binary64 add, multiply, divide and fused multiply-add.
 *
 * <p>These are the slow paths behind {@link FpArith}'s host-speed fast paths: they take finite,
 * non-zero operands only (the caller resolves NaN, infinity and zero), compute the exact result
 * (or enough of it plus a sticky bit) in integers, and leave rounding to {@link FpRound}.
 */
final class SoftDouble {
    private SoftDouble() {}

    /** Significand of a finite non-zero double, normalised so that bit 52 is set. */
    static long mant(long d) {
        long m = d & 0xfffffffffffffL;
        return ((d >>> 52) & 0x7ff) == 0 ? m << (Long.numberOfLeadingZeros(m) - 11) : m | (1L << 52);
    }

    /** Unbiased exponent of the leading bit of a finite non-zero double (subnormals included). */
    static int exp(long d) {
        int e = (int) (d >>> 52) & 0x7ff;
        if (e != 0) return e - 1023;
        return -1011 - Long.numberOfLeadingZeros(d & 0xfffffffffffffL);
    }

    static int sign(long d) { return (int) (d >>> 63); }

    /** a*b exactly: the 106-bit product of the significands is rounded once. */
    static long mul(FpArith st, long a, long b, int rm) {
        long ma = mant(a), mb = mant(b);
        // ma*2^(ea-52) * mb*2^(eb-52)
        return FpRound.pack128(st, sign(a) ^ sign(b), Math.multiplyHigh(ma, mb), ma * mb,
                exp(a) + exp(b) - 104, rm, D_FRAC, D_EXP);
    }

    /** a/b: 63 quotient bits by restoring division plus a sticky remainder bit. */
    static long div(FpArith st, long a, long b, int rm) {
        long ma = mant(a), mb = mant(b);
        int e = exp(a) - exp(b);
        if (ma < mb) { ma <<= 1; e--; }
        long q = 0;
        for (int i = 0; i < 63; i++) { // quotient in [2^62, 2^63)
            q <<= 1;
            if (ma >= mb) { ma -= mb; q |= 1; }
            ma <<= 1;
        }
        if (ma != 0) q |= 1;
        return FpRound.pack(st, sign(a) ^ sign(b), e, q, rm, D_FRAC, D_EXP);
    }

    /** a+b for finite non-zero operands. */
    static long add(FpArith st, long a, long b, int rm) {
        return sum(st, sign(a), exp(a), mant(a) << 9, 0, sign(b), exp(b), mant(b) << 9, 0, rm);
    }

    /** a*b+c for finite non-zero operands, with a single rounding. */
    static long fma(FpArith st, long a, long b, long c, int rm) {
        long ma = mant(a), mb = mant(b);
        long ph = Math.multiplyHigh(ma, mb), pl = ma * mb; // in [2^104, 2^106)
        int top = 127 - Long.numberOfLeadingZeros(ph);
        int k = 125 - top; // 20 or 21: move the leading bit to bit 125
        ph = (ph << k) | (pl >>> (64 - k));
        pl <<= k;
        int ep = exp(a) + exp(b) + top - 104;
        return sum(st, sign(a) ^ sign(b), ep, ph, pl, sign(c), exp(c), mant(c) << 9, 0, rm);
    }

    /**
     * Adds two signed 128-bit terms whose leading bit is bit 125 and worth 2^ex / 2^ey. The smaller
     * term is shifted right with its lost bits jammed into bit 0; with more than 60 guard bits
     * below a 53-bit result that sticky bit never changes the rounding decision.
     */
    private static long sum(FpArith st, int sx, int ex, long xh, long xl,
                            int sy, int ey, long yh, long yl, int rm) {
        if (ey > ex) { // make x the term with the larger exponent
            int ts = sx; sx = sy; sy = ts;
            int te = ex; ex = ey; ey = te;
            long t = xh; xh = yh; yh = t;
            t = xl; xl = yl; yl = t;
        }
        int d = ex - ey;
        if (d > 0) {
            boolean sticky;
            if (d < 64) {
                sticky = (yl << (64 - d)) != 0;
                yl = (yl >>> d) | (yh << (64 - d));
                yh >>>= d;
            } else if (d < 128) {
                sticky = yl != 0 || (d > 64 && (yh << (128 - d)) != 0);
                yl = yh >>> (d - 64);
                yh = 0;
            } else {
                sticky = (yh | yl) != 0;
                yh = 0;
                yl = 0;
            }
            if (sticky) yl |= 1;
        }
        long hi, lo;
        int sign = sx;
        if (sx == sy) {
            lo = xl + yl;
            hi = xh + yh + (Long.compareUnsigned(lo, xl) < 0 ? 1 : 0);
        } else {
            lo = xl - yl;
            hi = xh - yh - (Long.compareUnsigned(xl, yl) < 0 ? 1 : 0);
            if (hi < 0) { // |y| > |x|: negate the 128-bit difference
                lo = -lo;
                hi = ~hi + (lo == 0 ? 1 : 0);
                sign ^= 1;
            }
            if ((hi | lo) == 0) return rm == RDN ? FpBits.D_SIGN : 0; // exact cancellation (IEEE 754 §6.3)
        }
        return FpRound.pack128(st, sign, hi, lo, ex - 125, rm, D_FRAC, D_EXP);
    }
}
