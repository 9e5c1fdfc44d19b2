package jvisor.fuzz;

import static jvisor.fuzz.Rv.f;
import static jvisor.fuzz.Rv.x;

/**
 * F and D instructions: arithmetic, fused multiply-add, square root, sign injection, min/max,
 * conversions between the formats and to and from integers, compares, classify, moves, loads and
 * stores (compressed too). Rounding modes are static (RNE..RMM) or dynamic (frm, which the CSR
 * generator keeps valid).
 */
final class FpOps {
    private final Emitter e;
    private final IntOps ints;

    FpOps(Emitter e, IntOps ints) {
        this.e = e;
        this.ints = ints;
    }

    private static final String[] RM = {"rne", "rtz", "rdn", "rup", "rmm", "?", "?", "dyn"};

    private int rm() {
        int k = e.pick("rm", 6);
        return k == 5 ? 7 : k;
    }

    private static int fp(int funct5, int fmt, int rm, int rd, int rs1, int rs2) {
        return Rv.r(Rv.OP_FP, rm, funct5 << 2 | fmt, rd, rs1, rs2);
    }

    private static String sfx(int fmt) { return fmt == 0 ? ".s" : ".d"; }

    void any() {
        int fmt = e.pick("fmt", 2);
        switch (e.weighted("fp", 25, 15, 5, 10, 5, 12, 10, 18)) {
            case 0 -> arith(fmt);
            case 1 -> fma(fmt);
            case 2 -> sqrt(fmt);
            case 3 -> signMinMax(fmt);
            case 4 -> convertFormat(fmt);
            case 5 -> toInteger(fmt);
            case 6 -> fromInteger(fmt);
            default -> loadStore(fmt);
        }
    }

    private void arith(int fmt) {
        int op = e.pick("arith", 4), rm = rm(), rs1 = e.fr(), rs2 = e.fr(), rd = e.frd();
        e.put(fp(op, fmt, rm, rd, rs1, rs2),
                new String[] {"fadd", "fsub", "fmul", "fdiv"}[op] + sfx(fmt) + " " + f(rd) + ", " + f(rs1) + ", " + f(rs2) + ", " + RM[rm]);
    }

    private void fma(int fmt) {
        int op = e.pick("fma", 4), rm = rm(), rs1 = e.fr(), rs2 = e.fr(), rs3 = e.fr(), rd = e.frd();
        e.put(Rv.r4(0x43 + 4 * op, fmt, rm, rd, rs1, rs2, rs3),
                new String[] {"fmadd", "fmsub", "fnmsub", "fnmadd"}[op] + sfx(fmt) + " " + f(rd) + ", " + f(rs1) + ", " + f(rs2)
                        + ", " + f(rs3) + ", " + RM[rm]);
    }

    private void sqrt(int fmt) {
        int rm = rm(), rs1 = e.fr(), rd = e.frd();
        e.put(fp(0x0b, fmt, rm, rd, rs1, 0), "fsqrt" + sfx(fmt) + " " + f(rd) + ", " + f(rs1) + ", " + RM[rm]);
    }

    private void signMinMax(int fmt) {
        int rs1 = e.fr(), rs2 = e.fr(), rd = e.frd();
        if (e.chance(60)) {
            int kind = e.pick("sgnj", 3);
            e.put(fp(0x04, fmt, kind, rd, rs1, rs2),
                    new String[] {"fsgnj", "fsgnjn", "fsgnjx"}[kind] + sfx(fmt) + " " + f(rd) + ", " + f(rs1) + ", " + f(rs2));
        } else {
            int kind = e.below(2);
            e.put(fp(0x05, fmt, kind, rd, rs1, rs2),
                    (kind == 0 ? "fmin" : "fmax") + sfx(fmt) + " " + f(rd) + ", " + f(rs1) + ", " + f(rs2));
        }
    }

    private void convertFormat(int fmt) {
        int rm = rm(), rs1 = e.fr(), rd = e.frd();
        // fcvt.s.d: fmt S, rs2 = 1 (from D); fcvt.d.s: fmt D, rs2 = 0
        e.put(fp(0x08, fmt, rm, rd, rs1, fmt == 0 ? 1 : 0),
                (fmt == 0 ? "fcvt.s.d " : "fcvt.d.s ") + f(rd) + ", " + f(rs1) + ", " + RM[rm]);
    }

    private static final String[] INT_TYPES = {"w", "wu", "l", "lu"};

    /** Results in an integer register: conversions, compares, classify, fmv.x. */
    private void toInteger(int fmt) {
        int rs1 = e.fr(), rs2 = e.fr(), rd = e.rdOrZero();
        switch (e.pick("to-int", 4)) {
            case 0, 1 -> {
                int t = e.pick("int-type", 4), rm = rm();
                e.put(fp(0x18, fmt, rm, rd, rs1, t),
                        "fcvt." + INT_TYPES[t] + sfx(fmt) + " " + x(rd) + ", " + f(rs1) + ", " + RM[rm]);
            }
            case 2 -> {
                int kind = e.below(3); // fle, flt, feq
                e.put(fp(0x14, fmt, kind, rd, rs1, rs2),
                        new String[] {"fle", "flt", "feq"}[kind] + sfx(fmt) + " " + x(rd) + ", " + f(rs1) + ", " + f(rs2));
            }
            default -> {
                boolean cls = e.chance(50);
                e.put(fp(0x1c, fmt, cls ? 1 : 0, rd, rs1, 0),
                        (cls ? "fclass" + sfx(fmt) : fmt == 0 ? "fmv.x.w" : "fmv.x.d") + " " + x(rd) + ", " + f(rs1));
            }
        }
    }

    private void fromInteger(int fmt) {
        int rs1 = e.rs(), rd = e.frd();
        if (e.chance(70)) {
            int t = e.pick("int-type", 4), rm = rm();
            e.put(fp(0x1a, fmt, rm, rd, rs1, t),
                    "fcvt" + sfx(fmt) + "." + INT_TYPES[t] + " " + f(rd) + ", " + x(rs1) + ", " + RM[rm]);
        } else {
            e.put(fp(0x1e, fmt, 0, rd, rs1, 0), (fmt == 0 ? "fmv.w.x " : "fmv.d.x ") + f(rd) + ", " + x(rs1));
        }
    }

    private void loadStore(int fmt) {
        int width = fmt == 0 ? 4 : 8, f3 = fmt == 0 ? 2 : 3;
        boolean store = e.chance(40);
        if (fmt == 1 && e.chance(30)) { // c.fld, c.fsd, c.fldsp, c.fsdsp
            compressed(store);
            return;
        }
        IntOps.Addr a = ints.address(ints.dataOffset(width, e.chance(40)), false);
        int r = store ? e.fr() : e.frd();
        if (store) {
            e.put(Rv.s(Rv.STORE_FP, f3, a.base(), r, a.imm()),
                    (fmt == 0 ? "fsw " : "fsd ") + f(r) + ", " + a.imm() + "(" + x(a.base()) + ")");
        } else {
            e.put(Rv.i(Rv.LOAD_FP, f3, r, a.base(), a.imm()),
                    (fmt == 0 ? "flw " : "fld ") + f(r) + ", " + a.imm() + "(" + x(a.base()) + ")");
        }
    }

    private void compressed(boolean store) {
        if (e.chance(50)) {
            int off = 8 * e.below(64), r = e.fr();
            e.putC(store ? Rv.cSdsp(5, r, off) : Rv.cLdsp(1, r, off),
                    (store ? "c.fsdsp " : "c.fldsp ") + f(r) + ", " + off + "(sp)");
            return;
        }
        int base = e.rdC();
        if (base < 0) return;
        int imm = 8 * e.below(32);
        ints.setFromSp(base, ints.dataOffset(8, e.chance(40)) - imm - (int) (Program.SP - Program.DATA));
        int r = 8 + e.below(8);
        e.putC(Rv.clsDouble(store ? 5 : 1, base, r, imm),
                (store ? "c.fsd " : "c.fld ") + f(r) + ", " + imm + "(" + x(base) + ")");
    }
}
