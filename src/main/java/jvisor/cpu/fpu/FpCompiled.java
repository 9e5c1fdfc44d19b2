package jvisor.cpu.fpu;

import jvisor.cpu.Hart;

/**
 * The commonest double-precision instructions as small methods for compiled regions: each is one
 * operation with its register numbers as arguments, so C2 inlines it where the region calls it,
 * instead of dispatching through {@link FpExec}'s switches. Same results, flags and traps as
 * {@link FpExec#execute}: {@link Hart#OK}, {@link Hart#TRAP} or {@link Hart#ILLEGAL}.
 */
public final class FpCompiled {
    private FpCompiled() {}

    /** The rounding mode for an instruction's rm field (7: frm); -1 when reserved. */
    private static int rm(Hart h, int rmField) {
        int rm = rmField == 7 ? h.fpu.frm : rmField;
        return rm > 4 ? -1 : rm;
    }

    public static int fld(Hart h, int rd, long address) {
        if (h.fpuOff()) return Hart.ILLEGAL;
        long v = h.mmu.load64(address);
        if (h.fault) return Hart.TRAP;
        h.f[rd] = v;
        h.markFpDirty();
        return Hart.OK;
    }

    public static int fsd(Hart h, int rs2, long address) {
        if (h.fpuOff()) return Hart.ILLEGAL;
        h.mmu.store64(address, h.f[rs2]);
        return h.fault ? Hart.TRAP : Hart.OK;
    }

    /** fadd.d, fsub.d, fmul.d, fdiv.d: {@code op} is the {@link FpOp} id, a constant at each call. */
    public static int arithD(Hart h, int op, int rd, int rs1, int rs2, int rmField) {
        int rm = rm(h, rmField);
        if (h.fpuOff() || rm < 0) return Hart.ILLEGAL;
        long a = h.f[rs1], b = h.f[rs2];
        FpArith fp = h.fpu;
        h.f[rd] = switch (op) {
            case FpOp.FADD_D -> fp.addD(a, b, rm);
            case FpOp.FSUB_D -> fp.subD(a, b, rm);
            case FpOp.FMUL_D -> fp.mulD(a, b, rm);
            default -> fp.divD(a, b, rm);
        };
        h.markFpDirty();
        return Hart.OK;
    }

    /** fmadd.d: rs1 × rs2 + rs3 with one rounding (the negated forms go through {@link FpExec}). */
    public static int fmaddD(Hart h, int rd, int rs1, int rs2, int rs3, int rmField) {
        int rm = rm(h, rmField);
        if (h.fpuOff() || rm < 0) return Hart.ILLEGAL;
        h.f[rd] = h.fpu.fmaD(h.f[rs1], h.f[rs2], h.f[rs3], rm);
        h.markFpDirty();
        return Hart.OK;
    }
}
