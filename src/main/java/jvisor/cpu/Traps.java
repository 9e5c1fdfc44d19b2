package jvisor.cpu;

/**
 * Trap entry and return (privileged spec 1.12 §3.1.6-3.1.9, §3.3.2, §4.1.1): delegation through
 * medeleg/mideleg, vectored handlers, interrupt priority, mret/sret.
 */
final class Traps {
    private Traps() {}

    /** Interrupt priority, highest first (spec §3.1.9): MEI, MSI, MTI, SEI, SSI, STI. */
    private static final int[] PRIORITY = {Cause.IRQ_MEI, Cause.IRQ_MSI, Cause.IRQ_MTI,
            Cause.IRQ_SEI, Cause.IRQ_SSI, Cause.IRQ_STI};

    /** The interrupt to take now, or -1. */
    static int pendingInterrupt(Hart h) {
        CsrFile c = h.csr;
        long pending = h.mip() & c.mie;
        if (pending == 0) return -1;
        long toM = pending & ~c.mideleg;
        if (toM != 0 && (h.priv < Hart.M || (c.mstatus & CsrFile.MIE) != 0)) return highest(toM);
        long toS = pending & c.mideleg;
        if (toS != 0 && (h.priv < Hart.S || h.priv == Hart.S && (c.mstatus & CsrFile.SIE) != 0)) {
            return highest(toS);
        }
        return -1;
    }

    private static int highest(long bits) {
        for (int irq : PRIORITY) if ((bits >>> irq & 1) != 0) return irq;
        return -1;
    }

    /** Enters the trap handler for {@code cause} raised by the instruction at {@code epc}. */
    static void take(Hart h, int cause, long tval, boolean interrupt, long epc) {
        if (cause == Cause.DEBUG_STOP) { // the debugger's, not the guest's: stay on the instruction
            h.pc = epc;
            h.debugStopped = true;
            return;
        }
        CsrFile c = h.csr;
        long deleg = interrupt ? c.mideleg : c.medeleg;
        long causeValue = interrupt ? 1L << 63 | cause : cause;
        long ms = c.mstatus;
        h.reservedOff = -1;
        if (h.priv <= Hart.S && (deleg >>> cause & 1) != 0) {
            c.scause = causeValue;
            c.sepc = epc;
            c.stval = tval;
            ms = ms & ~(CsrFile.SPP | CsrFile.SPIE | CsrFile.SIE)
                    | (h.priv == Hart.S ? CsrFile.SPP : 0)
                    | ((ms & CsrFile.SIE) != 0 ? CsrFile.SPIE : 0);
            h.priv = Hart.S;
            h.pc = vector(c.stvec, cause, interrupt);
        } else {
            c.mcause = causeValue;
            c.mepc = epc;
            c.mtval = tval;
            ms = ms & ~(CsrFile.MPP | CsrFile.MPIE | CsrFile.MIE)
                    | (long) h.priv << 11
                    | ((ms & CsrFile.MIE) != 0 ? CsrFile.MPIE : 0);
            h.priv = Hart.M;
            h.pc = vector(c.mtvec, cause, interrupt);
        }
        c.setMstatus(ms);
    }

    private static long vector(long tvec, int cause, boolean interrupt) {
        long base = tvec & ~3L;
        return interrupt && (tvec & 1) != 0 ? base + 4L * cause : base;
    }

    /** mret; returns false when not in M-mode (illegal). */
    static boolean mret(Hart h) {
        if (h.priv != Hart.M) return false;
        CsrFile c = h.csr;
        long ms = c.mstatus;
        int target = (int) (ms >>> 11 & 3);
        ms = ms & ~(CsrFile.MPP | CsrFile.MIE) | CsrFile.MPIE
                | ((ms & CsrFile.MPIE) != 0 ? CsrFile.MIE : 0);
        if (target != Hart.M) ms &= ~CsrFile.MPRV;
        h.priv = target;
        h.pc = c.mepc;
        c.setMstatus(ms);
        return true;
    }

    /** sret; returns false when below S-mode, or in S-mode with mstatus.TSR set (illegal). */
    static boolean sret(Hart h) {
        CsrFile c = h.csr;
        long ms = c.mstatus;
        if (h.priv < Hart.S || h.priv == Hart.S && (ms & CsrFile.TSR) != 0) return false;
        int target = (ms & CsrFile.SPP) != 0 ? Hart.S : Hart.U;
        ms = ms & ~(CsrFile.SPP | CsrFile.SIE | CsrFile.MPRV) | CsrFile.SPIE
                | ((ms & CsrFile.SPIE) != 0 ? CsrFile.SIE : 0);
        h.priv = target;
        h.pc = c.sepc;
        c.setMstatus(ms);
        return true;
    }
}
