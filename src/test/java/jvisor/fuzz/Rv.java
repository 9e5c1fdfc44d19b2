package jvisor.fuzz;

/**
 * RISC-V instruction encoders for the fuzzer (unprivileged spec chapters 2 and 16): the base
 * formats of 32-bit instructions and the compressed formats of RVC. Each takes fields already in
 * range; offsets and immediates are masked to their field, so callers check ranges themselves.
 */
final class Rv {
    private Rv() {}

    static final int OP = 0x33, OP_IMM = 0x13, OP_32 = 0x3b, OP_IMM_32 = 0x1b, LOAD = 0x03, STORE = 0x23;
    static final int LOAD_FP = 0x07, STORE_FP = 0x27, AMO = 0x2f, OP_FP = 0x53, SYSTEM = 0x73;
    static final int LUI = 0x37, AUIPC = 0x17, JAL = 0x6f, JALR = 0x67, BRANCH = 0x63, MISC_MEM = 0x0f;

    static int r(int opc, int f3, int f7, int rd, int rs1, int rs2) {
        return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
    }

    static int i(int opc, int f3, int rd, int rs1, int imm) {
        return (imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
    }

    static int s(int opc, int f3, int rs1, int rs2, int imm) {
        return (imm >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 0x1f) << 7 | opc;
    }

    static int b(int f3, int rs1, int rs2, int off) {
        reach(off, 1 << 12);
        return (off >> 12 & 1) << 31 | (off >> 5 & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12
                | (off >> 1 & 0xf) << 8 | (off >> 11 & 1) << 7 | BRANCH;
    }

    static int u(int opc, int rd, int imm20) {
        return (imm20 & 0xfffff) << 12 | rd << 7 | opc;
    }

    static int jal(int rd, int off) {
        reach(off, 1 << 20);
        return (off >> 20 & 1) << 31 | (off >> 1 & 0x3ff) << 21 | (off >> 11 & 1) << 20 | (off >> 12 & 0xff) << 12
                | rd << 7 | JAL;
    }

    /** Fused multiply-add (R4 format): fmt 0 = S, 1 = D. */
    static int r4(int opc, int fmt, int rm, int rd, int rs1, int rs2, int rs3) {
        return rs3 << 27 | fmt << 25 | rs2 << 20 | rs1 << 15 | rm << 12 | rd << 7 | opc;
    }

    static int addi(int rd, int rs1, int imm) { return i(OP_IMM, 0, rd, rs1, imm); }

    // ---- compressed (RVC, quadrants 0-2); r' registers are given as x8..x15 ----

    /** CI: funct3, 6-bit immediate split as imm[5] | rd | imm[4:0]. */
    static int ci(int f3, int quadrant, int rd, int imm6) {
        return f3 << 13 | (imm6 >> 5 & 1) << 12 | rd << 7 | (imm6 & 0x1f) << 2 | quadrant;
    }

    /** CB-format ALU on rd' (c.srli 0, c.srai 1, c.andi 2). */
    static int cbAlu(int kind, int rd, int imm6) {
        return 4 << 13 | (imm6 >> 5 & 1) << 12 | kind << 10 | (rd - 8) << 7 | (imm6 & 0x1f) << 2 | 1;
    }

    /** CA: c.sub 0, c.xor 1, c.or 2, c.and 3 (word = false); c.subw 0, c.addw 1 (word = true). */
    static int ca(boolean word, int kind, int rd, int rs2) {
        return 0x23 << 10 | (word ? 1 : 0) << 12 | (rd - 8) << 7 | kind << 5 | (rs2 - 8) << 2 | 1;
    }

    /** CR: c.mv (add = false) or c.add; rs2 = 0 makes c.jr / c.jalr. */
    static int cr(boolean add, int rd, int rs2) {
        return (add ? 9 : 8) << 12 | rd << 7 | rs2 << 2 | 2;
    }

    static int cBranch(boolean nez, int rs1, int off) {
        reach(off, 1 << 8);
        return (nez ? 7 : 6) << 13 | (off >> 8 & 1) << 12 | (off >> 3 & 3) << 10 | (rs1 - 8) << 7
                | (off >> 6 & 3) << 5 | (off >> 1 & 3) << 3 | (off >> 5 & 1) << 2 | 1;
    }

    static int cJ(int off) {
        reach(off, 1 << 11);
        return 5 << 13 | (off >> 11 & 1) << 12 | (off >> 4 & 1) << 11 | (off >> 8 & 3) << 9 | (off >> 10 & 1) << 8
                | (off >> 6 & 1) << 7 | (off >> 7 & 1) << 6 | (off >> 1 & 7) << 3 | (off >> 5 & 1) << 2 | 1;
    }

    /** c.lw (f3 2), c.sw (6): 4-byte scaled offset 0..124. */
    static int clsWord(int f3, int rs1, int r, int off) {
        return f3 << 13 | (off >> 3 & 7) << 10 | (rs1 - 8) << 7 | (off >> 2 & 1) << 6 | (off >> 6 & 1) << 5
                | (r - 8) << 2;
    }

    /** c.ld (3), c.fld (1), c.sd (7), c.fsd (5): 8-byte scaled offset 0..248. */
    static int clsDouble(int f3, int rs1, int r, int off) {
        return f3 << 13 | (off >> 3 & 7) << 10 | (rs1 - 8) << 7 | (off >> 6 & 3) << 5 | (r - 8) << 2;
    }

    /** c.lwsp: offset 0..252, multiple of 4. */
    static int cLwsp(int rd, int off) {
        return 2 << 13 | (off >> 5 & 1) << 12 | rd << 7 | (off >> 2 & 7) << 4 | (off >> 6 & 3) << 2 | 2;
    }

    /** c.ldsp (f3 3) and c.fldsp (1): offset 0..504, multiple of 8. */
    static int cLdsp(int f3, int rd, int off) {
        return f3 << 13 | (off >> 5 & 1) << 12 | rd << 7 | (off >> 3 & 3) << 5 | (off >> 6 & 7) << 2 | 2;
    }

    static int cSwsp(int rs2, int off) {
        return 6 << 13 | (off >> 2 & 0xf) << 9 | (off >> 6 & 3) << 7 | rs2 << 2 | 2;
    }

    /** c.sdsp (f3 7) and c.fsdsp (5). */
    static int cSdsp(int f3, int rs2, int off) {
        return f3 << 13 | (off >> 3 & 7) << 10 | (off >> 6 & 7) << 7 | rs2 << 2 | 2;
    }

    /** c.addi4spn: rd' = sp + off, off 4..1020, multiple of 4. */
    static int cAddi4spn(int rd, int off) {
        return (off >> 4 & 3) << 11 | (off >> 6 & 0xf) << 7 | (off >> 2 & 1) << 6 | (off >> 3 & 1) << 5 | (rd - 8) << 2;
    }

    /** A jump offset must be even and within ±{@code limit}: a generator bug otherwise, not a test. */
    private static void reach(int off, int limit) {
        if ((off & 1) != 0 || off < -limit || off >= limit) throw new IllegalArgumentException("jump offset " + off + " out of reach");
    }

    static String x(int r) { return "x" + r; }

    static String f(int r) { return "f" + r; }
}
