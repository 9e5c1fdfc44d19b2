package jvisor.cpu.fpu;

import static jvisor.cpu.fpu.FpRound.NV;
import static jvisor.cpu.fpu.FpRound.DZ;
import static jvisor.cpu.fpu.FpRound.NX;
import static jvisor.cpu.fpu.FpRound.RNE;
import static jvisor.cpu.fpu.FpRound.RDN;
import static jvisor.cpu.fpu.FpRound.S_EXP;
import static jvisor.cpu.fpu.FpRound.S_FRAC;
import static jvisor.cpu.fpu.FpBits.CANON_S;
import static jvisor.cpu.fpu.FpBits.S_INF;
import static jvisor.cpu.fpu.FpBits.S_SIGN;
import static jvisor.cpu.fpu.FpBits.isNaN;
import static jvisor.cpu.fpu.FpBits.isSNaN;

/**
 * Binary32 arithmetic, computed in binary64.
 *
 * <p>Single operands are exactly representable as doubles, and double has more than twice the
 * precision plus two bits, so: products are exact; a sum, quotient or root is the double nearest
 * the exact value plus a residual whose sign an error-free transformation gives exactly. Rounding
 * that double-plus-sticky to single ({@link FpRound#packDouble}) is then exact in every mode. For
 * round-to-nearest the host's double-to-float conversion already gives the correctly rounded
 * result for +, -, *, / and sqrt (double rounding is innocuous when p' >= 2p+2), so only flags
 * need care; the fused multiply-add always takes the exact route when inexact.
 */
final class FpSingle {
    private FpSingle() {}

    private static final double MIN_NORMAL = 0x1p-126;

    private static boolean finite(int a) { return (a & S_INF) != S_INF; }

    /**
     * Final rounding of v (+ a residual of sign resid) to single. Takes the host conversion when
     * rounding to nearest and the result is normal; tiny or overflowing results go the exact way.
     */
    private static int round(FpArith st, double v, int resid, int rm) {
        float f = (float) v;
        if (resid == 0 && f == v) return Float.floatToRawIntBits(f);
        if (rm == RNE) {
            float af = Math.abs(f);
            if (af > MIN_NORMAL && af <= Float.MAX_VALUE) {
                st.flags |= NX;
                return Float.floatToRawIntBits(f);
            }
        }
        return (int) FpRound.packDouble(st, v, resid, rm, S_FRAC, S_EXP);
    }

    static int add(FpArith st, int a, int b, int rm) {
        if (finite(a) && finite(b)) {
            double x = Float.intBitsToFloat(a), y = Float.intBitsToFloat(b);
            double s = x + y;
            double bb = s - x;
            double e = (x - (s - bb)) + (y - bb); // TwoSum residual
            if (s == 0) { // an exact zero: -0 only for (-0)+(-0) or under RDN
                if (rm == RDN) s = -((-x) + (-y));
                return Float.floatToRawIntBits((float) s);
            }
            return round(st, s, e > 0 ? 1 : e < 0 ? -1 : 0, rm);
        }
        if (isNaN(a) || isNaN(b)) return nan(st, a, b);
        if (!finite(a) && !finite(b) && ((a ^ b) < 0)) { st.flags |= NV; return CANON_S; } // inf - inf
        return finite(a) ? b : a;
    }

    static int mul(FpArith st, int a, int b, int rm) {
        if (isNaN(a) || isNaN(b)) return nan(st, a, b);
        double x = Float.intBitsToFloat(a), y = Float.intBitsToFloat(b);
        double p = x * y; // exact: 24x24 bits, exponent well inside double's range
        if (Double.isNaN(p)) { st.flags |= NV; return CANON_S; } // inf * 0
        if (p == 0 || Double.isInfinite(p)) return Float.floatToRawIntBits((float) p);
        return round(st, p, 0, rm);
    }

    static int div(FpArith st, int a, int b, int rm) {
        if (isNaN(a) || isNaN(b)) return nan(st, a, b);
        double x = Float.intBitsToFloat(a), y = Float.intBitsToFloat(b);
        double q = x / y;
        if (Double.isNaN(q)) { st.flags |= NV; return CANON_S; } // 0/0, inf/inf
        if (q == 0 || Double.isInfinite(q)) {
            if (y == 0 && finite(a)) st.flags |= DZ;
            return Float.floatToRawIntBits((float) q);
        }
        double r = Math.fma(-q, y, x); // x - q*y exactly; x/y = q + r/y
        return round(st, q, r == 0 ? 0 : (r < 0) == (y < 0) ? 1 : -1, rm);
    }

    static int sqrt(FpArith st, int a, int rm) {
        if (isNaN(a)) return nan(st, a, a);
        if ((a & ~S_SIGN) == 0 || a == S_INF) return a; // +-0, +inf
        if (a < 0) { st.flags |= NV; return CANON_S; }
        double x = Float.intBitsToFloat(a);
        double s = Math.sqrt(x);
        double r = Math.fma(-s, s, x);
        return round(st, s, r > 0 ? 1 : r < 0 ? -1 : 0, rm);
    }

    static int fma(FpArith st, int a, int b, int c, int rm) {
        boolean ia = (a & ~S_SIGN) == S_INF, ib = (b & ~S_SIGN) == S_INF;
        boolean za = (a & ~S_SIGN) == 0, zb = (b & ~S_SIGN) == 0;
        // inf*0 is invalid even with a quiet NaN addend (F chapter, FMA description)
        if ((ia && zb) || (ib && za) || isSNaN(a) || isSNaN(b) || isSNaN(c)) {
            st.flags |= NV;
            return CANON_S;
        }
        if (isNaN(a) || isNaN(b) || isNaN(c)) return CANON_S;
        double x = Float.intBitsToFloat(a), y = Float.intBitsToFloat(b), z = Float.intBitsToFloat(c);
        double p = x * y; // exact
        if (Double.isInfinite(p) || !finite(c)) {
            if (Double.isInfinite(p) && !finite(c) && (p < 0) != (c < 0)) { st.flags |= NV; return CANON_S; }
            return Float.floatToRawIntBits((float) (p + z));
        }
        double s = p + z;
        double bb = s - p;
        double e = (p - (s - bb)) + (z - bb);
        if (s == 0) { // exact zero, same sign rule as addition
            if (rm == RDN) s = -((-p) + (-z));
            return Float.floatToRawIntBits((float) s);
        }
        if (e == 0) return round(st, s, 0, rm);
        if (rm == RNE) {
            // Unless s sits exactly on a single-precision halfway point (the 29 bits below a
            // normal single's last bit are 1000...0), the residual cannot change the rounding.
            float f = (float) s;
            float af = Math.abs(f);
            if ((Double.doubleToRawLongBits(s) & 0x1fffffffL) != 0x10000000L
                    && af > MIN_NORMAL && af <= Float.MAX_VALUE) {
                st.flags |= NX;
                return Float.floatToRawIntBits(f);
            }
        }
        return (int) FpRound.packDouble(st, s, e > 0 ? 1 : -1, rm, S_FRAC, S_EXP);
    }

    private static int nan(FpArith st, int a, int b) {
        if (isSNaN(a) || isSNaN(b)) st.flags |= NV;
        return CANON_S;
    }
}
