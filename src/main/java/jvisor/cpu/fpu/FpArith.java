package jvisor.cpu.fpu;

import static jvisor.cpu.fpu.FpRound.NV;
import static jvisor.cpu.fpu.FpRound.DZ;
import static jvisor.cpu.fpu.FpRound.OF;
import static jvisor.cpu.fpu.FpRound.NX;
import static jvisor.cpu.fpu.FpRound.RNE;
import static jvisor.cpu.fpu.FpRound.RTZ;
import static jvisor.cpu.fpu.FpRound.RDN;
import static jvisor.cpu.fpu.FpRound.RUP;
import static jvisor.cpu.fpu.FpRound.RMM;
import static jvisor.cpu.fpu.FpBits.CANON_D;
import static jvisor.cpu.fpu.FpBits.D_SIGN;
import static jvisor.cpu.fpu.FpBits.isNaN;
import static jvisor.cpu.fpu.FpBits.isSNaN;

/**
 * Per-hart floating-point state (fflags, frm) and the F/D arithmetic on raw bits.
 *
 * <p>Rounding modes passed in are already resolved to 0..4 (RNE, RTZ, RDN, RUP, RMM). Exception
 * flags accumulate into {@link #flags} (NV=16, DZ=8, OF=4, UF=2, NX=1).
 *
 * <p>Binary64 fast paths run on the host's IEEE double operations, which round to nearest-even.
 * An error-free transformation (TwoSum, or Math.fma for the residual of multiply, divide and
 * square root) gives the sign of the rounding error, which both decides NX and lets a directed
 * rounding mode step to the neighbouring double. Cases where the residual might not be exact
 * (tiny or overflowing results) go to {@link SoftDouble}. Binary32 is in {@link FpSingle}.
 */
public final class FpArith {
    /** Accrued exception flags, fcsr bits 4:0. */
    public int flags;
    /** Dynamic rounding mode, fcsr bits 7:5 (values 5..7 are stored but illegal to use). */
    public int frm;

    public FpArith() {}

    static final double TWO_M968 = 0x1p-968;   // below this a product/quotient residual may underflow
    static final double TWO_M1021 = 0x1p-1021; // results at or above this cannot become tiny

    /** Steps a correctly rounded-to-nearest double s to the result for rm, given the exact residual e (non-zero). */
    long directed(double s, double e, int rm) {
        long bits = Double.doubleToRawLongBits(s);
        boolean away = (e < 0) == (s < 0); // the exact value lies further from zero than s
        switch (rm) {
            case RTZ: return away ? bits : bits - 1;
            case RDN: return e < 0 ? step(bits, s > 0) : bits;
            case RUP: return e > 0 ? step(bits, s < 0) : bits;
            case RMM: return away && Math.abs(e) == Math.ulp(s) * 0.5 ? step(bits, false) : bits;
            default: return bits;
        }
    }

    /** Moves one ulp toward zero (down) or away from zero, flagging overflow when reaching infinity. */
    private long step(long bits, boolean down) {
        if (down) return bits - 1;
        bits++;
        if ((bits & ~D_SIGN) == FpBits.D_INF) flags |= OF;
        return bits;
    }

    // ---------------------------------------------------------------- binary64 arithmetic

    public long addD(long a, long b, int rm) {
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b);
        double s = x + y;
        if (Math.abs(s) <= Double.MAX_VALUE) {
            double bb = s - x; // TwoSum: e is exactly x + y - s
            double e = (x - (s - bb)) + (y - bb);
            if (e == 0) {
                // an exact zero sum is -0 only for (-0)+(-0), or under RDN (IEEE 754 §6.3)
                if (s == 0 && rm == RDN) s = -((-x) + (-y));
                return Double.doubleToRawLongBits(s);
            }
            if (Math.abs(e) <= Double.MAX_VALUE) { // else an intermediate overflowed near MAX
                flags |= NX;
                return rm == RNE ? Double.doubleToRawLongBits(s) : directed(s, e, rm);
            }
        }
        return addSpecialD(a, b, rm);
    }

    public long subD(long a, long b, int rm) {
        return addD(a, b ^ D_SIGN, rm);
    }

    private long addSpecialD(long a, long b, int rm) {
        if (isNaN(a) || isNaN(b)) return nanD(a, b);
        boolean ia = (a & ~D_SIGN) == FpBits.D_INF, ib = (b & ~D_SIGN) == FpBits.D_INF;
        if (ia && ib && ((a ^ b) < 0)) { flags |= NV; return CANON_D; } // inf - inf
        if (ia) return a;
        if (ib) return b;
        return SoftDouble.add(this, a, b, rm); // finite operands near or beyond overflow
    }

    public long mulD(long a, long b, int rm) {
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b);
        double p = x * y;
        double ap = Math.abs(p);
        if (ap <= Double.MAX_VALUE && ap >= TWO_M968) {
            double e = Math.fma(x, y, -p); // exact: |p| is far from the subnormal range
            if (e == 0) return Double.doubleToRawLongBits(p);
            flags |= NX;
            return rm == RNE ? Double.doubleToRawLongBits(p) : directed(p, e, rm);
        }
        if (isNaN(a) || isNaN(b)) return nanD(a, b);
        boolean ia = (a & ~D_SIGN) == FpBits.D_INF, ib = (b & ~D_SIGN) == FpBits.D_INF;
        boolean za = (a & ~D_SIGN) == 0, zb = (b & ~D_SIGN) == 0;
        if ((ia && zb) || (ib && za)) { flags |= NV; return CANON_D; } // inf * 0
        if (ia || ib || za || zb) return Double.doubleToRawLongBits(p); // exact inf or zero
        return SoftDouble.mul(this, a, b, rm);
    }

    public long divD(long a, long b, int rm) {
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b);
        double q = x / y;
        double aq = Math.abs(q);
        if (aq <= Double.MAX_VALUE && aq >= TWO_M1021 && Math.abs(x) >= TWO_M968) {
            double r = Math.fma(-q, y, x); // x - q*y, exact here; x/y = q + r/y
            if (r == 0) return Double.doubleToRawLongBits(q);
            flags |= NX;
            // a quotient is never exactly halfway, so RMM equals RNE and only the error's sign matters
            if (rm == RNE || rm == RMM) return Double.doubleToRawLongBits(q);
            return directed(q, (r < 0) == (y < 0) ? Double.MIN_VALUE : -Double.MIN_VALUE, rm);
        }
        if (isNaN(a) || isNaN(b)) return nanD(a, b);
        boolean ia = (a & ~D_SIGN) == FpBits.D_INF, ib = (b & ~D_SIGN) == FpBits.D_INF;
        boolean za = (a & ~D_SIGN) == 0, zb = (b & ~D_SIGN) == 0;
        if ((ia && ib) || (za && zb)) { flags |= NV; return CANON_D; }
        if (zb && !ia) flags |= DZ; // finite non-zero / 0
        if (ia || ib || za || zb) return Double.doubleToRawLongBits(q); // exact inf or zero
        return SoftDouble.div(this, a, b, rm);
    }

    public long sqrtD(long a, int rm) {
        if (a <= 0 || a >= FpBits.D_INF) { // sign set, zero, inf or NaN
            if (isNaN(a)) return nanD(a, a);
            if ((a & ~D_SIGN) == 0 || a == FpBits.D_INF) return a; // sqrt(+-0) = +-0, sqrt(+inf) = +inf
            flags |= NV;
            return CANON_D;
        }
        double x = Double.longBitsToDouble(a);
        // Scale tiny inputs by an even power of two so the residual below is exact; the result is
        // always normal, so scaling back is exact too.
        double scale = 1;
        if (x < TWO_M968) { x *= 0x1p200; scale = 0x1p-100; }
        double s = Math.sqrt(x);
        double r = Math.fma(-s, s, x);
        if (r == 0) return Double.doubleToRawLongBits(s * scale);
        flags |= NX;
        if (rm != RNE && rm != RMM) {
            // never exactly halfway (so RMM equals RNE): pass only the sign of the error
            s = Double.longBitsToDouble(directed(s, r > 0 ? Double.MIN_VALUE : -Double.MIN_VALUE, rm));
        }
        return Double.doubleToRawLongBits(s * scale);
    }

    /** a*b+c with one rounding; fmsub/fnmsub/fnmadd negate operands first (negation is exact). */
    public long fmaD(long a, long b, long c, int rm) {
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b), z = Double.longBitsToDouble(c);
        double r = Math.fma(x, y, z);
        double ar = Math.abs(r);
        if (ar <= 0x1p1000 && ar >= TWO_M1021 && rm != RMM) {
            double p = x * y;
            double ap = Math.abs(p);
            if (ap >= TWO_M968 && ap <= 0x1p1000 && Math.abs(z) <= 0x1p1000) {
                // Exact error of r: x*y + z - r = (u - r) + ue + se, with p + pe = x*y,
                // s + se = z + pe and u + ue = p + s all exact (Math.fma and TwoSum).
                double pe = Math.fma(x, y, -p);
                double s = z + pe;
                double t1 = s - z;
                double se = (z - (s - t1)) + (pe - t1);
                double u = p + s;
                double t2 = u - p;
                double ue = (p - (u - t2)) + (s - t2);
                double t = u - r;
                if (t == 0 && ue == 0 && se == 0) return Double.doubleToRawLongBits(r); // exact
                double d = (t + ue) + se;
                // d carries the sign of the true error unless cancellation makes it unreliable
                if (Math.abs(d) > 0x1p-50 * (Math.abs(t) + Math.abs(ue)) && Math.abs(d) > 0x1p-1000) {
                    flags |= NX;
                    return rm == RNE ? Double.doubleToRawLongBits(r) : directed(r, d, rm);
                }
            }
        }
        return fmaSlowD(a, b, c, rm);
    }

    private long fmaSlowD(long a, long b, long c, int rm) {
        boolean na = isNaN(a), nb = isNaN(b), nc = isNaN(c);
        boolean ia = (a & ~D_SIGN) == FpBits.D_INF, ib = (b & ~D_SIGN) == FpBits.D_INF;
        boolean za = (a & ~D_SIGN) == 0, zb = (b & ~D_SIGN) == 0;
        // inf*0 is invalid even when the addend is a quiet NaN (F chapter, FMA description)
        if ((ia && zb) || (ib && za) || isSNaN(a) || isSNaN(b) || isSNaN(c)) {
            flags |= NV;
            return CANON_D;
        }
        if (na || nb || nc) return CANON_D;
        boolean ic = (c & ~D_SIGN) == FpBits.D_INF;
        long psign = (a ^ b) & D_SIGN;
        if (ia || ib) {
            if (ic && (c & D_SIGN) != psign) { flags |= NV; return CANON_D; } // inf - inf
            return psign | FpBits.D_INF;
        }
        if (ic) return c;
        boolean zc = (c & ~D_SIGN) == 0;
        if (za || zb) {
            if (!zc) return c;
            // (+-0) + (+-0): the sign survives only if both agree, else +0 (-0 under RDN)
            if (psign == (c & D_SIGN)) return c;
            return rm == RDN ? D_SIGN : 0;
        }
        if (zc) return mulD(a, b, rm); // a non-zero product plus zero rounds like the product
        return SoftDouble.fma(this, a, b, c, rm);
    }

    /** NaN result of an arithmetic op: NV if either input is signalling; always the canonical NaN. */
    private long nanD(long a, long b) {
        if (isSNaN(a) || isSNaN(b)) flags |= NV;
        return CANON_D;
    }

    // ---------------------------------------------------------------- binary32 (see FpSingle)

    public int addS(int a, int b, int rm) { return FpSingle.add(this, a, b, rm); }
    public int subS(int a, int b, int rm) { return FpSingle.add(this, a, b ^ FpBits.S_SIGN, rm); }
    public int mulS(int a, int b, int rm) { return FpSingle.mul(this, a, b, rm); }
    public int divS(int a, int b, int rm) { return FpSingle.div(this, a, b, rm); }
    public int sqrtS(int a, int rm) { return FpSingle.sqrt(this, a, rm); }
    public int fmaS(int a, int b, int c, int rm) { return FpSingle.fma(this, a, b, c, rm); }
}
