package jvisor.cpu;

/**
 * Integer operation ids of decoded instructions ({@link Decoded}). Ids 200..299 belong to the
 * floating-point unit ({@code jvisor.cpu.fpu.FpOp}). Id 0 marks a not-yet-decoded slot.
 */
public final class Op {
    private Op() {}

    public static final int UNDECODED = 0, ILLEGAL = 1;
    public static final int LUI = 2, AUIPC = 3, JAL = 4, JALR = 5;
    public static final int BEQ = 6, BNE = 7, BLT = 8, BGE = 9, BLTU = 10, BGEU = 11;
    public static final int LB = 12, LH = 13, LW = 14, LD = 15, LBU = 16, LHU = 17, LWU = 18;
    public static final int SB = 19, SH = 20, SW = 21, SD = 22;
    public static final int ADDI = 23, SLTI = 24, SLTIU = 25, XORI = 26, ORI = 27, ANDI = 28;
    public static final int SLLI = 29, SRLI = 30, SRAI = 31;
    public static final int ADD = 32, SUB = 33, SLL = 34, SLT = 35, SLTU = 36, XOR = 37;
    public static final int SRL = 38, SRA = 39, OR = 40, AND = 41;
    public static final int ADDIW = 42, SLLIW = 43, SRLIW = 44, SRAIW = 45;
    public static final int ADDW = 46, SUBW = 47, SLLW = 48, SRLW = 49, SRAW = 50;
    public static final int MUL = 51, MULH = 52, MULHSU = 53, MULHU = 54;
    public static final int DIV = 55, DIVU = 56, REM = 57, REMU = 58;
    public static final int MULW = 59, DIVW = 60, DIVUW = 61, REMW = 62, REMUW = 63;
    /** fence, fence.tso and pause: ordering only. */
    public static final int FENCE = 64, FENCE_I = 65;
    /** SYSTEM instructions other than fences; imm holds the raw instruction. */
    public static final int ECALL = 66, EBREAK = 67, MRET = 68, SRET = 69, WFI = 70, SFENCE_VMA = 71;
    public static final int CSRRW = 72, CSRRS = 73, CSRRC = 74, CSRRWI = 75, CSRRSI = 76, CSRRCI = 77;
    /** A extension; rs3 holds funct5 for AMOs, imm the raw instruction. */
    public static final int LR_W = 78, SC_W = 79, AMO_W = 80, LR_D = 81, SC_D = 82, AMO_D = 83;
    /** Addi with rs1 = x0 or imm = 0: the common li / mv forms. */
    public static final int LI = 84, MV = 85;
    /** Enter the compiled {@link Region} for this slot (the op keeps the instruction's compressed bit). */
    public static final int REGION = 86;
    /** A debugger breakpoint, only in a private copy of a page ({@link CodePage#debugCopy}). */
    public static final int DEBUG_BREAK = 87;
    /**
     * The H extension: HLV/HLVX loads and HSV stores (imm holds the raw instruction, rd the plain
     * register number, rs2 the HLV variant), HFENCE.VVMA and HFENCE.GVMA.
     */
    public static final int HLV = 88, HSV = 89, HFENCE_VVMA = 90, HFENCE_GVMA = 91;

    public static final int FP_FIRST = 200, FP_LAST = 299;
}
