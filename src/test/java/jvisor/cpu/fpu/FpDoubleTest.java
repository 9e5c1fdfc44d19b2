package jvisor.cpu.fpu;

import static jvisor.cpu.fpu.FpTesting.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Binary64 arithmetic: rounding modes, signed zeros, subnormals, boundaries and NaNs. */
class FpDoubleTest {
    private final FpArith st = new FpArith();

    private static final long ONE = d(1.0), ONE_UP = d(Math.nextUp(1.0));

    @Test
    void addHalfwayInEveryMode() {
        long half = d(0x1p-53); // half an ulp of 1
        expectD(ONE, NX, st, st.addD(ONE, half, RNE), "1+h RNE ties to even");
        expectD(ONE_UP, NX, st, st.addD(ONE, half, RMM), "1+h RMM ties away");
        expectD(ONE, NX, st, st.addD(ONE, half, RTZ), "1+h RTZ");
        expectD(ONE, NX, st, st.addD(ONE, half, RDN), "1+h RDN");
        expectD(ONE_UP, NX, st, st.addD(ONE, half, RUP), "1+h RUP");
        // 1+ulp has an odd significand, so the tie goes up under RNE
        expectD(d(1 + 0x1p-51), NX, st, st.addD(ONE_UP, half, RNE), "odd tie RNE");
        long negHalf = half ^ FpBits.D_SIGN, negOne = ONE ^ FpBits.D_SIGN;
        expectD(ONE_UP ^ FpBits.D_SIGN, NX, st, st.addD(negOne, negHalf, RDN), "-1-h RDN");
        expectD(negOne, NX, st, st.addD(negOne, negHalf, RUP), "-1-h RUP");
        expectD(ONE_UP ^ FpBits.D_SIGN, NX, st, st.addD(negOne, negHalf, RMM), "-1-h RMM");
        // below a power of two the spacing halves: 1 - 2^-54 is a tie between 1-2^-53 and 1
        expectD(ONE, NX, st, st.subD(ONE, d(0x1p-54), RNE), "1-q RNE");
        expectD(d(1 - 0x1p-53), NX, st, st.subD(ONE, d(0x1p-54), RTZ), "1-q RTZ");
    }

    @Test
    void signedZeroSums() {
        long x = d(1.5);
        expectD(0, 0, st, st.subD(x, x, RNE), "x-x RNE");
        expectD(NZERO_D, 0, st, st.subD(x, x, RDN), "x-x RDN");
        expectD(0, 0, st, st.subD(x, x, RUP), "x-x RUP");
        expectD(NZERO_D, 0, st, st.addD(NZERO_D, NZERO_D, RNE), "-0+-0");
        expectD(0, 0, st, st.addD(0, NZERO_D, RNE), "+0+-0");
        expectD(NZERO_D, 0, st, st.addD(0, NZERO_D, RDN), "+0+-0 RDN");
        expectD(0, 0, st, st.addD(0, 0, RDN), "+0++0 RDN");
    }

    @Test
    void addOverflow() {
        expectD(INF_D, OF | NX, st, st.addD(MAX_D, MAX_D, RNE), "max+max RNE");
        expectD(MAX_D, OF | NX, st, st.addD(MAX_D, MAX_D, RTZ), "max+max RTZ");
        expectD(MAX_D, OF | NX, st, st.addD(MAX_D, MAX_D, RDN), "max+max RDN");
        expectD(INF_D, OF | NX, st, st.addD(MAX_D, MAX_D, RUP), "max+max RUP");
        long nmax = MAX_D ^ FpBits.D_SIGN;
        expectD(NINF_D, OF | NX, st, st.addD(nmax, nmax, RDN), "-max-max RDN");
        expectD(nmax, OF | NX, st, st.addD(nmax, nmax, RUP), "-max-max RUP");
        // max + half an ulp: RNE overflows (max is odd), but with an unbounded exponent RTZ
        // gives max itself, so RTZ is merely inexact
        long halfUlp = d(0x1p970);
        expectD(INF_D, OF | NX, st, st.addD(MAX_D, halfUlp, RNE), "max+h RNE");
        expectD(MAX_D, NX, st, st.addD(MAX_D, halfUlp, RTZ), "max+h RTZ");
        expectD(INF_D, OF | NX, st, st.addD(MAX_D, d(0x1p960), RUP), "max+tiny RUP");
        expectD(MAX_D, NX, st, st.addD(MAX_D, d(0x1p960), RNE), "max+tiny RNE");
        // TwoSum's intermediate s - x overflows here although the sum is finite (found by fpdiff)
        expectD(0x7fe5b722ea708d33L, NX, st, st.subD(0xffd491ba2b1ee597L, 0xffefffffffffffffL, RTZ), "near max RTZ");
    }

    @Test
    void nanHandling() {
        expectD(QNAN_D, NV, st, st.addD(INF_D, NINF_D, RNE), "inf-inf");
        expectD(QNAN_D, NV, st, st.addD(SNAN_D, ONE, RNE), "sNaN+1");
        expectD(QNAN_D, 0, st, st.addD(0x7ff8000000000123L | FpBits.D_SIGN, ONE, RNE), "-qNaN payload+1");
        expectD(QNAN_D, NV, st, st.mulD(INF_D, 0, RNE), "inf*0");
        expectD(QNAN_D, NV, st, st.divD(0, NZERO_D, RNE), "0/0");
        expectD(QNAN_D, NV, st, st.divD(INF_D, NINF_D, RNE), "inf/inf");
        expectD(QNAN_D, NV, st, st.sqrtD(d(-1), RNE), "sqrt(-1)");
        expectD(QNAN_D, NV, st, st.sqrtD(NINF_D, RNE), "sqrt(-inf)");
        expectD(QNAN_D, NV, st, st.sqrtD(SNAN_D, RNE), "sqrt(sNaN)");
        expectD(INF_D, 0, st, st.addD(INF_D, ONE, RNE), "inf+1");
    }

    @Test
    void multiplyTininessIsDetectedAfterRounding() {
        // a*b = 2^-1022 * (1 - 2^-54): with an unbounded exponent it rounds (RNE) up to 2^-1022,
        // so it is not tiny: NX without UF, even though the exact value is below the normal range.
        long a = d((1 - 0x1p-27) * 0x1p-511), b = d((1 + 0x1p-27) * 0x1p-511);
        expectD(MIN_NORMAL_D, NX, st, st.mulD(a, b, RNE), "RNE");
        expectD(0x000fffffffffffffL, UF | NX, st, st.mulD(a, b, RTZ), "RTZ");
        expectD(MIN_NORMAL_D, NX, st, st.mulD(a, b, RUP), "RUP");
        // a*b = 2^-1022 - 2^-1075 is representable with an unbounded exponent: tiny, and the
        // subnormal rounding is inexact (a tie, going to the even 2^-1022).
        long c = d(1 - 0x1p-53);
        expectD(MIN_NORMAL_D, UF | NX, st, st.mulD(c, MIN_NORMAL_D, RNE), "tiny tie");
        expectD(MIN_NORMAL_D, UF | NX, st, st.mulD(c, MIN_NORMAL_D, RMM), "tiny tie RMM");
        expectD(0x000fffffffffffffL, UF | NX, st, st.mulD(c, MIN_NORMAL_D, RDN), "tiny RDN");
    }

    @Test
    void subnormalProducts() {
        expectD(MIN_SUB_D, 0, st, st.mulD(MIN_SUB_D, ONE, RNE), "exact subnormal");
        expectD(0, UF | NX, st, st.mulD(MIN_SUB_D, d(0.5), RNE), "half of min ties to 0");
        expectD(MIN_SUB_D, UF | NX, st, st.mulD(MIN_SUB_D, d(0.5), RUP), "RUP");
        expectD(MIN_SUB_D, UF | NX, st, st.mulD(MIN_SUB_D, d(0.5), RMM), "RMM");
        expectD(2, UF | NX, st, st.mulD(3, d(0.5), RNE), "1.5 ulp ties to 2");
        expectD(NZERO_D, UF | NX, st, st.mulD(MIN_SUB_D, d(-0x1p-3), RNE), "underflow to -0");
        expectD(MIN_SUB_D ^ FpBits.D_SIGN, UF | NX, st, st.mulD(MIN_SUB_D, d(-0x1p-3), RDN), "RDN");
        expectD(d(0x1p-1073), 0, st, st.addD(MIN_SUB_D, MIN_SUB_D, RNE), "subnormal sums are exact");
        expectD(MIN_NORMAL_D, 0, st, st.addD(0x000fffffffffffffL, MIN_SUB_D, RNE), "to normal");
    }

    @Test
    void multiplyOverflow() {
        long big = d(0x1p1000);
        expectD(INF_D, OF | NX, st, st.mulD(big, big, RNE), "RNE");
        expectD(MAX_D, OF | NX, st, st.mulD(big, big, RTZ), "RTZ");
        expectD(MAX_D ^ FpBits.D_SIGN, OF | NX, st, st.mulD(big, big ^ FpBits.D_SIGN, RUP), "RUP neg");
        expectD(NINF_D, OF | NX, st, st.mulD(big, big ^ FpBits.D_SIGN, RDN), "RDN neg");
        expectD(INF_D, 0, st, st.mulD(INF_D, d(2), RNE), "inf*2 is exact");
    }

    @Test
    void divide() {
        long third = d(1.0 / 3);
        expectD(third, NX, st, st.divD(ONE, d(3), RNE), "1/3 RNE");
        expectD(third, NX, st, st.divD(ONE, d(3), RTZ), "1/3 RTZ");
        expectD(third + 1, NX, st, st.divD(ONE, d(3), RUP), "1/3 RUP");
        expectD(third, NX, st, st.divD(ONE, d(3), RMM), "1/3 RMM");
        expectD(third | FpBits.D_SIGN, NX, st, st.divD(ONE, d(-3), RUP), "-1/3 RUP");
        expectD((third + 1) | FpBits.D_SIGN, NX, st, st.divD(ONE, d(-3), RDN), "-1/3 RDN");
        expectD(INF_D, DZ, st, st.divD(ONE, 0, RNE), "1/0");
        expectD(NINF_D, DZ, st, st.divD(ONE, NZERO_D, RNE), "1/-0");
        expectD(INF_D, 0, st, st.divD(INF_D, 0, RNE), "inf/0 raises nothing");
        expectD(NZERO_D, 0, st, st.divD(d(-5), INF_D, RNE), "-5/inf");
        expectD(d(0.25), 0, st, st.divD(ONE, d(4), RDN), "exact");
        expectD(MIN_SUB_D, UF | NX, st, st.divD(MIN_NORMAL_D, d(0x1p60), RUP), "tiny quotient RUP");
        expectD(0, UF | NX, st, st.divD(MIN_NORMAL_D, d(0x1p60), RNE), "tiny quotient RNE");
        expectD(MAX_D, OF | NX, st, st.divD(MAX_D, d(0.5), RTZ), "overflowing quotient RTZ");
    }

    @Test
    void squareRoot() {
        long r2 = d(Math.sqrt(2));
        expectD(r2, NX, st, st.sqrtD(d(2), RNE), "RNE");
        // the nearest double to sqrt(2) lies above it
        expectD(r2 - 1, NX, st, st.sqrtD(d(2), RDN), "RDN");
        expectD(r2 - 1, NX, st, st.sqrtD(d(2), RTZ), "RTZ");
        expectD(r2, NX, st, st.sqrtD(d(2), RUP), "RUP");
        expectD(r2, NX, st, st.sqrtD(d(2), RMM), "RMM");
        expectD(NZERO_D, 0, st, st.sqrtD(NZERO_D, RNE), "sqrt(-0)");
        expectD(INF_D, 0, st, st.sqrtD(INF_D, RNE), "sqrt(inf)");
        expectD(d(0x1p-537), 0, st, st.sqrtD(MIN_SUB_D, RNE), "sqrt(min subnormal) exact");
        expectD(d(Math.sqrt(3 * 0x1p-1074)), NX, st, st.sqrtD(3, RNE), "sqrt of a subnormal");
        expectD(d(3), 0, st, st.sqrtD(d(9), RUP), "exact");
    }

    @Test
    void fusedMultiplyAdd() {
        long a = d(1 + 0x1p-30), b = d(1 - 0x1p-30);
        long negOne = ONE ^ FpBits.D_SIGN;
        expectD(d(-0x1p-60), 0, st, st.fmaD(a, b, negOne, RNE), "single rounding keeps -2^-60");
        expectD(0, 0, st, st.fmaD(ONE, ONE, negOne, RNE), "exact zero RNE");
        expectD(NZERO_D, 0, st, st.fmaD(ONE, ONE, negOne, RDN), "exact zero RDN");
        expectD(NZERO_D, 0, st, st.fmaD(NZERO_D, ONE, NZERO_D, RNE), "-0*1 + -0");
        expectD(0, 0, st, st.fmaD(NZERO_D, ONE, 0, RNE), "-0*1 + +0");
        expectD(QNAN_D, NV, st, st.fmaD(INF_D, 0, QNAN_D, RNE), "inf*0+qNaN is invalid");
        expectD(QNAN_D, 0, st, st.fmaD(INF_D, ONE, QNAN_D, RNE), "inf*1+qNaN is quiet");
        expectD(QNAN_D, NV, st, st.fmaD(INF_D, ONE, NINF_D, RNE), "inf-inf");
        expectD(QNAN_D, NV, st, st.fmaD(ONE, ONE, SNAN_D, RNE), "sNaN addend");
        expectD(NINF_D, 0, st, st.fmaD(ONE, ONE, NINF_D, RNE), "inf addend");
        // 1 + 2^-53 + tiny: above the halfway point only thanks to the product's low bits
        long h = d(0x1p-53 + 0x1p-105);
        expectD(ONE_UP, NX, st, st.fmaD(h, ONE, ONE, RNE), "just above half");
        expectD(ONE, NX, st, st.fmaD(d(0x1p-53), ONE, ONE, RNE), "exact half ties to even");
        expectD(ONE_UP, NX, st, st.fmaD(d(0x1p-53), ONE, ONE, RMM), "exact half RMM");
        expectD(ONE, NX, st, st.fmaD(d(0x1p-60), d(0x1p-60), ONE, RTZ), "tiny product RTZ");
        expectD(ONE_UP, NX, st, st.fmaD(d(0x1p-60), d(0x1p-60), ONE, RUP), "tiny product RUP");
        expectD(d(1 - 0x1p-53), NX, st, st.fmaD(d(-0x1p-60), d(0x1p-60), ONE, RDN), "tiny negative product RDN");
        expectD(INF_D, OF | NX, st, st.fmaD(MAX_D, d(2), ONE, RNE), "overflow");
        expectD(MAX_D, OF | NX, st, st.fmaD(MAX_D, d(2), ONE, RTZ), "overflow RTZ");
        // tiny result: 2^-1022 * (1 - 2^-53) is tiny and inexact as a subnormal
        expectD(MIN_NORMAL_D, UF | NX, st, st.fmaD(d(1 - 0x1p-53), MIN_NORMAL_D, 0, RNE), "tiny");
        expectD(MIN_SUB_D, 0, st, st.fmaD(MIN_NORMAL_D, d(0x1p-52), 0, RNE), "exact subnormal");
        expectD(MIN_SUB_D, 0, st, st.fmaD(ONE, MIN_NORMAL_D + 1, MIN_NORMAL_D ^ FpBits.D_SIGN, RNE), "cancel to subnormal");
    }

    /** The fast paths must agree with the exact integer paths in every mode. */
    @Test
    void fastPathsMatchExactPaths() {
        Rng rng = new Rng(42);
        FpArith slow = new FpArith();
        int n = Integer.getInteger("fpu.iterations", 200_000); // raise locally for a longer soak
        for (int i = 0; i < n; i++) {
            long a = rng.finiteD(), b = rng.finiteD(), c = rng.finiteD();
            if (rng.below(4) == 0) b = (a ^ FpBits.D_SIGN) + rng.below(5) - 2; // cancellation
            switch (rng.below(6)) { // fma addends that cancel most of the product
                case 0 -> c = st.mulD(a, b, RNE) ^ FpBits.D_SIGN;
                case 1 -> c = (st.mulD(a, b, RNE) ^ FpBits.D_SIGN) + rng.below(9) - 4;
                case 2 -> c = st.mulD(a, b, rng.below(5)) ^ FpBits.D_SIGN;
                default -> { }
            }
            st.flags = 0;
            if (!finiteNonZero(b) || !finiteNonZero(c)) continue;
            int rm = rng.below(5);
            check(st.addD(a, b, rm), SoftDouble.add(slow, a, b, rm), slow, "add", a, b, c, rm);
            check(st.mulD(a, b, rm), SoftDouble.mul(slow, a, b, rm), slow, "mul", a, b, c, rm);
            check(st.divD(a, b, rm), SoftDouble.div(slow, a, b, rm), slow, "div", a, b, c, rm);
            check(st.fmaD(a, b, c, rm), SoftDouble.fma(slow, a, b, c, rm), slow, "fma", a, b, c, rm);
        }
    }

    private static boolean finiteNonZero(long v) {
        long mag = v & ~FpBits.D_SIGN;
        return mag != 0 && mag < INF_D;
    }

    private void check(long fast, long exact, FpArith slow, String op, long a, long b, long c, int rm) {
        String what = String.format("%s %x %x %x rm=%d", op, a, b, c, rm);
        assertEquals(Long.toHexString(exact), Long.toHexString(fast), what);
        assertEquals(flagNames(slow.flags), flagNames(st.flags), what + " flags");
        st.flags = 0;
        slow.flags = 0;
    }
}
