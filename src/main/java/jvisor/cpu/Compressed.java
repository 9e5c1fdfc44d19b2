package jvisor.cpu;

/**
 * Expands RV64C instructions to their 32-bit equivalents (unprivileged spec, "C" chapter,
 * tables 26.4-26.6), so one decoder and one set of semantics serve both. Reserved encodings
 * expand to 0, which decodes as illegal. HINTs expand to their harmless base instruction.
 */
final class Compressed {
    private Compressed() {}

    private static final int LOAD = 0x03, LOAD_FP = 0x07, OP_IMM = 0x13, OP_IMM_32 = 0x1b, STORE = 0x23,
            STORE_FP = 0x27, OP = 0x33, LUI = 0x37, OP_32 = 0x3b, BRANCH = 0x63, JALR = 0x67, JAL = 0x6f;

    static int expand(int c) {
        int f3 = c >>> 13 & 7;
        return switch (c & 3) {
            case 0 -> quadrant0(c, f3);
            case 1 -> quadrant1(c, f3);
            case 2 -> quadrant2(c, f3);
            default -> 0;
        };
    }

    private static int bit(int c, int from, int to) { return (c >>> from & 1) << to; }

    /** rd'/rs1'/rs2' 3-bit register fields name x8..x15. */
    private static int reg3(int c, int at) { return 8 + (c >>> at & 7); }

    private static int quadrant0(int c, int f3) {
        int rdp = reg3(c, 2), rs1p = reg3(c, 7);
        int off8 = bit(c, 10, 3) | bit(c, 11, 4) | bit(c, 12, 5) | bit(c, 5, 6) | bit(c, 6, 7);
        int off4 = bit(c, 6, 2) | bit(c, 10, 3) | bit(c, 11, 4) | bit(c, 12, 5) | bit(c, 5, 6);
        return switch (f3) {
            case 0 -> { // c.addi4spn
                int imm = bit(c, 6, 2) | bit(c, 5, 3) | (c >>> 11 & 3) << 4 | (c >>> 7 & 15) << 6;
                yield imm == 0 ? 0 : iType(OP_IMM, 0, rdp, 2, imm);
            }
            case 1 -> iType(LOAD_FP, 3, rdp, rs1p, off8);  // c.fld
            case 2 -> iType(LOAD, 2, rdp, rs1p, off4);     // c.lw
            case 3 -> iType(LOAD, 3, rdp, rs1p, off8);     // c.ld
            case 5 -> sType(STORE_FP, 3, rs1p, rdp, off8); // c.fsd
            case 6 -> sType(STORE, 2, rs1p, rdp, off4);    // c.sw
            case 7 -> sType(STORE, 3, rs1p, rdp, off8);    // c.sd
            default -> 0;
        };
    }

    private static int imm6(int c) { return (c << 19 >> 31) << 5 | (c >>> 2 & 31); }

    private static int quadrant1(int c, int f3) {
        int rd = c >>> 7 & 31;
        return switch (f3) {
            case 0 -> iType(OP_IMM, 0, rd, rd, imm6(c));          // c.addi / c.nop
            case 1 -> rd == 0 ? 0 : iType(OP_IMM_32, 0, rd, rd, imm6(c)); // c.addiw
            case 2 -> iType(OP_IMM, 0, rd, 0, imm6(c));           // c.li
            case 3 -> {
                if (rd == 2) { // c.addi16sp
                    int imm = (c << 19 >> 31) << 9 | bit(c, 6, 4) | bit(c, 5, 6) | (c >>> 3 & 3) << 7
                            | bit(c, 2, 5);
                    yield imm == 0 ? 0 : iType(OP_IMM, 0, 2, 2, imm);
                }
                int imm = imm6(c);
                yield imm == 0 ? 0 : (imm << 12) | rd << 7 | LUI; // c.lui
            }
            case 4 -> arith(c);
            case 5 -> { // c.j
                int imm = (c << 19 >> 31) << 11 | bit(c, 11, 4) | (c >>> 9 & 3) << 8 | bit(c, 8, 10)
                        | bit(c, 7, 6) | bit(c, 6, 7) | (c >>> 3 & 7) << 1 | bit(c, 2, 5);
                yield jType(0, imm);
            }
            default -> { // c.beqz / c.bnez
                int imm = (c << 19 >> 31) << 8 | (c >>> 10 & 3) << 3 | (c >>> 5 & 3) << 6
                        | (c >>> 3 & 3) << 1 | bit(c, 2, 5);
                yield bType(f3 == 6 ? 0 : 1, reg3(c, 7), 0, imm);
            }
        };
    }

    private static int arith(int c) {
        int rd = reg3(c, 7), rs2 = reg3(c, 2);
        int shamt = bit(c, 12, 5) | (c >>> 2 & 31);
        return switch (c >>> 10 & 3) {
            case 0 -> iType(OP_IMM, 5, rd, rd, shamt);             // c.srli
            case 1 -> iType(OP_IMM, 5, rd, rd, shamt | 0x400);     // c.srai
            case 2 -> iType(OP_IMM, 7, rd, rd, imm6(c));           // c.andi
            default -> {
                int f2 = c >>> 5 & 3;
                if ((c & 0x1000) == 0) {
                    yield switch (f2) {
                        case 0 -> rType(OP, 0, 0x20, rd, rd, rs2); // c.sub
                        case 1 -> rType(OP, 4, 0, rd, rd, rs2);    // c.xor
                        case 2 -> rType(OP, 6, 0, rd, rd, rs2);    // c.or
                        default -> rType(OP, 7, 0, rd, rd, rs2);   // c.and
                    };
                }
                yield switch (f2) {
                    case 0 -> rType(OP_32, 0, 0x20, rd, rd, rs2);  // c.subw
                    case 1 -> rType(OP_32, 0, 0, rd, rd, rs2);     // c.addw
                    default -> 0;
                };
            }
        };
    }

    private static int quadrant2(int c, int f3) {
        int rd = c >>> 7 & 31, rs2 = c >>> 2 & 31;
        int ldsp = bit(c, 12, 5) | (c >>> 5 & 3) << 3 | (c >>> 2 & 7) << 6;
        int sdsp = (c >>> 10 & 7) << 3 | (c >>> 7 & 7) << 6;
        return switch (f3) {
            case 0 -> iType(OP_IMM, 1, rd, rd, bit(c, 12, 5) | rs2); // c.slli
            case 1 -> iType(LOAD_FP, 3, rd, 2, ldsp);                 // c.fldsp
            case 2 -> rd == 0 ? 0 : iType(LOAD, 2, rd, 2,            // c.lwsp
                    bit(c, 12, 5) | (c >>> 4 & 7) << 2 | (c >>> 2 & 3) << 6);
            case 3 -> rd == 0 ? 0 : iType(LOAD, 3, rd, 2, ldsp);      // c.ldsp
            case 4 -> {
                if ((c & 0x1000) == 0) {
                    if (rs2 == 0) yield rd == 0 ? 0 : iType(JALR, 0, 0, rd, 0); // c.jr
                    yield rType(OP, 0, 0, rd, 0, rs2);                         // c.mv
                }
                if (rs2 == 0) yield rd == 0 ? 0x00100073 : iType(JALR, 0, 1, rd, 0); // c.ebreak / c.jalr
                yield rType(OP, 0, 0, rd, rd, rs2);                                   // c.add
            }
            case 5 -> sType(STORE_FP, 3, 2, rs2, sdsp);               // c.fsdsp
            case 6 -> sType(STORE, 2, 2, rs2, (c >>> 9 & 15) << 2 | (c >>> 7 & 3) << 6); // c.swsp
            default -> sType(STORE, 3, 2, rs2, sdsp);                 // c.sdsp
        };
    }

    private static int iType(int opc, int f3, int rd, int rs1, int imm) {
        return imm << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
    }

    private static int sType(int opc, int f3, int rs1, int rs2, int imm) {
        return (imm >> 5) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (imm & 31) << 7 | opc;
    }

    private static int rType(int opc, int f3, int f7, int rd, int rs1, int rs2) {
        return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
    }

    private static int bType(int f3, int rs1, int rs2, int imm) {
        return (imm >> 12 & 1) << 31 | (imm >> 5 & 63) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12
                | (imm >> 1 & 15) << 8 | (imm >> 11 & 1) << 7 | BRANCH;
    }

    private static int jType(int rd, int imm) {
        return (imm >> 20 & 1) << 31 | (imm >> 1 & 0x3ff) << 21 | (imm >> 11 & 1) << 20
                | (imm >> 12 & 0xff) << 12 | rd << 7 | JAL;
    }
}
