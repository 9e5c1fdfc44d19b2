package jvisor.cpu.fpu;

import static jvisor.cpu.fpu.FpConvert.L;
import static jvisor.cpu.fpu.FpConvert.LU;
import static jvisor.cpu.fpu.FpConvert.W;
import static jvisor.cpu.fpu.FpConvert.WU;
import static jvisor.cpu.fpu.FpTesting.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** fcvt between formats and integers: rounding, saturation (the spec's table) and flags. */
class FpConvertTest {
    private final FpArith st = new FpArith();

    private void toInt(long want, int flags, double v, int rm, int kind) {
        long got = FpConvert.toInt(st, d(v), rm, kind);
        String what = "fcvt kind " + kind + " of " + v + " rm " + rm;
        assertEquals(want, got, what);
        assertEquals(flagNames(flags), flagNames(st.flags), what + " flags");
        st.flags = 0;
    }

    @Test
    void roundingToInteger() {
        toInt(2, NX, 2.5, RNE, W);
        toInt(4, NX, 3.5, RNE, W);
        toInt(3, NX, 2.5, RMM, W);
        toInt(-3, NX, -2.5, RMM, W);
        toInt(2, NX, 2.5, RTZ, W);
        toInt(-2, NX, -2.5, RTZ, W);
        toInt(-3, NX, -2.5, RDN, W);
        toInt(-2, NX, -2.5, RUP, W);
        toInt(3, NX, 2.0000001, RUP, L);
        toInt(0, NX, 0x1p-1074, RNE, L);
        toInt(1, NX, 0x1p-1074, RUP, L);
        toInt(-1, NX, -0x1p-1074, RDN, L);
        toInt(0, 0, -0.0, RNE, WU);
        toInt(7, 0, 7.0, RDN, LU);
    }

    @Test
    void saturationTable() {
        long wMax = Integer.MAX_VALUE, wMin = Integer.MIN_VALUE;
        toInt(wMax, 0, 0x1p31 - 1, RNE, W);
        toInt(wMax, NV, 0x1p31, RNE, W);
        toInt(wMax, NV, 0x1p31 - 0.5, RNE, W); // rounds to 2^31: out of range
        toInt(wMax, NX, 0x1p31 - 0.5, RTZ, W);
        toInt(wMin, 0, -0x1p31, RNE, W);
        toInt(wMin, NX, -0x1p31 - 0.5, RNE, W); // ties to even at -2^31
        toInt(wMin, NV, -0x1p31 - 1, RNE, W);
        toInt(wMin, NV, Double.NEGATIVE_INFINITY, RNE, W);
        toInt(wMax, NV, Double.POSITIVE_INFINITY, RNE, W);
        toInt(wMax, NV, Double.NaN, RNE, W);
        // unsigned 32-bit results are sign-extended to 64 bits
        toInt(-1L, 0, 0x1p32 - 1, RNE, WU);
        toInt(-1L, NV, 0x1p32, RNE, WU);
        toInt(0, NV, -1.0, RNE, WU);
        toInt(0, NX, -0.4, RNE, WU); // rounds to -0, which is in range
        toInt(0, NV, -0.6, RNE, WU);
        toInt(0, NX, -0.9, RTZ, WU);
        toInt(-1L, NV, Double.NaN, RNE, WU);
        toInt(0, NV, Double.NEGATIVE_INFINITY, RNE, WU);
        toInt(0x80000000L | 0xffffffff00000000L, 0, 0x1p31, RNE, WU);
        toInt(Long.MAX_VALUE, NV, 0x1p63, RNE, L);
        toInt(Long.MIN_VALUE, 0, -0x1p63, RNE, L);
        toInt(Long.MIN_VALUE, NV, -0x1p64, RNE, L);
        toInt(Long.MAX_VALUE, NV, Double.NaN, RNE, L);
        toInt(0x7ffffffffffffc00L, 0, 0x1p63 - 1024, RNE, L);
        toInt(-1L, NV, 0x1p64, RNE, LU);
        toInt(0x8000000000000000L, 0, 0x1p63, RNE, LU);
        toInt(0xfffffffffffff800L, 0, 0x1p64 - 2048, RNE, LU);
        toInt(0, NV, -1.0, RNE, LU);
        toInt(-1L, NV, Double.NaN, RNE, LU);
        toInt(0, NV, Double.NEGATIVE_INFINITY, RNE, LU);
    }

    @Test
    void singleToInteger() {
        assertEquals(Integer.MAX_VALUE, FpConvert.toIntS(st, 0x7fa00000, RNE, W)); // sNaN
        assertEquals(NV, st.flags);
        st.flags = 0;
        assertEquals(-2, FpConvert.toIntS(st, s(-1.5f), RDN, L));
        assertEquals(NX, st.flags);
    }

    @Test
    void integerToFloat() {
        assertEquals(d(-1.0), FpConvert.fromInt(st, -1, W, RNE, false));
        assertEquals(d(0x1p32 - 1), FpConvert.fromInt(st, -1, WU, RNE, false));
        assertEquals(d(-0x1p31), FpConvert.fromInt(st, 0x1234567880000000L, W, RNE, false), "upper half ignored");
        assertEquals(0, st.flags);
        // 2^53 + 1 is a tie between 2^53 and 2^53 + 2
        long big = (1L << 53) + 1;
        assertEquals(d(0x1p53), FpConvert.fromInt(st, big, L, RNE, false));
        assertEquals(d(0x1p53 + 2), FpConvert.fromInt(st, big, L, RMM, false));
        assertEquals(d(0x1p53 + 2), FpConvert.fromInt(st, big, L, RUP, false));
        assertEquals(d(-0x1p53 - 2), FpConvert.fromInt(st, -big, L, RDN, false));
        assertEquals(NX, st.flags);
        st.flags = 0;
        assertEquals(d(0x1p64), FpConvert.fromInt(st, -1L, LU, RNE, false));
        assertEquals(d(0x1p64 - 2048), FpConvert.fromInt(st, -1L, LU, RTZ, false));
        assertEquals(d(-0x1p63), FpConvert.fromInt(st, Long.MIN_VALUE, L, RTZ, false));
        st.flags = 0;
        assertEquals(s(0x1p24f), FpConvert.fromInt(st, (1 << 24) + 1, W, RNE, true));
        assertEquals(s(0x1p24f + 2), FpConvert.fromInt(st, (1 << 24) + 1, W, RUP, true));
        assertEquals(s(0x1p32f), FpConvert.fromInt(st, 0xffffffffL, WU, RNE, true));
        assertEquals(s(0x1p32f - 256), FpConvert.fromInt(st, 0xffffffffL, WU, RTZ, true));
        assertEquals(NX, st.flags);
        st.flags = 0;
        assertEquals(0, FpConvert.fromInt(st, 0, L, RDN, false), "integer zero is +0 in every mode");
    }

    @Test
    void doubleToSingle() {
        expectS(s(0.1f), NX, st, FpConvert.dToS(st, d(0.1), RNE), "0.1");
        expectS(s(0.1f) - 1, NX, st, FpConvert.dToS(st, d(0.1), RDN), "0.1 RDN");
        expectS(s(0.1f) - 1, NX, st, FpConvert.dToS(st, d(0.1), RTZ), "0.1 RTZ (0.1f is above 0.1)");
        expectS(INF_S, OF | NX, st, FpConvert.dToS(st, d(1e300), RNE), "overflow");
        expectS(MAX_S, OF | NX, st, FpConvert.dToS(st, d(1e300), RTZ), "overflow RTZ");
        expectS(NZERO_S, UF | NX, st, FpConvert.dToS(st, d(-1e-300), RNE), "underflow");
        expectS(0x80000001, UF | NX, st, FpConvert.dToS(st, d(-1e-300), RDN), "underflow RDN");
        // 2^-126 - 2^-151 rounds up to 2^-126 with an unbounded exponent: not tiny (found by fpdiff)
        expectS(MIN_NORMAL_S, NX, st, FpConvert.dToS(st, 0x380ffffff0000000L, RUP), "not tiny");
        expectS(MIN_NORMAL_S, NX, st, FpConvert.dToS(st, 0x380ffffff0000000L, RNE), "not tiny RNE");
        expectS(0x007fffff, UF | NX, st, FpConvert.dToS(st, 0x380ffffff0000000L, RTZ), "tiny RTZ");
        expectS(QNAN_S, NV, st, FpConvert.dToS(st, SNAN_D, RNE), "sNaN");
        expectS(QNAN_S, 0, st, FpConvert.dToS(st, 0xfff8000000000001L, RNE), "qNaN payload dropped");
        expectS(NINF_S, 0, st, FpConvert.dToS(st, NINF_D, RNE), "-inf");
        expectS(1, 0, st, FpConvert.dToS(st, d(0x1p-149), RNE), "exact subnormal");
    }

    @Test
    void singleToDouble() {
        expectD(d(0x1p-149), 0, st, FpConvert.sToD(st, 1), "subnormal single is a normal double");
        expectD(QNAN_D, NV, st, FpConvert.sToD(st, SNAN_S), "sNaN");
        expectD(QNAN_D, 0, st, FpConvert.sToD(st, 0xffc00001), "qNaN");
        expectD(NZERO_D, 0, st, FpConvert.sToD(st, NZERO_S), "-0");
    }
}
