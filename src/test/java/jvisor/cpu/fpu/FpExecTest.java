package jvisor.cpu.fpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jvisor.cpu.Cause;
import jvisor.testing.Guest;
import org.junit.jupiter.api.Test;

/** F/D instructions end to end on a hart: decoding, rounding-mode fields, fcsr, FS, NaN boxing. */
class FpExecTest {
    private static final String FP_ON = """
              li t0, 0x2000          # mstatus.FS = Initial
              csrs mstatus, t0
            """;

    private static final int ILLEGAL = 0x400 + Cause.ILLEGAL_INSN;

    @Test
    void fsOffMakesEveryFpInstructionIllegal() {
        assertEquals(ILLEGAL, Guest.run("fadd.d f0, f1, f2").status());
        assertEquals(ILLEGAL, Guest.run("fmv.x.d a0, f1").status());
        assertEquals(ILLEGAL, Guest.run("la a0, tohost\n fld f0, 0(a0)").status());
        assertEquals(ILLEGAL, Guest.run("csrr a0, fflags").status());
    }

    @Test
    void writingFpStateMarksItDirty() {
        var r = Guest.run(FP_ON + """
                csrr a0, mstatus
                fmv.d.x f1, zero
                csrr a1, mstatus
                """);
        assertEquals(0, r.status());
        assertEquals(1, r.x(10) >>> 13 & 3, "FS = Initial before");
        assertEquals(3, r.x(11) >>> 13 & 3, "FS = Dirty after an f write");
        assertEquals(1, r.x(11) >>> 63, "SD follows FS");
    }

    @Test
    void staticAndDynamicRoundingModes() {
        var r = Guest.run(FP_ON + """
                li t0, 1
                fcvt.d.l f1, t0
                li t0, 3
                fcvt.d.l f2, t0
                fsrmi 3                 # frm = RUP
                fdiv.d f3, f1, f2       # dyn: rounds up
                fdiv.d f4, f1, f2, rtz  # static field wins over frm
                fmv.x.d a0, f3
                fmv.x.d a1, f4
                frflags a2
                frcsr a3
                """);
        assertEquals(0, r.status());
        long third = Double.doubleToRawLongBits(1.0 / 3);
        assertEquals(third + 1, r.x(10));
        assertEquals(third, r.x(11));
        assertEquals(FpTesting.NX, r.x(12));
        assertEquals(3 << 5 | FpTesting.NX, r.x(13));
    }

    @Test
    void reservedRoundingModesAreIllegal() {
        // rm = 5 in the instruction itself (fadd.d f3, f1, f2 with funct3 101)
        var r = Guest.run(FP_ON + ".insn r 0x53, 5, 0x01, f3, f1, f2");
        assertEquals(ILLEGAL, r.status());
        // dynamic rounding with frm = 5, and 7
        assertEquals(ILLEGAL, Guest.run(FP_ON + "fsrmi 5\n fadd.d f3, f1, f2").status());
        assertEquals(ILLEGAL, Guest.run(FP_ON + "fsrmi 7\n fsqrt.s f3, f1").status());
        // ops without a rounding mode don't care about frm
        assertEquals(0, Guest.run(FP_ON + "fsrmi 7\n fsgnj.d f3, f1, f2\n fmin.s f3, f1, f2").status());
        // unsupported formats (H = 10, Q = 11) are reserved
        assertEquals(ILLEGAL, Guest.run(FP_ON + ".insn r 0x53, 0, 0x03, f3, f1, f2").status());
        // fcvt.d.s has an rm field like any other: the reserved values are illegal there too
        assertEquals(ILLEGAL, Guest.run(FP_ON + ".insn r 0x53, 6, 0x21, f3, f1, f0").status());
    }

    @Test
    void nanBoxing() {
        var r = Guest.run(FP_ON + """
                la t1, scratch
                li t0, 0x3f800000       # 1.0f
                sw t0, 0(t1)
                flw f1, 0(t1)
                fmv.x.d a0, f1          # boxed: upper half all ones
                li t0, 0x3ff0000000000000
                fmv.d.x f2, t0          # a double is not a boxed single
                fadd.s f3, f1, f2
                fmv.x.d a1, f3          # canonical NaN, boxed
                fmv.x.w a2, f1          # sign-extends the low word
                li t0, -1
                sd t0, 0(t1)
                fsw f2, 0(t1)           # stores the low 32 bits, whatever the upper half
                ld a3, 0(t1)
                fclass.s a4, f2         # reads as the canonical (quiet) NaN
                fsgnjn.s f4, f1, f1
                fmv.x.d a5, f4
                frflags a6
                .pushsection .data
                .align 3
            scratch: .dword 0
                .popsection
                """);
        assertEquals(0, r.status(), () -> Long.toHexString(r.x(31)) + " " + Long.toHexString(r.x(30)));
        assertEquals(0xffffffff3f800000L, r.x(10));
        assertEquals(0xffffffff7fc00000L, r.x(11));
        assertEquals(0x3f800000L, r.x(12));
        assertEquals(0xffffffff00000000L, r.x(13));
        assertEquals(1 << 9, r.x(14));
        assertEquals(0xffffffffbf800000L, r.x(15));
        assertEquals(0, r.x(16), "no flags: a quiet NaN operand");
    }

    @Test
    void integerDestinationsAndX0() {
        var r = Guest.run(FP_ON + """
                li t0, 0x7ff0000000000000
                fmv.d.x f1, t0            # +inf
                fcvt.w.d zero, f1         # saturates, writes nothing
                fcvt.wu.d a0, f1, rtz
                feq.d a1, f1, f1
                flt.d a2, f1, f1
                fclass.d a3, f1
                frflags a4
                """);
        assertEquals(0, r.status());
        assertEquals(0, r.x(0));
        assertEquals(-1L, r.x(10));
        assertEquals(1, r.x(11));
        assertEquals(0, r.x(12));
        assertEquals(1 << 7, r.x(13));
        assertEquals(FpTesting.NV, r.x(14));
    }

    @Test
    void fusedOpsAndCompressedLoads() {
        var r = Guest.run(FP_ON + """
                la s0, vals
                fld f8, 0(s0)             # compressible: c.fld
                fld f9, 8(s0)
                fld f10, 16(s0)
                fmadd.d f11, f8, f9, f10  # 2*3+1
                fmsub.d f12, f8, f9, f10  # 2*3-1
                fnmsub.d f13, f8, f9, f10 # -(2*3)+1
                fnmadd.d f14, f8, f9, f10 # -(2*3)-1
                fsd f11, 24(s0)           # c.fsd
                ld a0, 24(s0)
                fmv.x.d a1, f12
                fmv.x.d a2, f13
                fmv.x.d a3, f14
                mv sp, s0
                fld f1, 8(sp)             # c.fldsp
                fsd f1, 24(sp)            # c.fsdsp
                ld a4, 24(s0)
                .pushsection .data
                .align 3
            vals: .double 2.0, 3.0, 1.0, 0.0
                .popsection
                """);
        assertEquals(0, r.status());
        assertEquals(Double.doubleToRawLongBits(7.0), r.x(10));
        assertEquals(Double.doubleToRawLongBits(5.0), r.x(11));
        assertEquals(Double.doubleToRawLongBits(-5.0), r.x(12));
        assertEquals(Double.doubleToRawLongBits(-7.0), r.x(13));
        assertEquals(Double.doubleToRawLongBits(3.0), r.x(14));
    }

    @Test
    void faultingLoadTraps() {
        var r = Guest.run(FP_ON + """
                li a0, 0x10
                fld f1, 0(a0)
                """);
        assertEquals(0x400 + Cause.LOAD_ACCESS, r.status());
        assertEquals(0x10, r.x(30), "mtval");
    }
}
