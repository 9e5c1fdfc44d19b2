package jvisor.cpu;

import static jvisor.cpu.Decoded.pack;
import static jvisor.cpu.Decoded.xrd;

import jvisor.cpu.fpu.FpDecoder;

/**
 * Turns instruction bits into a packed {@link Decoded} op. Runs once per instruction per page
 * thanks to the decode cache, so clarity wins over speed here. Illegal encodings become
 * {@link Op#ILLEGAL}; the interpreter then raises illegal-instruction with the original bits.
 */
public final class Decoder {
    private Decoder() {}

    public static final long ILLEGAL = Op.ILLEGAL;

    /** Decodes a 16-bit compressed instruction (low two bits not 11). */
    public static long decode16(int c) {
        int expanded = Compressed.expand(c & 0xffff);
        return (expanded == 0 ? ILLEGAL : decode32(expanded)) | Decoded.COMPRESSED;
    }

    /** Decodes a 32-bit instruction. */
    public static long decode32(int i) {
        int rd = i >>> 7 & 31, rs1 = i >>> 15 & 31, rs2 = i >>> 20 & 31, f3 = i >>> 12 & 7, f7 = i >>> 25;
        int immI = i >> 20;
        return switch (i & 0x7f) {
            case 0x37 -> pack(Op.LUI, xrd(rd), 0, 0, 0, i & 0xfffff000);
            case 0x17 -> pack(Op.AUIPC, xrd(rd), 0, 0, 0, i & 0xfffff000);
            case 0x6f -> pack(Op.JAL, xrd(rd), 0, 0, 0, immJ(i));
            case 0x67 -> f3 == 0 ? pack(Op.JALR, xrd(rd), rs1, 0, 0, immI) : ILLEGAL;
            case 0x63 -> branch(f3, rs1, rs2, immB(i));
            case 0x03 -> load(f3, rd, rs1, immI);
            case 0x23 -> store(f3, rs1, rs2, (i >> 25) << 5 | (i >>> 7 & 31));
            case 0x13 -> opImm(f3, rd, rs1, immI);
            case 0x1b -> opImm32(f3, rd, rs1, immI);
            case 0x33 -> op(f3, f7, rd, rs1, rs2);
            case 0x3b -> op32(f3, f7, rd, rs1, rs2);
            case 0x0f -> miscMem(i, f3, rd, rs1);
            case 0x73 -> system(i, f3, rd, rs1);
            case 0x2f -> atomic(i, f3, rd, rs1, rs2);
            case 0x07, 0x27, 0x43, 0x47, 0x4b, 0x4f, 0x53 -> FpDecoder.decode(i);
            default -> ILLEGAL;
        };
    }

    private static int immB(int i) {
        return (i >> 31) << 12 | (i >>> 7 & 1) << 11 | (i >>> 25 & 63) << 5 | (i >>> 8 & 15) << 1;
    }

    private static int immJ(int i) {
        return (i >> 31) << 20 | (i >>> 12 & 0xff) << 12 | (i >>> 20 & 1) << 11 | (i >>> 21 & 0x3ff) << 1;
    }

    private static long branch(int f3, int rs1, int rs2, int imm) {
        int op = switch (f3) {
            case 0 -> Op.BEQ; case 1 -> Op.BNE; case 4 -> Op.BLT; case 5 -> Op.BGE;
            case 6 -> Op.BLTU; case 7 -> Op.BGEU; default -> Op.ILLEGAL;
        };
        return op == Op.ILLEGAL ? ILLEGAL : pack(op, 0, rs1, rs2, 0, imm);
    }

    private static long load(int f3, int rd, int rs1, int imm) {
        int op = switch (f3) {
            case 0 -> Op.LB; case 1 -> Op.LH; case 2 -> Op.LW; case 3 -> Op.LD;
            case 4 -> Op.LBU; case 5 -> Op.LHU; case 6 -> Op.LWU; default -> Op.ILLEGAL;
        };
        return op == Op.ILLEGAL ? ILLEGAL : pack(op, xrd(rd), rs1, 0, 0, imm);
    }

    private static long store(int f3, int rs1, int rs2, int imm) {
        return f3 > 3 ? ILLEGAL : pack(Op.SB + f3, 0, rs1, rs2, 0, imm);
    }

    private static long opImm(int f3, int rd, int rs1, int imm) {
        return switch (f3) {
            case 0 -> rs1 == 0 ? pack(Op.LI, xrd(rd), 0, 0, 0, imm)
                    : imm == 0 ? pack(Op.MV, xrd(rd), rs1, 0, 0, 0)
                    : pack(Op.ADDI, xrd(rd), rs1, 0, 0, imm);
            case 2 -> pack(Op.SLTI, xrd(rd), rs1, 0, 0, imm);
            case 3 -> pack(Op.SLTIU, xrd(rd), rs1, 0, 0, imm);
            case 4 -> pack(Op.XORI, xrd(rd), rs1, 0, 0, imm);
            case 6 -> pack(Op.ORI, xrd(rd), rs1, 0, 0, imm);
            case 7 -> pack(Op.ANDI, xrd(rd), rs1, 0, 0, imm);
            case 1 -> (imm >>> 6) == 0 ? pack(Op.SLLI, xrd(rd), rs1, 0, 0, imm & 63) : ILLEGAL;
            default -> switch (imm >>> 6 & 0x3f) { // f3 == 5: funct6 selects srli / srai
                case 0x00 -> pack(Op.SRLI, xrd(rd), rs1, 0, 0, imm & 63);
                case 0x10 -> pack(Op.SRAI, xrd(rd), rs1, 0, 0, imm & 63);
                default -> ILLEGAL;
            };
        };
    }

    private static long opImm32(int f3, int rd, int rs1, int imm) {
        int f7 = imm >>> 5 & 0x7f;
        return switch (f3) {
            case 0 -> pack(Op.ADDIW, xrd(rd), rs1, 0, 0, imm);
            case 1 -> f7 == 0 ? pack(Op.SLLIW, xrd(rd), rs1, 0, 0, imm & 31) : ILLEGAL;
            case 5 -> f7 == 0 ? pack(Op.SRLIW, xrd(rd), rs1, 0, 0, imm & 31)
                    : f7 == 0x20 ? pack(Op.SRAIW, xrd(rd), rs1, 0, 0, imm & 31) : ILLEGAL;
            default -> ILLEGAL;
        };
    }

    private static final int[] OP_BASE = {Op.ADD, Op.SLL, Op.SLT, Op.SLTU, Op.XOR, Op.SRL, Op.OR, Op.AND};
    private static final int[] OP_MUL = {Op.MUL, Op.MULH, Op.MULHSU, Op.MULHU, Op.DIV, Op.DIVU, Op.REM, Op.REMU};

    private static long op(int f3, int f7, int rd, int rs1, int rs2) {
        int op = switch (f7) {
            case 0x00 -> OP_BASE[f3];
            case 0x01 -> OP_MUL[f3];
            case 0x20 -> f3 == 0 ? Op.SUB : f3 == 5 ? Op.SRA : Op.ILLEGAL;
            default -> Op.ILLEGAL;
        };
        return op == Op.ILLEGAL ? ILLEGAL : pack(op, xrd(rd), rs1, rs2, 0, 0);
    }

    private static long op32(int f3, int f7, int rd, int rs1, int rs2) {
        int op = switch (f7 << 3 | f3) {
            case 0 -> Op.ADDW; case 1 -> Op.SLLW; case 5 -> Op.SRLW;
            case 0x20 << 3 -> Op.SUBW; case 0x20 << 3 | 5 -> Op.SRAW;
            case 8 -> Op.MULW; case 8 | 4 -> Op.DIVW; case 8 | 5 -> Op.DIVUW; case 8 | 6 -> Op.REMW;
            case 8 | 7 -> Op.REMUW;
            default -> Op.ILLEGAL;
        };
        return op == Op.ILLEGAL ? ILLEGAL : pack(op, xrd(rd), rs1, rs2, 0, 0);
    }

    private static long miscMem(int i, int f3, int rd, int rs1) {
        // fence (any pred/succ/fm, including fence.tso and pause) and fence.i; unused fields are
        // reserved for future hints and must be ignored.
        return switch (f3) {
            case 0 -> pack(Op.FENCE, 0, 0, 0, 0, 0);
            case 1 -> pack(Op.FENCE_I, 0, 0, 0, 0, 0);
            default -> ILLEGAL;
        };
    }

    private static long system(int i, int f3, int rd, int rs1) {
        int op;
        if (f3 == 4) {
            op = hypervisorLoadStore(i >>> 25, i >>> 20 & 31, rd);
        } else if (f3 == 0) {
            if (rd != 0) return ILLEGAL;
            int f7 = i >>> 25;
            if (f7 == 0x09) op = Op.SFENCE_VMA;
            else if (f7 == 0x11) op = Op.HFENCE_VVMA;
            else if (f7 == 0x31) op = Op.HFENCE_GVMA;
            else if (rs1 != 0) return ILLEGAL;
            else op = switch (i >>> 20) {
                case 0x000 -> Op.ECALL;
                case 0x001 -> Op.EBREAK;
                case 0x302 -> Op.MRET;
                case 0x102 -> Op.SRET;
                case 0x105 -> Op.WFI;
                default -> Op.ILLEGAL;
            };
        } else {
            op = switch (f3) {
                case 1 -> Op.CSRRW; case 2 -> Op.CSRRS; case 3 -> Op.CSRRC;
                case 5 -> Op.CSRRWI; case 6 -> Op.CSRRSI; case 7 -> Op.CSRRCI;
                default -> Op.ILLEGAL;
            };
        }
        // SYSTEM ops keep the raw instruction in imm; rd is the plain register number.
        return op == Op.ILLEGAL ? ILLEGAL : pack(op, rd, rs1, i >>> 20 & 31, 0, i);
    }

    /**
     * HLV.B/BU/H/HU/W/WU/D, HLVX.HU/WU (funct7 0x30/0x32/0x34/0x36, rs2 0 signed, 1 unsigned, 3
     * execute) and HSV.B/H/W/D (funct7 0x31/0x33/0x35/0x37, rd 0). The size is 1 << (funct7 >> 1 & 3).
     */
    private static int hypervisorLoadStore(int f7, int rs2, int rd) {
        if (f7 < 0x30 || f7 > 0x37) return Op.ILLEGAL;
        if ((f7 & 1) != 0) return rd == 0 ? Op.HSV : Op.ILLEGAL;
        boolean ok = switch (f7) {
            case 0x30 -> rs2 <= 1;
            case 0x32, 0x34 -> rs2 <= 1 || rs2 == 3;
            default -> rs2 == 0; // HLV.D
        };
        return ok ? Op.HLV : Op.ILLEGAL;
    }

    private static long atomic(int i, int f3, int rd, int rs1, int rs2) {
        if (f3 != 2 && f3 != 3) return ILLEGAL;
        boolean d = f3 == 3;
        int funct5 = i >>> 27;
        int op = switch (funct5) {
            case 0x02 -> rs2 != 0 ? Op.ILLEGAL : d ? Op.LR_D : Op.LR_W;
            case 0x03 -> d ? Op.SC_D : Op.SC_W;
            case 0x00, 0x01, 0x04, 0x08, 0x0c, 0x10, 0x14, 0x18, 0x1c -> d ? Op.AMO_D : Op.AMO_W;
            default -> Op.ILLEGAL;
        };
        return op == Op.ILLEGAL ? ILLEGAL : pack(op, xrd(rd), rs1, rs2, funct5, i);
    }
}
