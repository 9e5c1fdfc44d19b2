package jvisor.fuzz;

import static jvisor.fuzz.Rv.x;

/**
 * Instructions that trap, for programs compared between jvisor's modes only: jvisor's handler
 * logs each trap and resumes after it ({@link Stub}), so every mode must stop at the same
 * instruction with the same registers, memory, mcause, mepc and mtval. Illegal encodings,
 * writes to read-only CSRs, breakpoints, misaligned atomics, accesses to unmapped addresses
 * (access faults in M-mode, page faults in U-mode) and dynamic rounding with an invalid frm.
 */
final class TrapOps {
    private final Emitter e;
    private final IntOps ints;

    TrapOps(Emitter e, IntOps ints) {
        this.e = e;
        this.ints = ints;
    }

    /** No RAM, device or page mapping lives there. */
    private static final int UNMAPPED = 0x70000;

    void any() {
        switch (e.pick("trap", 9)) {
            case 0 -> {
                if (e.chance(50)) e.put(0xffffffff, "illegal (all ones)");
                else e.putC(0, "c.unimp");
            }
            case 1 -> { // reserved rounding modes 5 and 6
                int rm = 5 + e.below(2), rd = e.frd();
                e.put(Rv.r(Rv.OP_FP, rm, e.below(4) << 2 | e.below(2), rd, e.fr(), e.fr()),
                        "fadd/fsub/fmul/fdiv f" + rd + ", rm " + rm + " (illegal)");
            }
            case 2 -> { // fsqrt with rs2 != 0
                int rd = e.frd();
                e.put(Rv.r(Rv.OP_FP, 0, 0x0b << 2 | e.below(2), rd, e.fr(), 1 + e.below(31)),
                        "fsqrt f" + rd + " with rs2 != 0 (illegal)");
            }
            case 3 -> { // cycle and instret are read-only: any write attempt is illegal
                int rd = e.rdOrZero(), rs = 1 + e.below(31), f3 = 1 + e.below(3);
                e.put(Rv.i(Rv.SYSTEM, f3, rd, rs, 0xc00 + 2 * e.below(2)),
                        "csrrw/s/c " + x(rd) + ", cycle/instret, " + x(rs) + " (illegal)");
            }
            case 4 -> {
                if (e.chance(50)) e.put(0x00100073, "ebreak");
                else e.putC(0x9002, "c.ebreak");
            }
            case 5 -> misalignedAtomic();
            case 6 -> unmapped();
            case 7 -> { // frm 5..7, an FP op with the dynamic mode, frm valid again
                e.put(Rv.i(Rv.SYSTEM, 5, 0, 5 + e.below(3), 2), "csrrwi x0, frm, 5..7 (invalid)");
                int rd = e.frd();
                e.put(Rv.r(Rv.OP_FP, 7, e.below(4) << 2 | e.below(2), rd, e.fr(), e.fr()),
                        "fadd/fsub/fmul/fdiv f" + rd + ", dyn (illegal)");
                e.put(Rv.i(Rv.SYSTEM, 5, 0, e.below(5), 2), "csrrwi x0, frm, 0..4");
            }
            default -> { // mstatus: illegal in U-mode, a plain read in M-mode
                int rd = e.rdOrZero();
                e.put(Rv.i(Rv.SYSTEM, 2, rd, 0, 0x300), "csrr " + x(rd) + ", mstatus");
            }
        }
    }

    private void misalignedAtomic() {
        boolean dw = e.chance(50);
        int width = dw ? 8 : 4;
        IntOps.Addr a = ints.address(ints.dataOffset(width, true) + 1 + e.below(width - 1), true);
        int rd = e.rdOrZero(), f5 = new int[] {0, 1, 2, 3, 4, 8, 12, 16, 28}[e.below(9)];
        e.put(Rv.r(Rv.AMO, dw ? 3 : 2, f5 << 2, rd, a.base(), f5 == 2 ? 0 : e.rs()),
                "amo/lr/sc funct5 " + f5 + " " + x(rd) + ", (" + x(a.base()) + ") misaligned");
    }

    /** A load or store (integer, FP or compressed) at an address nothing is mapped at. */
    private void unmapped() {
        int t = e.rdC();
        if (t < 0) t = e.rd();
        e.put(Rv.u(Rv.LUI, t, UNMAPPED + e.below(16)), "lui " + x(t) + ", unmapped");
        int imm = 8 * e.below(16);
        switch (e.below(5)) {
            case 0 -> {
                int rd = e.rdOrZero();
                e.put(Rv.i(Rv.LOAD, e.below(7), rd, t, imm), "load " + x(rd) + ", " + imm + "(" + x(t) + ") (faults)");
            }
            case 1 -> e.put(Rv.s(Rv.STORE, e.below(4), t, e.rs(), imm), "store to " + imm + "(" + x(t) + ") (faults)");
            case 2 -> {
                int rd = e.frd();
                e.put(Rv.i(Rv.LOAD_FP, 2 + e.below(2), rd, t, imm), "flw/fld f" + rd + ", " + imm + "(" + x(t) + ") (faults)");
            }
            case 3 -> e.put(Rv.s(Rv.STORE_FP, 2 + e.below(2), t, e.fr(), imm), "fsw/fsd to " + imm + "(" + x(t) + ") (faults)");
            default -> {
                if (t < 8 || t > 15) {
                    e.put(Rv.i(Rv.LOAD, 3, 0, t, imm), "ld x0, " + imm + "(" + x(t) + ") (faults)");
                } else {
                    int rd = e.rdC();
                    e.putC(Rv.clsDouble(3, t, rd < 0 ? t : rd, imm), "c.ld (faults)");
                }
            }
        }
    }
}
