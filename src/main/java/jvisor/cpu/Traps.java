package jvisor.cpu;

/**
 * Trap entry and return (privileged spec 1.12 §3.1.6-3.1.9, §3.3.2, §4.1.1, §8.4-8.6):
 * delegation through medeleg/mideleg and, with V=1, on to VS-mode through hedeleg/hideleg;
 * vectored handlers, interrupt priority, mret/sret with the virtualization mode.
 */
final class Traps {
    private Traps() {}

    /**
     * Interrupt priority, highest first (spec §3.1.9, §8.4.2): MEI, MSI, MTI, SEI, SSI, STI, then
     * the H extension's SGEI, VSEI, VSSI, VSTI.
     */
    private static final int[] PRIORITY = {Cause.IRQ_MEI, Cause.IRQ_MSI, Cause.IRQ_MTI,
            Cause.IRQ_SEI, Cause.IRQ_SSI, Cause.IRQ_STI, Cause.IRQ_SGEI, Cause.IRQ_VSEI, Cause.IRQ_VSSI,
            Cause.IRQ_VSTI};

    /**
     * The interrupt to take now, or -1. An interrupt goes to M unless mideleg delegates it, then
     * to HS unless hideleg delegates it on to VS; each level takes it when the hart runs below
     * that level, or at it with its interrupts enabled. VS-level interrupts are never taken with V=0
     * once delegated to VS.
     */
    static int pendingInterrupt(Hart h) {
        CsrFile c = h.csr;
        long pending = h.mip() & c.mie;
        if (pending == 0) return -1;
        long toM = pending & ~c.mideleg;
        if (toM != 0 && (h.priv < Hart.M || (c.mstatus & CsrFile.MIE) != 0)) return highest(toM);
        long toS = pending & c.mideleg & ~c.hideleg;
        if (toS != 0 && (h.virt || h.priv < Hart.S || h.priv == Hart.S && (c.mstatus & CsrFile.SIE) != 0)) {
            return highest(toS);
        }
        long toVs = pending & c.mideleg & c.hideleg;
        if (toVs != 0 && h.virt && (h.priv == Hart.U || (c.vsstatus & CsrFile.SIE) != 0)) return highest(toVs);
        return -1;
    }

    private static int highest(long bits) {
        for (int irq : PRIORITY) if ((bits >>> irq & 1) != 0) return irq;
        return -1;
    }

    /** Causes whose tval is a virtual address (hstatus.GVA / mstatus.GVA say whether a guest one). */
    private static final long ADDRESS_CAUSES = 1L << Cause.INSN_MISALIGNED | 1L << Cause.INSN_ACCESS
            | 1L << Cause.BREAKPOINT | 1L << Cause.LOAD_MISALIGNED | 1L << Cause.LOAD_ACCESS
            | 1L << Cause.STORE_MISALIGNED | 1L << Cause.STORE_ACCESS | 1L << Cause.INSN_PAGE_FAULT
            | 1L << Cause.LOAD_PAGE_FAULT | 1L << Cause.STORE_PAGE_FAULT | 1L << Cause.INSN_GUEST_PAGE_FAULT
            | 1L << Cause.LOAD_GUEST_PAGE_FAULT | 1L << Cause.STORE_GUEST_PAGE_FAULT;

    /**
     * Enters the trap handler for {@code cause} raised by the instruction at {@code epc}. For an
     * exception, the hart's pending guest physical address, transformed instruction and GVA flag
     * ({@link Hart#pendingGpa} ...) go to htval/mtval2, htinst/mtinst and the GVA bits.
     */
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
        boolean virt = h.virt;
        long gpa = interrupt ? 0 : h.pendingGpa;
        long tinst = interrupt ? 0 : h.pendingTinst & 0xffff_ffffL;
        boolean gva = !interrupt && (h.pendingGva || virt && (ADDRESS_CAUSES >>> cause & 1) != 0);
        h.pendingGpa = 0;
        h.pendingTinst = 0;
        h.pendingGva = false;
        h.reservedOff = -1;
        if (h.priv <= Hart.S && (deleg >>> cause & 1) != 0) {
            if (virt && ((interrupt ? c.hideleg : c.hedeleg) >>> cause & 1) != 0) {
                // To VS-mode: VS-level interrupts arrive as their S-level counterparts.
                int vsCause = interrupt ? cause - 1 : cause;
                c.vscause = interrupt ? 1L << 63 | vsCause : vsCause;
                c.vsepc = epc;
                c.vstval = tval;
                long vs = c.vsstatus;
                vs = vs & ~(CsrFile.SPP | CsrFile.SPIE | CsrFile.SIE)
                        | (h.priv == Hart.S ? CsrFile.SPP : 0)
                        | ((vs & CsrFile.SIE) != 0 ? CsrFile.SPIE : 0);
                h.priv = Hart.S;
                h.pc = vector(c.vstvec, vsCause, interrupt);
                c.setVsstatus(vs);
                return;
            }
            c.scause = causeValue;
            c.sepc = epc;
            c.stval = tval;
            if (c.hypervisor) {
                long hs = c.hstatus & ~(CsrFile.SPV | CsrFile.HS_GVA) | (virt ? CsrFile.SPV : 0) | (gva ? CsrFile.HS_GVA : 0);
                if (virt) hs = hs & ~CsrFile.SPVP | (h.priv == Hart.S ? CsrFile.SPVP : 0);
                c.hstatus = hs;
                c.htval = gpa;
                c.htinst = tinst;
            }
            ms = ms & ~(CsrFile.SPP | CsrFile.SPIE | CsrFile.SIE)
                    | (h.priv == Hart.S ? CsrFile.SPP : 0)
                    | ((ms & CsrFile.SIE) != 0 ? CsrFile.SPIE : 0);
            h.priv = Hart.S;
            h.pc = vector(c.stvec, cause, interrupt);
        } else {
            c.mcause = causeValue;
            c.mepc = epc;
            c.mtval = tval;
            if (c.hypervisor) {
                c.mtval2 = gpa;
                c.mtinst = tinst;
                ms = ms & ~(CsrFile.MPV | CsrFile.GVA) | (virt ? CsrFile.MPV : 0) | (gva ? CsrFile.GVA : 0);
            }
            ms = ms & ~(CsrFile.MPP | CsrFile.MPIE | CsrFile.MIE)
                    | (long) h.priv << 11
                    | ((ms & CsrFile.MIE) != 0 ? CsrFile.MPIE : 0);
            h.priv = Hart.M;
            h.pc = vector(c.mtvec, cause, interrupt);
        }
        h.virt = false;
        c.setMstatus(ms);
    }

    private static long vector(long tvec, int cause, boolean interrupt) {
        long base = tvec & ~3L;
        return interrupt && (tvec & 1) != 0 ? base + 4L * cause : base;
    }

    /** mret; returns false when not in M-mode (illegal). Returns to VS/VU when mstatus.MPV is set. */
    static boolean mret(Hart h) {
        if (h.priv != Hart.M) return false;
        CsrFile c = h.csr;
        long ms = c.mstatus;
        int target = (int) (ms >>> 11 & 3);
        boolean virt = target != Hart.M && (ms & CsrFile.MPV) != 0;
        ms = ms & ~(CsrFile.MPP | CsrFile.MIE | CsrFile.MPV) | CsrFile.MPIE
                | ((ms & CsrFile.MPIE) != 0 ? CsrFile.MIE : 0);
        if (target != Hart.M) ms &= ~CsrFile.MPRV;
        h.priv = target;
        h.virt = virt;
        h.pc = c.mepc;
        c.setMstatus(ms);
        return true;
    }

    /**
     * sret: {@link Hart#OK} after returning, {@link Hart#ILLEGAL} below HS-mode or in HS-mode
     * with mstatus.TSR, {@link Hart#VIRTUAL} in VU-mode or in VS-mode with hstatus.VTSR. From HS it
     * returns to VS/VU when hstatus.SPV is set; from VS it returns through vsstatus and vsepc.
     */
    static int sret(Hart h) {
        CsrFile c = h.csr;
        if (h.virt) {
            if (h.priv == Hart.U || (c.hstatus & CsrFile.VTSR) != 0) return Hart.VIRTUAL;
            long vs = c.vsstatus;
            int target = (vs & CsrFile.SPP) != 0 ? Hart.S : Hart.U;
            vs = vs & ~(CsrFile.SPP | CsrFile.SIE) | CsrFile.SPIE | ((vs & CsrFile.SPIE) != 0 ? CsrFile.SIE : 0);
            h.priv = target;
            h.pc = c.vsepc;
            c.setVsstatus(vs);
            return Hart.OK;
        }
        long ms = c.mstatus;
        if (h.priv < Hart.S || h.priv == Hart.S && (ms & CsrFile.TSR) != 0) return Hart.ILLEGAL;
        int target = (ms & CsrFile.SPP) != 0 ? Hart.S : Hart.U;
        ms = ms & ~(CsrFile.SPP | CsrFile.SIE | CsrFile.MPRV) | CsrFile.SPIE
                | ((ms & CsrFile.SPIE) != 0 ? CsrFile.SIE : 0);
        if (c.hypervisor && (c.hstatus & CsrFile.SPV) != 0) {
            h.virt = true;
            c.hstatus &= ~CsrFile.SPV;
        }
        h.priv = target;
        h.pc = c.sepc;
        c.setMstatus(ms);
        return Hart.OK;
    }
}
