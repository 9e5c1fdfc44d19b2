package jvisor.cpu.fpu;

import static jvisor.cpu.fpu.FpTesting.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Binary32 arithmetic (computed through binary64 with exact residuals). */
class FpSingleTest {
    private final FpArith st = new FpArith();

    private static final int ONE = s(1f), ONE_UP = s(Math.nextUp(1f));

    @Test
    void halfwayInEveryMode() {
        int half = s(0x1p-24f);
        expectS(ONE, NX, st, st.addS(ONE, half, RNE), "RNE");
        expectS(ONE_UP, NX, st, st.addS(ONE, half, RMM), "RMM");
        expectS(ONE, NX, st, st.addS(ONE, half, RTZ), "RTZ");
        expectS(ONE, NX, st, st.addS(ONE, half, RDN), "RDN");
        expectS(ONE_UP, NX, st, st.addS(ONE, half, RUP), "RUP");
        expectS(s(1 + 0x1p-22f), NX, st, st.addS(ONE_UP, half, RNE), "odd tie");
        expectS(ONE_UP | FpBits.S_SIGN, NX, st, st.subS(ONE ^ FpBits.S_SIGN, half, RDN), "-1-h RDN");
    }

    @Test
    void signedZeros() {
        int x = s(3.25f);
        expectS(0, 0, st, st.subS(x, x, RNE), "x-x");
        expectS(NZERO_S, 0, st, st.subS(x, x, RDN), "x-x RDN");
        expectS(NZERO_S, 0, st, st.addS(NZERO_S, NZERO_S, RUP), "-0+-0");
        expectS(NZERO_S, 0, st, st.mulS(NZERO_S, s(5f), RNE), "-0*5");
        expectS(NZERO_S, 0, st, st.sqrtS(NZERO_S, RNE), "sqrt(-0)");
        expectS(NZERO_S, 0, st, st.fmaS(s(1f), s(1f), s(-1f), RDN), "1*1-1 RDN");
    }

    @Test
    void overflowAndUnderflow() {
        expectS(INF_S, OF | NX, st, st.mulS(MAX_S, s(2f), RNE), "max*2");
        expectS(MAX_S, OF | NX, st, st.mulS(MAX_S, s(2f), RTZ), "max*2 RTZ");
        expectS(MAX_S | FpBits.S_SIGN, OF | NX, st, st.mulS(MAX_S, s(-2f), RUP), "-max*2 RUP");
        expectS(MAX_S, NX, st, st.addS(MAX_S, s(0x1p103f), RTZ), "max + half ulp RTZ is no overflow");
        expectS(INF_S, OF | NX, st, st.addS(MAX_S, s(0x1p103f), RNE), "max + half ulp RNE");
        // (1 - 2^-24) * 2^-126: tiny with an unbounded exponent (it is representable there) and
        // inexact as a subnormal, where it ties to the even 2^-126
        int c = s(1 - 0x1p-24f);
        expectS(MIN_NORMAL_S, UF | NX, st, st.mulS(c, MIN_NORMAL_S, RNE), "tiny tie");
        expectS(0x007fffff, UF | NX, st, st.mulS(c, MIN_NORMAL_S, RTZ), "tiny RTZ");
        // (1 - 2^-26) * 2^-126 rounds to 2^-126 with an unbounded exponent: not tiny, no UF
        int a = s((1 - 0x1p-13f) * 0x1p-63f), b = s((1 + 0x1p-13f) * 0x1p-63f);
        expectS(MIN_NORMAL_S, NX, st, st.mulS(a, b, RNE), "not tiny after rounding");
        expectS(0x007fffff, UF | NX, st, st.mulS(a, b, RTZ), "tiny under RTZ");
        expectS(1, 0, st, st.mulS(1, ONE, RNE), "exact subnormal");
        expectS(0, UF | NX, st, st.mulS(1, s(0.5f), RNE), "half of min ties to zero");
        expectS(1, UF | NX, st, st.mulS(1, s(0.5f), RMM), "RMM");
        expectS(1, UF | NX, st, st.divS(MIN_NORMAL_S, s(0x1p30f), RUP), "tiny quotient RUP");
    }

    @Test
    void specialOperands() {
        expectS(QNAN_S, NV, st, st.addS(INF_S, NINF_S, RNE), "inf-inf");
        expectS(QNAN_S, NV, st, st.mulS(SNAN_S, ONE, RNE), "sNaN");
        expectS(QNAN_S, 0, st, st.mulS(0x7fc12345, ONE, RNE), "qNaN payload is dropped");
        expectS(QNAN_S, NV, st, st.mulS(INF_S, 0, RNE), "inf*0");
        expectS(INF_S, DZ, st, st.divS(ONE, 0, RNE), "1/0");
        expectS(QNAN_S, NV, st, st.divS(0, 0, RNE), "0/0");
        expectS(QNAN_S, NV, st, st.sqrtS(s(-4f), RNE), "sqrt(-4)");
        expectS(s(2f), 0, st, st.sqrtS(s(4f), RDN), "sqrt(4)");
        expectS(QNAN_S, NV, st, st.fmaS(INF_S, 0, QNAN_S, RNE), "inf*0+qNaN");
        expectS(QNAN_S, 0, st, st.fmaS(INF_S, ONE, QNAN_S, RNE), "inf*1+qNaN");
        expectS(QNAN_S, NV, st, st.fmaS(INF_S, ONE, NINF_S, RNE), "inf-inf in fma");
        expectS(INF_S, 0, st, st.fmaS(INF_S, ONE, ONE, RNE), "inf product");
    }

    @Test
    void fusedMultiplyAddRoundsOnce() {
        int a = s(1 + 0x1p-12f), b = s(1 - 0x1p-12f);
        expectS(s(-0x1p-24f), 0, st, st.fmaS(a, b, s(-1f), RNE), "exact tiny difference");
        // (1 + 2^-23) + 2^-24 - 2^-70: the double sum is exactly a single-precision halfway
        // point, so rounding that double again would tie up to even; the exact value lies below
        int p = s(0x1p-24f * (1 + 0x1p-23f)), q = s(1 - 0x1p-23f);
        expectS(ONE_UP, NX, st, st.fmaS(p, q, ONE_UP, RNE), "no double rounding");
        int h = s(0x1p-24f);
        expectS(ONE, NX, st, st.fmaS(h, ONE, ONE, RNE), "exact tie to even");
        expectS(ONE_UP, NX, st, st.fmaS(h, ONE, ONE, RMM), "exact tie RMM");
    }

    /**
     * Cross-check against an independent route: the exact binary64 result rounded to odd
     * (SoftDouble with RTZ, then the sticky in the last bit) rounds to binary32 correctly in any
     * mode, since double has at least two more bits than single.
     */
    @Test
    void matchesRoundToOddOracle() {
        Rng rng = new Rng(7);
        FpArith ref = new FpArith();
        int n = Integer.getInteger("fpu.iterations", 200_000); // raise locally for a longer soak
        for (int i = 0; i < n; i++) {
            int a = rng.finiteS(), b = rng.finiteS(), c = rng.finiteS();
            if (rng.below(4) == 0) b = (a ^ FpBits.S_SIGN) + rng.below(5) - 2;
            if (rng.below(4) == 0) c = (st.mulS(a, b, rng.below(5)) ^ FpBits.S_SIGN) + rng.below(5) - 2;
            st.flags = 0;
            if ((c & 0x7fffffff) == 0 || (c & 0x7f800000) == 0x7f800000) continue;
            if ((b & 0x7fffffff) == 0 || (b & 0x7f800000) == 0x7f800000) continue;
            int rm = rng.below(5);
            long da = wide(a), db = wide(b), dc = wide(c);
            long sum = SoftDouble.add(ref, da, db, RTZ);
            if ((sum & ~FpBits.D_SIGN) == 0) sum = rm == RDN ? FpBits.D_SIGN : 0; // exact cancellation
            check(st.addS(a, b, rm), oracle(ref, sum, rm), ref, "add", a, b, c, rm);
            check(st.mulS(a, b, rm), oracle(ref, SoftDouble.mul(ref, da, db, RTZ), rm), ref, "mul", a, b, c, rm);
            check(st.divS(a, b, rm), oracle(ref, SoftDouble.div(ref, da, db, RTZ), rm), ref, "div", a, b, c, rm);
            long fma = SoftDouble.fma(ref, da, db, dc, RTZ);
            if ((fma & ~FpBits.D_SIGN) == 0) fma = rm == RDN ? FpBits.D_SIGN : 0;
            check(st.fmaS(a, b, c, rm), oracle(ref, fma, rm), ref, "fma", a, b, c, rm);
            int pos = a & 0x7fffffff;
            long sq = Double.doubleToRawLongBits(Math.sqrt(Float.intBitsToFloat(pos)));
            double root = Double.longBitsToDouble(sq);
            double r = Math.fma(-root, root, Float.intBitsToFloat(pos));
            if (r < 0) sq--; // round to zero first
            if (r != 0) ref.flags |= NX;
            check(st.sqrtS(pos, rm), oracle(ref, sq, rm), ref, "sqrt", pos, 0, 0, rm);
        }
    }

    private static long wide(int f) { return Double.doubleToRawLongBits(Float.intBitsToFloat(f)); }

    /** Rounds a binary64 value truncated toward zero (NX in ref.flags if inexact) to single. */
    private static int oracle(FpArith ref, long rtz, int rm) {
        boolean inexact = (ref.flags & NX) != 0;
        ref.flags = 0;
        if ((rtz & ~FpBits.D_SIGN) == 0) return (int) (rtz >>> 32); // exact zero
        long odd = inexact ? rtz | 1 : rtz;
        return (int) FpRound.packDouble(ref, Double.longBitsToDouble(odd), 0, rm, 23, 8);
    }

    private void check(int got, int want, FpArith ref, String op, int a, int b, int c, int rm) {
        String what = String.format("%s %x %x %x rm=%d", op, a, b, c, rm);
        assertEquals(Integer.toHexString(want), Integer.toHexString(got), what);
        assertEquals(flagNames(ref.flags), flagNames(st.flags), what + " flags");
        st.flags = 0;
        ref.flags = 0;
    }
}
