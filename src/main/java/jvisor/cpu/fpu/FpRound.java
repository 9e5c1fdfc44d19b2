package jvisor.cpu.fpu;

/**
 * Exact rounding of an unpacked real value to binary32 or binary64.
 *
 * <p>This is the single place where rounding, overflow, underflow and inexact are decided for every
 * slow path (unpriv. ISA "F" chapter, "Floating-Point Control and Status Register"; IEEE 754-2019
 * §4.3 and §7.4–7.6). RISC-V detects tininess after rounding, so a value just below the smallest
 * normal that rounds up to it with an unbounded exponent does not raise UF.
 *
 * <p>All methods are static and allocation free; exception flags are accumulated into the
 * {@link FpArith} passed in.
 */
final class FpRound {
    private FpRound() {}

    static final int RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4;
    static final int NV = 16, DZ = 8, OF = 4, UF = 2, NX = 1;

    /** Format descriptors: fraction bits and exponent bits. */
    static final int D_FRAC = 52, D_EXP = 11, S_FRAC = 23, S_EXP = 8;

    /**
     * Whether a truncated magnitude q must be incremented, given the discarded bits rem and the
     * weight half of the most significant discarded bit (rem and half in the same units).
     */
    static boolean roundUp(int rm, int sign, long q, long rem, long half) {
        switch (rm) {
            case RNE: return rem > half || (rem == half && (q & 1) != 0);
            case RDN: return rem != 0 && sign != 0;
            case RUP: return rem != 0 && sign == 0;
            case RMM: return rem >= half;
            default:  return false; // RTZ
        }
    }

    /**
     * Rounds (-1)^sign * sig * 2^(exp-62) to the format (frac, expBits) and returns its bits.
     * sig must lie in [2^62, 2^63); bits below the result's precision (including a sticky 1 in
     * bit 0) only steer rounding.
     */
    static long pack(FpArith st, int sign, int exp, long sig, int rm, int frac, int expBits) {
        int bias = (1 << (expBits - 1)) - 1;
        int emin = 1 - bias;
        long signBit = (long) sign << (frac + expBits);
        if (exp > bias) return overflow(st, sign, rm, frac, expBits);
        int drop = 62 - frac; // discarded bits for a normal result
        boolean sub = exp < emin, tiny = false;
        if (sub) {
            // Tiny unless rounding to full precision carries the value up to 2^emin (after rounding).
            tiny = true;
            if (exp == emin - 1) {
                long qn = sig >>> drop;
                long rn = sig & ((1L << drop) - 1);
                tiny = !(qn == (1L << (frac + 1)) - 1 && roundUp(rm, sign, qn, rn, 1L << (drop - 1)));
            }
            drop += emin - exp;
        }
        long q, rem, half;
        if (drop > 63) { // everything is below half of the least subnormal
            q = 0; rem = 1; half = 2;
        } else {
            q = sig >>> drop;
            rem = sig & (-1L >>> (64 - drop));
            half = 1L << (drop - 1);
        }
        if (roundUp(rm, sign, q, rem, half)) q++;
        if (rem != 0) st.flags |= tiny ? (NX | UF) : NX;
        if (sub) return signBit | q; // exponent field 0; a carry into the hidden bit makes it normal
        // q holds the hidden bit, so adding it bumps the field by one; a rounding carry adds one more.
        long mag = ((long) (exp + bias - 1) << frac) + q;
        if ((mag >>> frac) >= (1L << expBits) - 1) return overflow(st, sign, rm, frac, expBits);
        return signBit | mag;
    }

    /** Overflow result: infinity or the largest finite number depending on rm and sign (IEEE 754 §7.4). */
    static long overflow(FpArith st, int sign, int rm, int frac, int expBits) {
        st.flags |= OF | NX;
        long inf = ((1L << expBits) - 1) << frac;
        boolean toInf = rm == RNE || rm == RMM || (rm == RUP && sign == 0) || (rm == RDN && sign != 0);
        return ((long) sign << (frac + expBits)) | (toInf ? inf : inf - 1);
    }

    /**
     * Rounds the unsigned 128-bit integer hi:lo (non-zero) times 2^e0 with the given sign.
     */
    static long pack128(FpArith st, int sign, long hi, long lo, int e0, int rm, int frac, int expBits) {
        int top = hi != 0 ? 127 - Long.numberOfLeadingZeros(hi) : 63 - Long.numberOfLeadingZeros(lo);
        int sh = top - 62;
        long sig;
        if (sh <= 0) {
            sig = lo << -sh;
        } else if (sh < 64) {
            sig = (lo >>> sh) | (hi << (64 - sh));
            if ((lo << (64 - sh)) != 0) sig |= 1;
        } else {
            sig = hi >>> (sh - 64);
            if (lo != 0 || (sh > 64 && (hi << (128 - sh)) != 0)) sig |= 1;
        }
        return pack(st, sign, e0 + top, sig, rm, frac, expBits);
    }

    /**
     * Rounds the real value v + r to the format, where v is a finite non-zero double and r is an
     * unknown residual of sign resid (-1, 0, +1) with |r| at most half an ulp of v. Because the
     * target keeps fewer bits than v, the residual acts only as a sticky bit on the correct side.
     */
    static long packDouble(FpArith st, double v, int resid, int rm, int frac, int expBits) {
        long b = Double.doubleToRawLongBits(v);
        int sign = (int) (b >>> 63);
        int e = (int) (b >>> 52) & 0x7ff;
        long m = b & 0xfffffffffffffL;
        if (e == 0) { // subnormal double: normalise
            int sh = Long.numberOfLeadingZeros(m) - 11;
            m <<= sh;
            e = 1 - sh;
        } else {
            m |= 1L << 52;
        }
        long sig = m << 10;
        int exp = e - 1023;
        if (resid != 0) {
            if ((resid < 0) == (sign != 0)) {
                sig |= 1; // exact magnitude slightly above |v|
            } else {
                sig -= 1; // exact magnitude slightly below |v|
                if (sig < (1L << 62)) { sig = (sig << 1) | 1; exp--; }
            }
        }
        return pack(st, sign, exp, sig, rm, frac, expBits);
    }
}
