package jvisor.cpu.fpu;

import static jvisor.cpu.Decoded.pack;
import static jvisor.cpu.Decoded.xrd;
import static jvisor.cpu.fpu.FpOp.*;

import jvisor.cpu.Decoder;

/**
 * Decodes F and D instructions (major opcodes LOAD-FP, STORE-FP, MADD, MSUB, NMSUB, NMADD and
 * OP-FP) into packed {@code jvisor.cpu.Decoded} words. Formats other than S (fmt 00) and D (01),
 * and static rounding modes 5 and 6, are reserved and decode as illegal; the dynamic mode (7) is
 * checked against frm at execution time.
 */
public final class FpDecoder {
    private FpDecoder() {}

    private static final long ILLEGAL = Decoder.ILLEGAL;

    public static long decode(int i) {
        int rd = i >>> 7 & 31, rs1 = i >>> 15 & 31, rs2 = i >>> 20 & 31, f3 = i >>> 12 & 7;
        int fmt = i >>> 25 & 3;
        switch (i & 0x7f) {
            case 0x07: // flw, fld
                if (f3 != 2 && f3 != 3) return ILLEGAL;
                return pack(f3 == 2 ? FLW : FLD, rd, rs1, 0, 0, i >> 20);
            case 0x27: // fsw, fsd
                if (f3 != 2 && f3 != 3) return ILLEGAL;
                return pack(f3 == 2 ? FSW : FSD, 0, rs1, rs2, 0, (i >> 25) << 5 | rd);
            case 0x43: case 0x47: case 0x4b: case 0x4f: { // fmadd, fmsub, fnmsub, fnmadd
                if (fmt > 1 || badRm(f3)) return ILLEGAL;
                int op = FMADD_S + ((i >>> 2) & 3) + (fmt == 1 ? D_OFFSET : 0);
                return pack(op, rd, rs1, rs2, i >>> 27, i);
            }
            case 0x53:
                return opFp(i, rd, rs1, rs2, f3, fmt);
            default:
                return ILLEGAL;
        }
    }

    /** Rounding-mode values 5 and 6 are reserved (F chapter, "Floating-Point Control and Status Register"). */
    private static boolean badRm(int rm) { return rm == 5 || rm == 6; }

    private static long opFp(int i, int rd, int rs1, int rs2, int f3, int fmt) {
        if (fmt > 1) return ILLEGAL; // H and Q are not implemented
        int base = fmt == 1 ? D_OFFSET : 0;
        switch (i >>> 27) {
            case 0x00: case 0x01: case 0x02: case 0x03: // fadd, fsub, fmul, fdiv
                if (badRm(f3)) return ILLEGAL;
                return pack(FADD_S + (i >>> 27) + base, rd, rs1, rs2, 0, i);
            case 0x0b: // fsqrt
                if (badRm(f3) || rs2 != 0) return ILLEGAL;
                return pack(FSQRT_S + base, rd, rs1, 0, 0, i);
            case 0x04: // fsgnj, fsgnjn, fsgnjx
                if (f3 > 2) return ILLEGAL;
                return pack(FSGNJ_S + f3 + base, rd, rs1, rs2, 0, i);
            case 0x05: // fmin, fmax
                if (f3 > 1) return ILLEGAL;
                return pack(FMIN_S + f3 + base, rd, rs1, rs2, 0, i);
            case 0x08: // fcvt.s.d (fmt S, source D) and fcvt.d.s (fmt D, source S)
                if (badRm(f3) || rs2 != (fmt ^ 1)) return ILLEGAL;
                return pack(fmt == 0 ? FCVT_S_D : FCVT_D_S, rd, rs1, 0, 0, i);
            case 0x14: // fle, flt, feq
                if (f3 > 2) return ILLEGAL;
                return pack(FLE_S + f3 + base, xrd(rd), rs1, rs2, 0, i);
            case 0x18: // fcvt.{w,wu,l,lu}.fmt
                if (badRm(f3) || rs2 > 3) return ILLEGAL;
                return pack(FCVT_W_S + rs2 + base, xrd(rd), rs1, 0, 0, i);
            case 0x1a: // fcvt.fmt.{w,wu,l,lu}
                if (badRm(f3) || rs2 > 3) return ILLEGAL;
                return pack(FCVT_S_W + rs2 + base, rd, rs1, 0, 0, i);
            case 0x1c: // fmv.x.w / fmv.x.d, fclass
                if (rs2 != 0 || f3 > 1) return ILLEGAL;
                return pack((f3 == 0 ? FMV_X_W : FCLASS_S) + base, xrd(rd), rs1, 0, 0, i);
            case 0x1e: // fmv.w.x / fmv.d.x
                if (rs2 != 0 || f3 != 0) return ILLEGAL;
                return pack(FMV_W_X + base, rd, rs1, 0, 0, i);
            default:
                return ILLEGAL;
        }
    }
}
