package jvisor.gdb;

import jvisor.cpu.Hart;

/**
 * gdb's view of a hart's registers and the target description that names them (gdb manual,
 * "Target Descriptions", RISC-V features). Numbering follows gdb's RISC-V port, so gdb's own
 * register numbers and ours agree: x0-x31 are 0-31, pc 32, f0-f31 33-64, CSR n is 65 + n
 * (fflags 66, frm 67, fcsr 68) and the virtual priv register 65 + 4096. Every register is 64 bits,
 * sent as 16 little-endian hex digits; the 'g' packet carries x0-x31 and pc, gdb asks for the rest
 * one by one.
 */
final class Registers {
    private Registers() {}

    static final int PC = 32, F0 = 33, CSR0 = 65, FFLAGS = CSR0 + 1, FRM = CSR0 + 2, FCSR = CSR0 + 3;
    static final int PRIV = CSR0 + 4096;
    /** Registers in the 'g' packet. */
    static final int G_COUNT = 33;

    private static final String[] X_NAMES = {"zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "fp", "s1",
            "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9",
            "s10", "s11", "t3", "t4", "t5", "t6"};

    /** The CSRs jvisor implements, by name and number (fflags, frm, fcsr are in the FPU feature). */
    private static final Object[][] CSRS = {
        {"cycle", 0xC00}, {"time", 0xC01}, {"instret", 0xC02},
        {"sstatus", 0x100}, {"sie", 0x104}, {"stvec", 0x105}, {"scounteren", 0x106}, {"senvcfg", 0x10A},
        {"sscratch", 0x140}, {"sepc", 0x141}, {"scause", 0x142}, {"stval", 0x143}, {"sip", 0x144},
        {"stimecmp", 0x14D}, {"satp", 0x180},
        {"mstatus", 0x300}, {"misa", 0x301}, {"medeleg", 0x302}, {"mideleg", 0x303}, {"mie", 0x304},
        {"mtvec", 0x305}, {"mcounteren", 0x306}, {"menvcfg", 0x30A}, {"mscratch", 0x340}, {"mepc", 0x341},
        {"mcause", 0x342}, {"mtval", 0x343}, {"mip", 0x344}, {"mcycle", 0xB00}, {"minstret", 0xB02},
        {"mvendorid", 0xF11}, {"marchid", 0xF12}, {"mimpid", 0xF13}, {"mhartid", 0xF14},
    };

    private static final String XML = buildXml();

    /** The target description gdb reads through qXfer:features:read:target.xml. */
    static String targetXml() { return XML; }

    private static String buildXml() {
        StringBuilder b = new StringBuilder();
        b.append("<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n");
        b.append("<architecture>riscv:rv64</architecture>\n");
        b.append("<feature name=\"org.gnu.gdb.riscv.cpu\">\n");
        for (int i = 0; i < 32; i++) {
            String type = i == 1 ? "code_ptr" : i == 2 || i == 8 ? "data_ptr" : "int";
            reg(b, X_NAMES[i], i, type);
        }
        reg(b, "pc", PC, "code_ptr");
        b.append("</feature>\n<feature name=\"org.gnu.gdb.riscv.fpu\">\n");
        b.append("<union id=\"riscv_double\"><field name=\"float\" type=\"ieee_single\"/>"
                + "<field name=\"double\" type=\"ieee_double\"/></union>\n");
        for (int i = 0; i < 32; i++) reg(b, "f" + i, F0 + i, "riscv_double");
        reg(b, "fflags", FFLAGS, "int");
        reg(b, "frm", FRM, "int");
        reg(b, "fcsr", FCSR, "int");
        b.append("</feature>\n<feature name=\"org.gnu.gdb.riscv.csr\">\n");
        for (Object[] c : CSRS) reg(b, (String) c[0], CSR0 + (int) c[1], "int");
        b.append("</feature>\n<feature name=\"org.gnu.gdb.riscv.virtual\">\n");
        reg(b, "priv", PRIV, "int");
        b.append("</feature>\n</target>\n");
        return b.toString();
    }

    private static void reg(StringBuilder b, String name, int num, String type) {
        b.append("<reg name=\"").append(name).append("\" bitsize=\"64\" regnum=\"").append(num)
                .append("\" type=\"").append(type).append("\"/>\n");
    }

    /** True if {@code num} is a register of the description. */
    static boolean exists(int num) {
        if (num >= 0 && num <= FCSR || num == PRIV) return true;
        for (Object[] c : CSRS) if (CSR0 + (int) c[1] == num) return true;
        return false;
    }

    /** Register {@code num} of a parked hart; call only for {@link #exists} numbers. */
    static long read(Hart h, int num) {
        if (num < 32) return h.x[num];
        if (num == PC) return h.pc;
        if (num < CSR0) return h.f[num - F0];
        return switch (num) {
            case FFLAGS -> h.fpu.flags;
            case FRM -> h.fpu.frm;
            case FCSR -> (long) h.fpu.frm << 5 | h.fpu.flags;
            case PRIV -> h.priv;
            default -> h.csr.get(num - CSR0);
        };
    }

    /** Writes register {@code num} of a parked hart; false if it cannot be written. */
    static boolean write(Hart h, int num, long v) {
        if (num == 0) return true; // x0 stays zero
        if (num < 32) h.x[num] = v;
        else if (num == PC) h.pc = v & ~1L;
        else if (num < CSR0) h.f[num - F0] = v;
        else {
            switch (num) {
                case FFLAGS -> h.fpu.flags = (int) v & 31;
                case FRM -> h.fpu.frm = (int) v & 7;
                case FCSR -> {
                    h.fpu.flags = (int) v & 31;
                    h.fpu.frm = (int) v >>> 5 & 7;
                }
                case PRIV -> {
                    if (v != Hart.U && v != Hart.S && v != Hart.M) return false;
                    h.setPrivilege((int) v);
                }
                default -> { return h.csr.set(num - CSR0, v); }
            }
        }
        return true;
    }

    /** 16 hex digits, least significant byte first. */
    static String hex(long v) {
        StringBuilder b = new StringBuilder(16);
        for (int i = 0; i < 8; i++) {
            int x = (int) (v >>> (8 * i)) & 0xff;
            b.append(Character.forDigit(x >> 4, 16)).append(Character.forDigit(x & 15, 16));
        }
        return b.toString();
    }

    /** Parses up to 16 little-endian hex digits at {@code from}; throws on bad input. */
    static long parse(String s, int from) {
        long v = 0;
        int n = Math.min(16, s.length() - from) / 2;
        if (n == 0) throw new IllegalArgumentException("no register value");
        for (int i = 0; i < n; i++) {
            int hi = Character.digit(s.charAt(from + 2 * i), 16), lo = Character.digit(s.charAt(from + 2 * i + 1), 16);
            if (hi < 0 || lo < 0) throw new IllegalArgumentException("bad hex in register value");
            v |= (long) (hi << 4 | lo) << (8 * i);
        }
        return v;
    }
}
