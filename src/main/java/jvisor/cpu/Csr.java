package jvisor.cpu;

/** CSR numbers used outside the CSR file (privileged spec 1.12, tables 2.2-2.5). */
public final class Csr {
    private Csr() {}

    public static final int SSTATUS = 0x100, SIE = 0x104, STVEC = 0x105, SCOUNTEREN = 0x106, SATP = 0x180;
    public static final int STIMECMP = 0x14D, SIP = 0x144;
    public static final int MSTATUS = 0x300, MISA = 0x301, MEDELEG = 0x302, MIDELEG = 0x303, MIE = 0x304;
    public static final int MTVEC = 0x305, MCOUNTEREN = 0x306, MENVCFG = 0x30A, MIP = 0x344;
    public static final int MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343, MTINST = 0x34A, MTVAL2 = 0x34B;
    public static final int SEPC = 0x141, SCAUSE = 0x142, STVAL = 0x143;
    /** The H extension's CSRs. */
    public static final int HSTATUS = 0x600, HEDELEG = 0x602, HIDELEG = 0x603, HIE = 0x604, HTIMEDELTA = 0x605;
    public static final int HCOUNTEREN = 0x606, HGEIE = 0x607, HENVCFG = 0x60A, HTVAL = 0x643, HIP = 0x644;
    public static final int HVIP = 0x645, HTINST = 0x64A, HGATP = 0x680, HGEIP = 0xE12;
    public static final int VSSTATUS = 0x200, VSIE = 0x204, VSTVEC = 0x205, VSSCRATCH = 0x240, VSEPC = 0x241;
    public static final int VSCAUSE = 0x242, VSTVAL = 0x243, VSIP = 0x244, VSTIMECMP = 0x24D, VSATP = 0x280;
}
