package jvisor.cpu.fpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Shared helpers for the FPU tests: bit conversions and result-plus-flags assertions. */
final class FpTesting {
    private FpTesting() {}

    static final int RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4;
    static final int NV = 16, DZ = 8, OF = 4, UF = 2, NX = 1;

    static final long MAX_D = 0x7fefffffffffffffL, MIN_NORMAL_D = 0x0010000000000000L, MIN_SUB_D = 1L;
    static final long INF_D = 0x7ff0000000000000L, NINF_D = 0xfff0000000000000L, NZERO_D = 0x8000000000000000L;
    static final long QNAN_D = 0x7ff8000000000000L, SNAN_D = 0x7ff0000000000001L;
    static final int MAX_S = 0x7f7fffff, MIN_NORMAL_S = 0x00800000, INF_S = 0x7f800000, NINF_S = 0xff800000;
    static final int QNAN_S = 0x7fc00000, SNAN_S = 0x7f800001, NZERO_S = 0x80000000;

    static long d(double v) { return Double.doubleToRawLongBits(v); }
    static int s(float v) { return Float.floatToRawIntBits(v); }

    /** Asserts bits and exactly the flags raised by the operation (flags start cleared). */
    static void expectD(long want, int wantFlags, FpArith st, long got, String what) {
        assertEquals(Long.toHexString(want), Long.toHexString(got), what + " result");
        assertEquals(flagNames(wantFlags), flagNames(st.flags), what + " flags");
        st.flags = 0;
    }

    static void expectS(int want, int wantFlags, FpArith st, int got, String what) {
        assertEquals(Integer.toHexString(want), Integer.toHexString(got), what + " result");
        assertEquals(flagNames(wantFlags), flagNames(st.flags), what + " flags");
        st.flags = 0;
    }

    static String flagNames(int f) {
        StringBuilder b = new StringBuilder();
        if ((f & NV) != 0) b.append("NV ");
        if ((f & DZ) != 0) b.append("DZ ");
        if ((f & OF) != 0) b.append("OF ");
        if ((f & UF) != 0) b.append("UF ");
        if ((f & NX) != 0) b.append("NX ");
        return b.toString().trim();
    }

    /** splitmix64: a small deterministic generator for the randomized cross-checks. */
    static final class Rng {
        private long state;
        Rng(long seed) { state = seed; }
        long next() {
            long z = (state += 0x9e3779b97f4a7c15L);
            z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
            z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
            return z ^ (z >>> 31);
        }
        int below(int n) { return (int) Long.remainderUnsigned(next(), n); }

        /** A finite non-zero double biased toward extreme exponents and short mantissas. */
        long finiteD() {
            long sign = next() & FpBits.D_SIGN;
            long frac = next() & 0xfffffffffffffL;
            if (below(3) == 0) frac &= -1L << below(53);
            long exp = switch (below(6)) {
                case 0 -> below(3);                 // subnormal or smallest normals
                case 1 -> 2046 - below(3);          // near overflow
                case 2 -> 1023 - 30 + below(60);    // ordinary
                case 3 -> 511 + below(40) - 20;     // products land near the subnormal range
                case 4 -> 1535 + below(40) - 20;    // products land near overflow
                default -> 1 + below(2046);
            };
            long v = sign | exp << 52 | frac;
            return (v & ~FpBits.D_SIGN) == 0 ? v | 1 : v;
        }

        int finiteS() {
            int sign = (int) next() & FpBits.S_SIGN;
            int frac = (int) next() & 0x7fffff;
            if (below(3) == 0) frac &= -1 << below(24);
            int exp = switch (below(5)) {
                case 0 -> below(3);
                case 1 -> 254 - below(3);
                case 2 -> 127 - 12 + below(24);
                case 3 -> 63 + below(20) - 10;
                default -> 1 + below(254);
            };
            int v = sign | exp << 23 | frac;
            return (v & ~FpBits.S_SIGN) == 0 ? v | 1 : v;
        }
    }
}
