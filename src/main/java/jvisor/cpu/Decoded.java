package jvisor.cpu;

/**
 * A decoded instruction packed in a {@code long} so a page of them is one flat array:
 *
 * <pre>
 *  bits 0-8   op id ({@link Op}; 200..299 floating point)
 *  bit  9     compressed (instruction is 2 bytes long)
 *  bits 10-15 rd   (integer x0 is encoded as 32, a write sink, so x0 stays zero)
 *  bits 16-20 rs1
 *  bits 21-25 rs2
 *  bits 26-30 rs3 (FP fused multiply-add; funct5 for AMOs)
 *  bits 32-63 signed immediate (or the raw instruction where noted in {@link Op})
 * </pre>
 */
public final class Decoded {
    private Decoded() {}

    /** Register index that absorbs writes to x0. */
    public static final int SINK = 32;
    public static final long COMPRESSED = 1L << 9;

    public static long pack(int op, int rd, int rs1, int rs2, int rs3, int imm) {
        return op | (long) rd << 10 | (long) rs1 << 16 | (long) rs2 << 21 | (long) rs3 << 26
                | (long) imm << 32;
    }

    /** Maps an integer destination register number to its slot: x0 writes go to the sink. */
    public static int xrd(int rd) { return rd == 0 ? SINK : rd; }

    public static int op(long d) { return (int) d & 0x1ff; }
    public static int rd(long d) { return (int) d >>> 10 & 0x3f; }
    public static int rs1(long d) { return (int) d >>> 16 & 0x1f; }
    public static int rs2(long d) { return (int) d >>> 21 & 0x1f; }
    public static int rs3(long d) { return (int) (d >>> 26) & 0x1f; }
    public static int imm(long d) { return (int) (d >>> 32); }
    public static int length(long d) { return 4 - ((int) d >>> 8 & 2); }
    public static boolean compressed(long d) { return (d & COMPRESSED) != 0; }
}
