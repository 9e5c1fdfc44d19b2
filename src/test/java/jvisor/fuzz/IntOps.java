package jvisor.fuzz;

import static jvisor.fuzz.Rv.x;

/**
 * Straight-line integer instructions: RV64I and M arithmetic (with the corner values division
 * cares about), loads and stores anywhere in DATA (misaligned, across pages), AMOs, LR/SC pairs,
 * the FP CSRs, and their compressed forms. None of them traps or jumps.
 */
final class IntOps {
    private final Emitter e;

    IntOps(Emitter e) { this.e = e; }

    private static final String[] R_NAMES = {"add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and",
        "mul", "mulh", "mulhsu", "mulhu", "div", "divu", "rem", "remu"};
    private static final int[][] R_CODES = {{0, 0}, {0, 0x20}, {1, 0}, {2, 0}, {3, 0}, {4, 0}, {5, 0}, {5, 0x20},
        {6, 0}, {7, 0}, {0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}, {7, 1}};
    private static final String[] W_NAMES = {"addw", "subw", "sllw", "srlw", "sraw", "mulw", "divw", "divuw",
        "remw", "remuw"};
    private static final int[][] W_CODES = {{0, 0}, {0, 0x20}, {1, 0}, {5, 0}, {5, 0x20}, {0, 1}, {4, 1}, {5, 1},
        {6, 1}, {7, 1}};
    private static final String[] I_NAMES = {"addi", "slti", "sltiu", "xori", "ori", "andi"};
    private static final int[] I_F3 = {0, 2, 3, 4, 6, 7};

    /** One random straight-line integer instruction or short sequence. */
    void any() {
        switch (e.weighted("int", 22, 18, 4, 6, 20, 6, 3, 5, 16)) {
            case 0 -> aluR();
            case 1 -> aluI();
            case 2 -> upper();
            case 3 -> corner();
            case 4 -> loadStore();
            case 5 -> amo();
            case 6 -> lrsc();
            case 7 -> csr();
            default -> compressed();
        }
    }

    void aluR() {
        if (e.chance(65)) {
            int i = e.pick("op", R_NAMES.length);
            int rs1 = e.rs(), rs2 = e.rs(), rd = e.rdOrZero();
            e.put(Rv.r(Rv.OP, R_CODES[i][0], R_CODES[i][1], rd, rs1, rs2),
                    R_NAMES[i] + " " + x(rd) + ", " + x(rs1) + ", " + x(rs2));
        } else {
            int i = e.pick("op-32", W_NAMES.length);
            int rs1 = e.rs(), rs2 = e.rs(), rd = e.rdOrZero();
            e.put(Rv.r(Rv.OP_32, W_CODES[i][0], W_CODES[i][1], rd, rs1, rs2),
                    W_NAMES[i] + " " + x(rd) + ", " + x(rs1) + ", " + x(rs2));
        }
    }

    /** A safe I-type ALU instruction word (no memory, no jump), for self-modifying code too. */
    int aluIWord(int rd, int rs1, StringBuilder text) {
        int k = e.weighted("op-imm", 6, 2, 1, 1);
        if (k == 0) {
            int i = e.pick("op-imm", I_NAMES.length), imm = e.imm12();
            text.append(I_NAMES[i]).append(' ').append(x(rd)).append(", ").append(x(rs1)).append(", ").append(imm);
            return Rv.i(Rv.OP_IMM, I_F3[i], rd, rs1, imm);
        }
        if (k == 1) {
            int sh = e.below(64), kind = e.pick("shift", 3); // slli, srli, srai
            text.append(new String[] {"slli", "srli", "srai"}[kind]).append(' ').append(x(rd)).append(", ").append(x(rs1)).append(", ").append(sh);
            return Rv.i(Rv.OP_IMM, kind == 0 ? 1 : 5, rd, rs1, (kind == 2 ? 0x400 : 0) | sh);
        }
        if (k == 2) {
            int imm = e.imm12();
            text.append("addiw ").append(x(rd)).append(", ").append(x(rs1)).append(", ").append(imm);
            return Rv.i(Rv.OP_IMM_32, 0, rd, rs1, imm);
        }
        int sh = e.below(32), kind = e.pick("shiftw", 3); // slliw, srliw, sraiw
        text.append(new String[] {"slliw", "srliw", "sraiw"}[kind]).append(' ').append(x(rd)).append(", ").append(x(rs1)).append(", ").append(sh);
        return Rv.i(Rv.OP_IMM_32, kind == 0 ? 1 : 5, rd, rs1, (kind == 2 ? 0x400 : 0) | sh);
    }

    void aluI() {
        StringBuilder t = new StringBuilder();
        int rs1 = e.rs(), rd = e.rdOrZero();
        e.put(aluIWord(rd, rs1, t), t.toString());
    }

    void upper() {
        int rd = e.rd(), imm = e.chance(50) ? e.below(1 << 20) : new int[] {0, 1, 0x80000, 0x7ffff, 0xfffff}[e.below(5)];
        boolean auipc = e.chance(40);
        e.put(Rv.u(auipc ? Rv.AUIPC : Rv.LUI, rd, imm), (auipc ? "auipc " : "lui ") + x(rd) + ", 0x" + Integer.toHexString(imm));
    }

    /** A value division and shifts care about: 0, ±1, the 32- and 64-bit extremes. */
    void corner() {
        int rd = e.rd();
        switch (e.below(8)) {
            case 0 -> e.addi(rd, 0, e.below(5) - 2);
            case 1 -> { // INT64_MIN
                e.addi(rd, 0, 1);
                e.put(Rv.i(Rv.OP_IMM, 1, rd, rd, 63), "slli " + x(rd) + ", " + x(rd) + ", 63");
            }
            case 2 -> { // INT64_MAX
                e.addi(rd, 0, -1);
                e.put(Rv.i(Rv.OP_IMM, 5, rd, rd, 1), "srli " + x(rd) + ", " + x(rd) + ", 1");
            }
            case 3 -> e.put(Rv.u(Rv.LUI, rd, 0x80000), "lui " + x(rd) + ", 0x80000"); // INT32_MIN sign-extended
            case 4 -> e.li32(rd, Integer.MAX_VALUE - e.below(2));
            case 5 -> { // 0xffffffff and 0x80000000 zero-extended: what the W ops must not see as negative
                e.addi(rd, 0, -1);
                e.put(Rv.i(Rv.OP_IMM, 5, rd, rd, 32 + e.below(2)), "srli " + x(rd) + ", " + x(rd) + ", 32/33");
            }
            case 6 -> e.li32(rd, e.rnd.nextInt());
            default -> e.addi(rd, 0, e.imm12());
        }
    }

    // ---- memory ----

    /** A base register and offset addressing {@code width} bytes inside DATA. */
    record Addr(int base, int imm) {}

    /** An offset into DATA for an access of {@code width}, often straddling a page boundary. */
    int dataOffset(int width, boolean aligned) {
        int off;
        if (e.chance(45)) {
            int boundary = 0x1000 * (1 + e.below(3));
            off = boundary - width + e.below(2 * width);
        } else {
            off = e.below(Program.DATA_SIZE - width + 1);
        }
        if (aligned) off &= -width;
        return off;
    }

    /**
     * Emits whatever puts a base in a register so that base + imm is DATA + {@code off}; sp-relative
     * needs nothing. {@code exact} asks for imm = 0 (AMOs have no offset).
     */
    Addr address(int off, boolean exact) {
        int fromSp = off - (int) (Program.SP - Program.DATA);
        if (!exact && fromSp >= -2048 && fromSp < 2048 && e.chance(40)) return new Addr(2, fromSp);
        int imm = exact ? 0 : e.below(129) - 64;
        int t = e.rd();
        setFromSp(t, fromSp - imm);
        return new Addr(t, imm);
    }

    /** t = sp + delta. */
    void setFromSp(int t, int delta) {
        if (delta >= -2048 && delta < 2048) {
            e.addi(t, 2, delta);
        } else {
            int hi = (delta + 0x800) >> 12, lo = delta - (hi << 12);
            e.put(Rv.u(Rv.LUI, t, hi), "lui " + x(t) + ", 0x" + Integer.toHexString(hi & 0xfffff));
            e.addi(t, t, lo);
            e.put(Rv.r(Rv.OP, 0, 0, t, t, 2), "add " + x(t) + ", " + x(t) + ", sp");
        }
    }

    private static final String[] LOADS = {"lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"};
    private static final String[] STORES = {"sb", "sh", "sw", "sd"};

    void loadStore() {
        if (e.chance(55)) {
            int f3 = e.pick("load", 7), width = 1 << (f3 & 3);
            Addr a = address(dataOffset(width, e.chance(30)), false);
            int rd = a.base() != 2 && e.chance(15) ? a.base() : e.rdOrZero();
            e.put(Rv.i(Rv.LOAD, f3, rd, a.base(), a.imm()), LOADS[f3] + " " + x(rd) + ", " + a.imm() + "(" + x(a.base()) + ")");
        } else {
            int f3 = e.pick("store", 4), width = 1 << f3;
            Addr a = address(dataOffset(width, e.chance(30)), false);
            int rs2 = e.rs();
            e.put(Rv.s(Rv.STORE, f3, a.base(), rs2, a.imm()),
                    STORES[f3] + " " + x(rs2) + ", " + a.imm() + "(" + x(a.base()) + ")");
        }
    }

    private static final String[] AMO_NAMES = {"amoadd", "amoswap", null, null, "amoxor", null, null, null,
        "amoor", null, null, null, "amoand", null, null, null, "amomin", null, null, null, "amomax", null, null, null,
        "amominu", null, null, null, "amomaxu"};
    private static final int[] AMO_F5 = {0, 1, 4, 8, 12, 16, 20, 24, 28};

    void amo() {
        boolean dw = e.chance(50);
        int width = dw ? 8 : 4, f5 = AMO_F5[e.pick("amo", AMO_F5.length)], aqrl = e.below(4);
        Addr a = address(dataOffset(width, true), true);
        int rs2 = e.chance(20) ? a.base() : e.rs();
        int k = e.below(10), rd = k < 2 ? a.base() : k == 2 && !e.isReserved(rs2) ? e.wrote(rs2) : e.rdOrZero();
        e.put(Rv.r(Rv.AMO, dw ? 3 : 2, f5 << 2 | aqrl, rd, a.base(), rs2),
                AMO_NAMES[f5] + (dw ? ".d" : ".w") + aqrlName(aqrl) + " " + x(rd) + ", " + x(rs2) + ", (" + x(a.base()) + ")");
    }

    private static String aqrlName(int aqrl) { return new String[] {"", ".rl", ".aq", ".aqrl"}[aqrl]; }

    /**
     * lr, a few ALU instructions, sc: to the same address (succeeds when memory still holds what
     * lr read), to another address (must fail), or twice (the second must fail: sc always ends
     * the reservation).
     */
    void lrsc() {
        boolean dw = e.chance(50);
        int width = dw ? 8 : 4, f3 = dw ? 3 : 2;
        String sfx = dw ? ".d" : ".w";
        Addr a = address(dataOffset(width, true), true);
        int t = a.base();
        e.reserve(t);
        int rd = e.rd();
        e.put(Rv.r(Rv.AMO, f3, 2 << 2 | e.below(4), rd, t, 0), "lr" + sfx + " " + x(rd) + ", (" + x(t) + ")");
        for (int n = e.below(3); n > 0; n--) {
            if (e.chance(50)) aluR(); else aluI();
        }
        int kind = e.below(10);
        int target = t;
        if (kind == 0) {
            Addr other = address(dataOffset(width, true), true);
            target = other.base();
        }
        int rs2 = e.rs(), rd2 = e.rd();
        e.put(Rv.r(Rv.AMO, f3, 3 << 2 | e.below(4), rd2, target, rs2),
                "sc" + sfx + " " + x(rd2) + ", " + x(rs2) + ", (" + x(target) + ")");
        if (kind == 1) {
            rd2 = e.rd();
            e.put(Rv.r(Rv.AMO, f3, 3 << 2, rd2, t, rs2), "sc" + sfx + " " + x(rd2) + ", " + x(rs2) + ", (" + x(t) + ")");
        }
        e.release(t);
    }

    // ---- CSRs: the user-level FP ones (fflags 1, frm 2, fcsr 3), and the counters if enabled ----

    void csr() {
        int rd = e.chance(20) ? 0 : e.rd();
        if (e.counters && e.chance(30)) { // cycle (0xc00) or instret (0xc02)
            int c = e.chance(50) ? 0xc00 : 0xc02;
            e.put(Rv.i(Rv.SYSTEM, 2, rd, 0, c), "csrrs " + x(rd) + ", " + (c == 0xc00 ? "cycle" : "instret") + ", x0");
            return;
        }
        switch (e.pick("csr", 7)) {
            case 0 -> { // read
                int c = 1 + e.below(3);
                e.put(Rv.i(Rv.SYSTEM, 2, rd, 0, c), "csrrs " + x(rd) + ", " + csrName(c) + ", x0");
            }
            case 1 -> { // fflags: any register value (bits above 4 are ignored)
                int f3 = 1 + e.below(3), rs = e.rs();
                e.put(Rv.i(Rv.SYSTEM, f3, rd, rs, 1), csrOp(f3) + " " + x(rd) + ", fflags, " + x(rs));
            }
            case 2 -> { // fflags or fcsr immediates: frm stays valid (a 5-bit uimm only reaches fflags)
                int f3 = 5 + e.below(3), c = e.chance(50) ? 1 : 3, u = e.below(32);
                e.put(Rv.i(Rv.SYSTEM, f3, rd, u, c), csrOp(f3) + " " + x(rd) + ", " + csrName(c) + ", " + u);
            }
            case 3 -> { // frm = 0..4 from an immediate, or cleared bits of a valid one
                boolean clear = e.chance(30);
                int u = clear ? e.below(32) : e.below(5);
                e.put(Rv.i(Rv.SYSTEM, clear ? 7 : 5, rd, u, 2), (clear ? "csrrci " : "csrrwi ") + x(rd) + ", frm, " + u);
            }
            default -> { // frm or fcsr from a register holding a valid rounding mode (and junk above)
                int t = e.rd(), c = e.chance(50) ? 2 : 3;
                int v = c == 2 ? e.below(5) | e.below(2) << 3 : e.below(5) << 5 | e.below(32) | e.below(8) << 8;
                if (c == 2 && (v & 7) > 4) v &= ~7;
                e.addi(t, 0, v);
                e.put(Rv.i(Rv.SYSTEM, 1, rd, t, c), "csrrw " + x(rd) + ", " + csrName(c) + ", " + x(t));
            }
        }
    }

    private static String csrName(int c) { return new String[] {"?", "fflags", "frm", "fcsr"}[c]; }

    private static String csrOp(int f3) { return new String[] {"?", "csrrw", "csrrs", "csrrc", "?", "csrrwi", "csrrsi", "csrrci"}[f3]; }

    // ---- compressed ----

    void compressed() {
        int k = e.pick("rvc", 20);
        int rdc = k <= 9 ? e.rdC() : 0;
        if (rdc < 0) { aluI(); return; }
        switch (k) {
            case 0, 1, 2 -> { // shift amounts of 0 are HINTs on RV64C
                int imm = k == 2 ? e.below(64) : 1 + e.below(63);
                e.putC(Rv.cbAlu(k, rdc, imm), new String[] {"c.srli", "c.srai", "c.andi"}[k] + " " + x(rdc) + ", " + imm);
            }
            case 3, 4, 5, 6 -> {
                int rs2 = e.rsC();
                e.putC(Rv.ca(false, k - 3, rdc, rs2),
                        new String[] {"c.sub", "c.xor", "c.or", "c.and"}[k - 3] + " " + x(rdc) + ", " + x(rs2));
            }
            case 7, 8 -> {
                int rs2 = e.rsC();
                e.putC(Rv.ca(true, k - 7, rdc, rs2), (k == 7 ? "c.subw " : "c.addw ") + x(rdc) + ", " + x(rs2));
            }
            case 9 -> {
                int off = 4 * (1 + e.below(255));
                e.putC(Rv.cAddi4spn(rdc, off), "c.addi4spn " + x(rdc) + ", sp, " + off);
            }
            case 10, 11, 12, 13 -> {
                int rd = e.rd(), imm = e.below(64);
                switch (k) {
                    case 10 -> e.putC(Rv.ci(0, 1, rd, imm == 0 ? 1 : imm), "c.addi " + x(rd) + ", " + (imm << 26 >> 26));
                    case 11 -> e.putC(Rv.ci(1, 1, rd, imm), "c.addiw " + x(rd) + ", " + (imm << 26 >> 26));
                    case 12 -> e.putC(Rv.ci(2, 1, rd, imm), "c.li " + x(rd) + ", " + (imm << 26 >> 26));
                    default -> e.putC(Rv.ci(0, 2, rd, imm == 0 ? 1 : imm), "c.slli " + x(rd) + ", " + imm);
                }
            }
            case 14 -> {
                int rd = e.rd(), imm = 1 + e.below(63);
                e.putC(Rv.ci(3, 1, rd, imm), "c.lui " + x(rd) + ", " + (imm << 26 >> 26));
            }
            case 15, 16 -> {
                int rs2 = 1 + e.below(31), rd = e.rd();
                e.putC(Rv.cr(k == 16, rd, rs2), (k == 16 ? "c.add " : "c.mv ") + x(rd) + ", " + x(rs2));
            }
            case 19 -> hint();
            default -> compressedMemory();
        }
    }

    /** RVC HINTs (unprivileged spec, "RVC HINT Instructions") and fences: all execute as nops. */
    private void hint() {
        int imm = 1 + e.below(63), r = 1 + e.below(31), rc = 8 + e.below(8);
        switch (e.below(11)) {
            case 0 -> e.putC(Rv.ci(0, 1, 0, imm), "c.nop " + imm + " (hint)");
            case 1 -> e.putC(Rv.ci(0, 1, r, 0), "c.addi " + x(r) + ", 0 (hint)");
            case 2 -> e.putC(Rv.ci(2, 1, 0, imm), "c.li x0, " + imm + " (hint)");
            case 3 -> e.putC(Rv.ci(3, 1, 0, imm), "c.lui x0, " + imm + " (hint)");
            case 4 -> e.putC(Rv.cr(false, 0, r), "c.mv x0, " + x(r) + " (hint)");
            case 5 -> e.putC(Rv.cr(true, 0, r), "c.add x0, " + x(r) + " (hint)");
            case 6 -> e.putC(Rv.ci(0, 2, 0, imm), "c.slli x0, " + imm + " (hint)");
            case 7 -> e.putC(Rv.ci(0, 2, r, 0), "c.slli " + x(r) + ", 0 (hint)");
            case 8 -> e.putC(Rv.cbAlu(e.below(2), rc, 0), "c.srli/c.srai " + x(rc) + ", 0 (hint)");
            case 9 -> e.put(new int[] {0x0330000f, 0x8330000f, 0x0100000f, 0x0ff0000f}[e.below(4)],
                    "fence rw,rw / fence.tso / pause / fence iorw,iorw");
            default -> e.put(e.below(16) << 24 | e.below(16) << 20 | 0xf, "fence (random sets)");
        }
    }

    /** c.lw/c.ld/c.sw/c.sd on a base in x8..x15, and the sp-relative forms. */
    private void compressedMemory() {
        boolean dw = e.chance(50), store = e.chance(45), spRel = e.chance(40);
        int width = dw ? 8 : 4;
        if (spRel) {
            int off = width * e.below(64);
            if (store) {
                int rs2 = e.rs();
                e.putC(dw ? Rv.cSdsp(7, rs2, off) : Rv.cSwsp(rs2, off),
                        (dw ? "c.sdsp " : "c.swsp ") + x(rs2) + ", " + off + "(sp)");
            } else {
                int rd = e.rd();
                e.putC(dw ? Rv.cLdsp(3, rd, off) : Rv.cLwsp(rd, off), (dw ? "c.ldsp " : "c.lwsp ") + x(rd) + ", " + off + "(sp)");
            }
            return;
        }
        int imm = width * e.below(32);
        int base = e.rdC();
        if (base < 0) { loadStore(); return; }
        setFromSp(base, dataOffset(width, e.chance(30)) - imm - (int) (Program.SP - Program.DATA));
        if (store) {
            int rs2 = e.rsC();
            e.putC(dw ? Rv.clsDouble(7, base, rs2, imm) : Rv.clsWord(6, base, rs2, imm),
                    (dw ? "c.sd " : "c.sw ") + x(rs2) + ", " + imm + "(" + x(base) + ")");
        } else {
            int rd = e.rdC();
            if (rd < 0) rd = base;
            e.putC(dw ? Rv.clsDouble(3, base, rd, imm) : Rv.clsWord(2, base, rd, imm),
                    (dw ? "c.ld " : "c.lw ") + x(rd) + ", " + imm + "(" + x(base) + ")");
        }
    }
}
