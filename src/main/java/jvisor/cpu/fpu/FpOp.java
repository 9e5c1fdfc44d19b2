package jvisor.cpu.fpu;

/**
 * Op ids of decoded F and D instructions (the range 200..299 reserved by {@code jvisor.cpu.Op}).
 * Loads and stores carry their offset in the immediate; every other op carries the raw
 * instruction there, from which the executor takes the rounding-mode field (bits 14:12).
 */
public final class FpOp {
    private FpOp() {}

    public static final int FLW = 200, FLD = 201, FSW = 202, FSD = 203;

    // Single precision: arithmetic in the order of the OP-FP funct5 values, then the rest.
    public static final int FADD_S = 204, FSUB_S = 205, FMUL_S = 206, FDIV_S = 207, FSQRT_S = 208;
    public static final int FMADD_S = 209, FMSUB_S = 210, FNMSUB_S = 211, FNMADD_S = 212;
    public static final int FSGNJ_S = 213, FSGNJN_S = 214, FSGNJX_S = 215, FMIN_S = 216, FMAX_S = 217;
    /** Compare ops are ordered fle, flt, feq to match funct3 (0, 1, 2). */
    public static final int FLE_S = 218, FLT_S = 219, FEQ_S = 220, FCLASS_S = 221;
    public static final int FMV_X_W = 222, FMV_W_X = 223;
    /** To-integer conversions ordered w, wu, l, lu to match rs2 (0..3); likewise the reverse. */
    public static final int FCVT_W_S = 224, FCVT_WU_S = 225, FCVT_L_S = 226, FCVT_LU_S = 227;
    public static final int FCVT_S_W = 228, FCVT_S_WU = 229, FCVT_S_L = 230, FCVT_S_LU = 231;
    public static final int FCVT_S_D = 232;

    // Double precision, same layout 30 ids further on.
    public static final int FADD_D = 234, FSUB_D = 235, FMUL_D = 236, FDIV_D = 237, FSQRT_D = 238;
    public static final int FMADD_D = 239, FMSUB_D = 240, FNMSUB_D = 241, FNMADD_D = 242;
    public static final int FSGNJ_D = 243, FSGNJN_D = 244, FSGNJX_D = 245, FMIN_D = 246, FMAX_D = 247;
    public static final int FLE_D = 248, FLT_D = 249, FEQ_D = 250, FCLASS_D = 251;
    public static final int FMV_X_D = 252, FMV_D_X = 253;
    public static final int FCVT_W_D = 254, FCVT_WU_D = 255, FCVT_L_D = 256, FCVT_LU_D = 257;
    public static final int FCVT_D_W = 258, FCVT_D_WU = 259, FCVT_D_L = 260, FCVT_D_LU = 261;
    public static final int FCVT_D_S = 262;

    /** Distance from a single-precision op id to its double-precision twin. */
    static final int D_OFFSET = FADD_D - FADD_S;
}
