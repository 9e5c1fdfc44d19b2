package jvisor.cpu.fpu;

import static jvisor.cpu.fpu.FpCompare.EQ;
import static jvisor.cpu.fpu.FpCompare.LE;
import static jvisor.cpu.fpu.FpCompare.LT;
import static jvisor.cpu.fpu.FpTesting.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** fmin/fmax, comparisons and fclass. */
class FpCompareTest {
    private final FpArith st = new FpArith();

    @Test
    void minMaxFollowMinimumNumber() {
        long one = d(1), two = d(2);
        expectD(one, 0, st, FpCompare.minMaxD(st, one, two, false), "min");
        expectD(two, 0, st, FpCompare.minMaxD(st, one, two, true), "max");
        expectD(NZERO_D, 0, st, FpCompare.minMaxD(st, 0, NZERO_D, false), "min(+0,-0)");
        expectD(NZERO_D, 0, st, FpCompare.minMaxD(st, NZERO_D, 0, false), "min(-0,+0)");
        expectD(0, 0, st, FpCompare.minMaxD(st, NZERO_D, 0, true), "max(-0,+0)");
        expectD(one, 0, st, FpCompare.minMaxD(st, QNAN_D, one, false), "a NaN loses");
        expectD(one, NV, st, FpCompare.minMaxD(st, one, SNAN_D, true), "sNaN loses but signals");
        expectD(QNAN_D, 0, st, FpCompare.minMaxD(st, 0x7ff8000000000005L, QNAN_D | FpBits.D_SIGN, false), "two NaNs");
        expectD(QNAN_D, NV, st, FpCompare.minMaxD(st, SNAN_D, QNAN_D, true), "two NaNs, one signalling");
        expectS(NZERO_S, 0, st, FpCompare.minMaxS(st, 0, NZERO_S, false), "min.s zeros");
        expectS(s(-3f), NV, st, FpCompare.minMaxS(st, SNAN_S, s(-3f), false), "min.s sNaN");
        expectS(QNAN_S, 0, st, FpCompare.minMaxS(st, QNAN_S, 0x7fc00001, true), "max.s two NaNs");
        expectS(INF_S, 0, st, FpCompare.minMaxS(st, INF_S, MAX_S, true), "max.s inf");
    }

    @Test
    void comparisons() {
        long one = d(1);
        assertEquals(1, FpCompare.cmpD(st, 0, NZERO_D, EQ), "+0 == -0");
        assertEquals(1, FpCompare.cmpD(st, NZERO_D, 0, LE));
        assertEquals(0, FpCompare.cmpD(st, NZERO_D, 0, LT));
        assertEquals(1, FpCompare.cmpD(st, NINF_D, one, LT));
        assertEquals(0, st.flags);
        assertEquals(0, FpCompare.cmpD(st, QNAN_D, QNAN_D, EQ), "feq is quiet for qNaN");
        assertEquals(0, st.flags);
        assertEquals(0, FpCompare.cmpD(st, SNAN_D, one, EQ));
        assertEquals(NV, st.flags, "feq signals for sNaN");
        st.flags = 0;
        assertEquals(0, FpCompare.cmpD(st, one, QNAN_D, LT));
        assertEquals(NV, st.flags, "flt signals for any NaN");
        st.flags = 0;
        assertEquals(0, FpCompare.cmpD(st, QNAN_D, one, LE));
        assertEquals(NV, st.flags, "fle signals for any NaN");
        st.flags = 0;
        assertEquals(1, FpCompare.cmpS(st, 1, 2, LT), "subnormal singles");
        assertEquals(0, FpCompare.cmpS(st, QNAN_S, QNAN_S, EQ));
        assertEquals(0, st.flags);
        assertEquals(0, FpCompare.cmpS(st, QNAN_S, 0, LE));
        assertEquals(NV, st.flags);
    }

    @Test
    void classify() {
        long[] d = {NINF_D, d(-1), 0x800fffffffffffffL, NZERO_D, 0, 1, d(1), INF_D, SNAN_D, QNAN_D};
        int[] s = {NINF_S, s(-1f), 0x807fffff, NZERO_S, 0, 1, s(1f), INF_S, SNAN_S, QNAN_S};
        for (int i = 0; i < 10; i++) {
            assertEquals(1L << i, FpBits.classD(d[i]), "fclass.d bit " + i);
            assertEquals(1L << i, FpBits.classS(s[i]), "fclass.s bit " + i);
        }
        assertEquals(1 << 9, FpBits.classD(0xfff8000000000000L), "negative qNaN");
        assertEquals(1 << 8, FpBits.classS(0xff800001), "negative sNaN");
    }

    @Test
    void nanBoxing() {
        assertEquals(0xffffffff3f800000L, FpBits.box(s(1f)));
        assertEquals(s(1f), FpBits.unbox(0xffffffff3f800000L));
        assertEquals(QNAN_S, FpBits.unbox(0x000000003f800000L), "upper half zero");
        assertEquals(QNAN_S, FpBits.unbox(0xfffffffe3f800000L), "one upper bit clear");
        assertEquals(QNAN_S, FpBits.unbox(d(1)), "a double read as single");
    }
}
