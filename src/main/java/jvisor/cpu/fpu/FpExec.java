package jvisor.cpu.fpu;

import static jvisor.cpu.fpu.FpBits.box;
import static jvisor.cpu.fpu.FpBits.unbox;
import static jvisor.cpu.fpu.FpOp.*;

import jvisor.cpu.Hart;

/**
 * Executes decoded F and D instructions on a hart. Returns {@link Hart#OK}, {@link Hart#TRAP}
 * (a memory fault was recorded) or {@link Hart#ILLEGAL}.
 *
 * <p>Single values live NaN-boxed in the 64-bit f registers: results are boxed, and operands of
 * anything but the pure moves (flw/fsw, fmv) are unboxed, reading improperly boxed values as the
 * canonical NaN (D chapter, "NaN Boxing of Narrower Values").
 */
public final class FpExec {
    private FpExec() {}

    /** Rounding mode of an op: the static rm field, or frm when rm is 7; -1 if that is reserved. */
    private static int rm(Hart h, long d) {
        int rm = (int) (d >>> 44) & 7; // bits 14:12 of the raw instruction in the immediate
        if (rm == 7) rm = h.fpu.frm;
        return rm > 4 ? -1 : rm;
    }

    private static int rd(long d) { return (int) (d >>> 10) & 0x3f; }
    private static int rs1(long d) { return (int) (d >>> 16) & 0x1f; }
    private static int rs2(long d) { return (int) (d >>> 21) & 0x1f; }
    private static int rs3(long d) { return (int) (d >>> 26) & 0x1f; }

    public static int execute(Hart h, long d) {
        if (h.fpuOff()) return Hart.ILLEGAL; // mstatus.FS = Off disables every F/D instruction
        int op = (int) d & 0x1ff;
        long[] f = h.f;
        switch (op) {
            case FLD: {
                long v = h.mmu.load64(h.x[rs1(d)] + (d >> 32));
                if (h.fault) return Hart.TRAP;
                f[rd(d)] = v;
                break;
            }
            case FSD:
                h.mmu.store64(h.x[rs1(d)] + (d >> 32), f[rs2(d)]);
                return h.fault ? Hart.TRAP : Hart.OK;
            case FLW: {
                long v = h.mmu.load32(h.x[rs1(d)] + (d >> 32));
                if (h.fault) return Hart.TRAP;
                f[rd(d)] = box((int) v);
                break;
            }
            case FSW:
                h.mmu.store32(h.x[rs1(d)] + (d >> 32), f[rs2(d)]);
                return h.fault ? Hart.TRAP : Hart.OK;
            case FMV_X_D:
                h.x[rd(d)] = f[rs1(d)];
                return Hart.OK;
            case FMV_X_W:
                h.x[rd(d)] = (int) f[rs1(d)];
                return Hart.OK;
            case FCLASS_D:
                h.x[rd(d)] = FpBits.classD(f[rs1(d)]);
                return Hart.OK;
            case FCLASS_S:
                h.x[rd(d)] = FpBits.classS(unbox(f[rs1(d)]));
                return Hart.OK;
            case FMV_D_X:
                f[rd(d)] = h.x[rs1(d)];
                break;
            case FMV_W_X:
                f[rd(d)] = box((int) h.x[rs1(d)]);
                break;
            default:
                int status = op >= FADD_D ? doubleOp(h, d, op) : singleOp(h, d, op);
                if (status != Hart.OK) return status;
        }
        h.markFpDirty();
        return Hart.OK;
    }

    private static int doubleOp(Hart h, long d, int op) {
        long[] f = h.f;
        FpArith fp = h.fpu;
        long a = f[rs1(d)], b = f[rs2(d)];
        int rd = rd(d);
        switch (op) {
            case FSGNJ_D: f[rd] = (a & ~FpBits.D_SIGN) | (b & FpBits.D_SIGN); return Hart.OK;
            case FSGNJN_D: f[rd] = (a & ~FpBits.D_SIGN) | (~b & FpBits.D_SIGN); return Hart.OK;
            case FSGNJX_D: f[rd] = a ^ (b & FpBits.D_SIGN); return Hart.OK;
            case FMIN_D: f[rd] = FpCompare.minMaxD(fp, a, b, false); return Hart.OK;
            case FMAX_D: f[rd] = FpCompare.minMaxD(fp, a, b, true); return Hart.OK;
            case FLE_D: case FLT_D: case FEQ_D:
                h.x[rd] = FpCompare.cmpD(fp, a, b, op - FLE_D);
                return Hart.OK;
            default:
        }
        int rm = rm(h, d);
        if (rm < 0) return Hart.ILLEGAL;
        switch (op) {
            case FADD_D: f[rd] = fp.addD(a, b, rm); break;
            case FSUB_D: f[rd] = fp.subD(a, b, rm); break;
            case FMUL_D: f[rd] = fp.mulD(a, b, rm); break;
            case FDIV_D: f[rd] = fp.divD(a, b, rm); break;
            case FSQRT_D: f[rd] = fp.sqrtD(a, rm); break;
            // fmsub = a*b-c, fnmsub = -(a*b)+c, fnmadd = -(a*b)-c: flipping signs is exact
            case FMADD_D: f[rd] = fp.fmaD(a, b, f[rs3(d)], rm); break;
            case FMSUB_D: f[rd] = fp.fmaD(a, b, f[rs3(d)] ^ FpBits.D_SIGN, rm); break;
            case FNMSUB_D: f[rd] = fp.fmaD(a ^ FpBits.D_SIGN, b, f[rs3(d)], rm); break;
            case FNMADD_D: f[rd] = fp.fmaD(a ^ FpBits.D_SIGN, b, f[rs3(d)] ^ FpBits.D_SIGN, rm); break;
            case FCVT_W_D: case FCVT_WU_D: case FCVT_L_D: case FCVT_LU_D:
                h.x[rd] = FpConvert.toInt(fp, a, rm, op - FCVT_W_D);
                break;
            case FCVT_D_W: case FCVT_D_WU: case FCVT_D_L: case FCVT_D_LU:
                f[rd] = FpConvert.fromInt(fp, h.x[rs1(d)], op - FCVT_D_W, rm, false);
                break;
            case FCVT_D_S: f[rd] = FpConvert.sToD(fp, unbox(a)); break;
            default: return Hart.ILLEGAL;
        }
        return Hart.OK;
    }

    private static int singleOp(Hart h, long d, int op) {
        long[] f = h.f;
        FpArith fp = h.fpu;
        int rd = rd(d);
        if (op == FCVT_S_W || op == FCVT_S_WU || op == FCVT_S_L || op == FCVT_S_LU) {
            int rm = rm(h, d);
            if (rm < 0) return Hart.ILLEGAL;
            f[rd] = box((int) FpConvert.fromInt(fp, h.x[rs1(d)], op - FCVT_S_W, rm, true));
            return Hart.OK;
        }
        if (op == FCVT_S_D) {
            int rm = rm(h, d);
            if (rm < 0) return Hart.ILLEGAL;
            f[rd] = box(FpConvert.dToS(fp, f[rs1(d)], rm));
            return Hart.OK;
        }
        int a = unbox(f[rs1(d)]), b = unbox(f[rs2(d)]);
        switch (op) {
            case FSGNJ_S: f[rd] = box((a & ~FpBits.S_SIGN) | (b & FpBits.S_SIGN)); return Hart.OK;
            case FSGNJN_S: f[rd] = box((a & ~FpBits.S_SIGN) | (~b & FpBits.S_SIGN)); return Hart.OK;
            case FSGNJX_S: f[rd] = box(a ^ (b & FpBits.S_SIGN)); return Hart.OK;
            case FMIN_S: f[rd] = box(FpCompare.minMaxS(fp, a, b, false)); return Hart.OK;
            case FMAX_S: f[rd] = box(FpCompare.minMaxS(fp, a, b, true)); return Hart.OK;
            case FLE_S: case FLT_S: case FEQ_S:
                h.x[rd] = FpCompare.cmpS(fp, a, b, op - FLE_S);
                return Hart.OK;
            default:
        }
        int rm = rm(h, d);
        if (rm < 0) return Hart.ILLEGAL;
        int r;
        switch (op) {
            case FADD_S: r = fp.addS(a, b, rm); break;
            case FSUB_S: r = fp.subS(a, b, rm); break;
            case FMUL_S: r = fp.mulS(a, b, rm); break;
            case FDIV_S: r = fp.divS(a, b, rm); break;
            case FSQRT_S: r = fp.sqrtS(a, rm); break;
            case FMADD_S: r = fp.fmaS(a, b, unbox(f[rs3(d)]), rm); break;
            case FMSUB_S: r = fp.fmaS(a, b, unbox(f[rs3(d)]) ^ FpBits.S_SIGN, rm); break;
            case FNMSUB_S: r = fp.fmaS(a ^ FpBits.S_SIGN, b, unbox(f[rs3(d)]), rm); break;
            case FNMADD_S: r = fp.fmaS(a ^ FpBits.S_SIGN, b, unbox(f[rs3(d)]) ^ FpBits.S_SIGN, rm); break;
            case FCVT_W_S: case FCVT_WU_S: case FCVT_L_S: case FCVT_LU_S:
                h.x[rd] = FpConvert.toIntS(fp, a, rm, op - FCVT_W_S);
                return Hart.OK;
            default: return Hart.ILLEGAL;
        }
        f[rd] = box(r);
        return Hart.OK;
    }
}
