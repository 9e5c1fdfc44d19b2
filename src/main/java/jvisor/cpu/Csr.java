package jvisor.cpu;

/** CSR numbers used outside the CSR file (privileged spec 1.12, tables 2.2-2.5). */
public final class Csr {
    private Csr() {}

    public static final int SSTATUS = 0x100, SIE = 0x104, STVEC = 0x105, SCOUNTEREN = 0x106, SATP = 0x180;
    public static final int STIMECMP = 0x14D, SIP = 0x144;
    public static final int MSTATUS = 0x300, MISA = 0x301, MEDELEG = 0x302, MIDELEG = 0x303, MIE = 0x304;
    public static final int MTVEC = 0x305, MCOUNTEREN = 0x306, MENVCFG = 0x30A, MIP = 0x344;
    public static final int MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343;
}
