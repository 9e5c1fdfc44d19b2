package jvisor.cpu;

import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

/**
 * Control and status registers (privileged spec 1.12 ch. 2-3, Zicntr, Sstc). Access rules come
 * from the number itself: bits 9:8 give the lowest privilege allowed, bits 11:10 == 3 mark
 * read-only. Unknown CSRs, privilege violations and writes to read-only CSRs make the
 * instruction illegal. sstatus, sie and sip are views of their machine-level registers.
 *
 * <p>The H extension (privileged spec 1.12 ch. 8), unless turned off ({@link #hypervisor}): the
 * hypervisor CSRs (0x6xx) belong to HS-mode; with V=1 the VS CSRs (0x2xx) stand in for the S CSRs
 * of the same function, and accesses that HS-mode could make but VS/VU-mode may not raise
 * virtual-instruction exceptions ({@link Hart#VIRTUAL}). hip, hie, hvip, vsip and vsie are views
 * of mip/mie (hvip's bits are software-pending bits of the hart); GEILEN is 0, so hgeip and hgeie
 * are zero. VMIDs are kept but not used: every hgatp write flushes the guest translations.
 */
public final class CsrFile {
    // mstatus fields
    static final long SIE = 1L << 1, MIE = 1L << 3, SPIE = 1L << 5, MPIE = 1L << 7, SPP = 1L << 8;
    static final long MPP = 3L << 11, FS = 3L << 13, MPRV = 1L << 17, SUM = 1L << 18, MXR = 1L << 19;
    static final long TVM = 1L << 20, TW = 1L << 21, TSR = 1L << 22, SD = 1L << 63;
    static final long GVA = 1L << 38, MPV = 1L << 39;
    static final long XLEN64 = 2L << 32 | 2L << 34; // UXL = SXL = 64 bits, read-only
    private static final long MSTATUS_WRITABLE = SIE | MIE | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR
            | TVM | TW | TSR;
    private static final long SSTATUS_VISIBLE = SIE | SPIE | SPP | FS | SUM | MXR | SD | 3L << 32;
    private static final long SSTATUS_WRITABLE = SIE | SPIE | SPP | FS | SUM | MXR;

    static final long MEDELEG_WRITABLE = 0xB3FF; // every synchronous cause but ecall from M
    /** With H: ecall from VS, guest-page faults and virtual-instruction exceptions too. */
    static final long MEDELEG_WRITABLE_H = MEDELEG_WRITABLE | 1L << Cause.ECALL_VS | 0xFL << 20;
    /** What hedeleg can pass on to VS-mode (spec §8.2.2). */
    static final long HEDELEG_WRITABLE = 0xB1FF;
    static final long VS_INTERRUPTS = 1L << Cause.IRQ_VSSI | 1L << Cause.IRQ_VSTI | 1L << Cause.IRQ_VSEI;
    /** mideleg bits that read as one with H: VS-level interrupts and SGEI always go to HS first. */
    static final long H_INTERRUPTS = VS_INTERRUPTS | 1L << Cause.IRQ_SGEI;

    // hstatus fields
    static final long HS_GVA = 1L << 6, SPV = 1L << 7, SPVP = 1L << 8, HU = 1L << 9;
    static final long VTVM = 1L << 20, VTW = 1L << 21, VTSR = 1L << 22, VSXL64 = 2L << 32;
    private static final long HSTATUS_WRITABLE = HS_GVA | SPV | SPVP | HU | VTVM | VTW | VTSR;
    static final long S_INTERRUPTS = 1L << Cause.IRQ_SSI | 1L << Cause.IRQ_STI | 1L << Cause.IRQ_SEI;
    static final long ALL_INTERRUPTS = 0xAAA;
    static final long MENVCFG_STCE = 1L << 63, ENVCFG_FIOM = 1;

    static final long MISA = 2L << 62 | 1 << ('A' - 'A') | 1 << ('C' - 'A') | 1 << ('D' - 'A')
            | 1 << ('F' - 'A') | 1 << ('I' - 'A') | 1 << ('M' - 'A') | 1 << ('S' - 'A') | 1 << ('U' - 'A');
    static final long MISA_H = 1 << ('H' - 'A');

    private final Hart h;

    /** Whether the hart has the H extension (misa.H, the hypervisor CSRs, HLV/HSV/HFENCE). */
    boolean hypervisor = true;

    long mstatus;
    long medeleg, mideleg, mie;
    long mtvec, stvec, mepc, sepc, mcause, scause, mtval, stval, mscratch, sscratch;
    long mcounteren, scounteren, menvcfg, senvcfg;
    long satp;
    long stimecmp = -1;
    // H extension
    long hstatus, hedeleg, hideleg, hcounteren, htimedelta, htval, htinst, hgatp, henvcfg;
    long vsstatus, vstvec, vsscratch, vsepc, vscause, vstval, vsatp, vstimecmp = -1;
    long mtval2, mtinst;
    private final long[] pmpcfg = new long[16];
    private final long[] pmpaddr = new long[64];
    /** mcycle = instret + cycleOffset: one cycle per instruction. */
    private long cycleOffset;
    private boolean missing;
    /** Set with {@link #missing} when the denial is a virtual-instruction exception. */
    private boolean virtualInsn;

    CsrFile(Hart h) {
        this.h = h;
        mideleg = H_INTERRUPTS;
    }

    /** The registers above, in the hart's state section (the counters are the hart's instret). */
    void saveState(StateWriter out) {
        for (long v : new long[] {mstatus, medeleg, mideleg, mie, mtvec, stvec, mepc, sepc, mcause, scause,
                mtval, stval, mscratch, sscratch, mcounteren, scounteren, menvcfg, senvcfg, satp, stimecmp,
                cycleOffset}) {
            out.i64(v);
        }
        out.longs(pmpcfg).longs(pmpaddr);
    }

    /** Reads what {@link #saveState} wrote; WARL fields are masked as a write would. */
    void loadState(StateReader in) throws StateException {
        setMstatus(in.i64() & (MSTATUS_WRITABLE | MPV | GVA));
        medeleg = in.i64() & MEDELEG_WRITABLE_H;
        mideleg = in.i64() & S_INTERRUPTS | (hypervisor ? H_INTERRUPTS : 0);
        mie = in.i64() & (ALL_INTERRUPTS | H_INTERRUPTS);
        mtvec = in.i64();
        stvec = in.i64();
        mepc = in.i64();
        sepc = in.i64();
        mcause = in.i64();
        scause = in.i64();
        mtval = in.i64();
        stval = in.i64();
        mscratch = in.i64();
        sscratch = in.i64();
        mcounteren = in.i64() & 0xffff_ffffL;
        scounteren = in.i64() & 0xffff_ffffL;
        menvcfg = in.i64() & (MENVCFG_STCE | ENVCFG_FIOM);
        senvcfg = in.i64() & ENVCFG_FIOM;
        long satpValue = in.i64();
        int mode = (int) (satpValue >>> 60);
        in.check(mode == 0 || mode == 8 || mode == 9 || mode == 10, "holds satp mode " + mode);
        satp = satpValue;
        stimecmp = in.i64();
        cycleOffset = in.i64();
        in.longs(pmpcfg, "pmpcfg");
        in.longs(pmpaddr, "pmpaddr");
    }

    /** The H extension's registers, after {@link #saveState} (hart state version 2). */
    void saveHypervisorState(StateWriter out) {
        out.bool(hypervisor);
        for (long v : new long[] {hstatus, hedeleg, hideleg, hcounteren, htimedelta, htval, htinst, hgatp, henvcfg,
                vsstatus, vstvec, vsscratch, vsepc, vscause, vstval, vsatp, vstimecmp, mtval2, mtinst}) {
            out.i64(v);
        }
    }

    void loadHypervisorState(StateReader in) throws StateException {
        hypervisor = in.bool();
        hstatus = in.i64() & HSTATUS_WRITABLE | VSXL64;
        hedeleg = in.i64() & HEDELEG_WRITABLE;
        hideleg = in.i64() & VS_INTERRUPTS;
        hcounteren = in.i64() & 0xffff_ffffL;
        htimedelta = in.i64();
        htval = in.i64();
        htinst = in.i64();
        hgatp = in.i64();
        henvcfg = in.i64() & (MENVCFG_STCE | ENVCFG_FIOM);
        vsstatus = in.i64() & SSTATUS_WRITABLE;
        vstvec = in.i64();
        vsscratch = in.i64();
        vsepc = in.i64();
        vscause = in.i64();
        vstval = in.i64();
        vsatp = in.i64();
        vstimecmp = in.i64();
        mtval2 = in.i64();
        mtinst = in.i64();
        in.check(validMode(hgatp) && validMode(vsatp), "holds an unsupported hgatp or vsatp mode");
        in.check(hypervisor || !h.virt, "holds V=1 without the H extension");
        if (hypervisor) mideleg |= H_INTERRUPTS;
    }

    private static boolean validMode(long atp) {
        int mode = (int) (atp >>> 60);
        return mode == 0 || mode == 8 || mode == 9 || mode == 10;
    }

    /** Turns the H extension on or off (at reset, before the hart runs). */
    void setHypervisor(boolean on) {
        hypervisor = on;
        mideleg = on ? mideleg | H_INTERRUPTS : mideleg & ~H_INTERRUPTS;
        if (!on) mie &= ALL_INTERRUPTS;
    }

    int satpMode() { return (int) (satp >>> 60); }

    /**
     * Reads a CSR with machine privilege, for host code playing the M-mode role (the built-in
     * SBI), tests and snapshots. Returns 0 for CSRs that don't exist.
     */
    public long get(int csr) {
        int saved = h.priv;
        boolean savedVirt = h.virt;
        h.priv = Hart.M;
        h.virt = false;
        try {
            missing = false;
            long v = read(csr);
            return missing ? 0 : v;
        } finally {
            h.priv = saved;
            h.virt = savedVirt;
        }
    }

    /** Writes a CSR with machine privilege (see {@link #get}); returns false if it doesn't exist. */
    public boolean set(int csr, long value) {
        int saved = h.priv;
        boolean savedVirt = h.virt;
        h.priv = Hart.M;
        h.virt = false;
        try {
            missing = false;
            read(csr);
            if (!missing) write(csr, value);
            return !missing;
        } finally {
            h.priv = saved;
            h.virt = savedVirt;
            h.mmu.contextChanged();
        }
    }

    long mstatusValue() {
        long v = mstatus | XLEN64;
        return (v & FS) == FS ? v | SD : v;
    }

    /**
     * Executes a Zicsr instruction (raw bits in {@code insn}). Returns {@link Hart#OK},
     * {@link Hart#END_BLOCK} after a write (it may change interrupts, translation or counters),
     * or {@link Hart#ILLEGAL}.
     */
    int execute(int insn) {
        int csr = insn >>> 20, rd = insn >>> 7 & 31, rs1 = insn >>> 15 & 31, f3 = insn >>> 12 & 7;
        long operand = f3 >= 5 ? rs1 : h.x[rs1];
        boolean swap = (f3 & 3) == 1;
        boolean writes = swap || rs1 != 0;
        if (writes && csr >>> 10 == 3) return Hart.ILLEGAL;
        int level = csr >>> 8 & 3;
        if (h.virt) {
            // VS/VU: machine CSRs are illegal; what HS-mode may access (hypervisor and VS CSRs,
            // and S CSRs from VU) raises a virtual-instruction exception.
            if (level == 3) return Hart.ILLEGAL;
            if (level == 2 || level == 1 && h.priv == Hart.U) return existsForHs(csr) ? Hart.VIRTUAL : Hart.ILLEGAL;
            int gate = vsGate(csr);
            if (gate != Hart.OK) return gate;
            csr = vsSubstitute(csr);
        } else {
            if (level == 2 && hypervisor) level = Hart.S; // the hypervisor CSRs belong to HS-mode
            if (level > h.priv) return Hart.ILLEGAL;
        }
        missing = virtualInsn = false;
        long old = read(csr);
        if (missing) return virtualInsn ? Hart.VIRTUAL : Hart.ILLEGAL;
        if (writes) {
            long base = csr == 0x344 ? h.mipForUpdate() : old;
            long v = swap ? operand : (f3 & 3) == 2 ? base | operand : base & ~operand;
            write(csr, v);
            if (missing) return virtualInsn ? Hart.VIRTUAL : Hart.ILLEGAL;
        }
        h.x[Decoded.xrd(rd)] = old;
        return writes ? Hart.END_BLOCK : Hart.OK;
    }

    /**
     * A CSR instruction on fflags, frm or fcsr in a compiled region: as {@link #execute}, but a
     * write ends no block (these CSRs change nothing a block depends on) and a refusal is raised
     * here with the instruction as tval. Returns {@link Hart#OK} or {@link Hart#TRAP}. C's
     * quiet comparisons (isless, the errno check around sqrt) read and restore fflags in loops.
     */
    public int executeFloatingPoint(int insn) {
        int status = execute(insn);
        if (status == Hart.OK || status == Hart.END_BLOCK) return Hart.OK;
        h.raise(status == Hart.VIRTUAL ? Cause.VIRTUAL_INSN : Cause.ILLEGAL_INSN, insn & 0xffff_ffffL);
        return Hart.TRAP;
    }

    private long deny() {
        missing = true;
        return 0;
    }

    private long denyVirtual() {
        virtualInsn = true;
        return deny();
    }

    /** Whether HS-mode could access {@code csr} (it exists), for the choice of virtual vs illegal. */
    private boolean existsForHs(int csr) {
        if (csr >= 0xC00 && csr <= 0xC1F) return true;
        get(csr);
        return !missing;
    }

    /** The VS CSR that stands in for S CSR {@code csr} when V=1 (spec §8.2), or {@code csr}. */
    private static int vsSubstitute(int csr) {
        return switch (csr) {
            case 0x100, 0x104, 0x105, 0x140, 0x141, 0x142, 0x143, 0x144, 0x14D, 0x180 -> csr + 0x100;
            default -> csr;
        };
    }

    /** VS-mode traps of S CSRs: satp under hstatus.VTVM, stimecmp without Sstc for VS. */
    private int vsGate(int csr) {
        if (csr == 0x180 && (hstatus & VTVM) != 0) return Hart.VIRTUAL;
        if (csr == 0x14D) {
            if ((menvcfg & MENVCFG_STCE) == 0 || (mcounteren & 2) == 0) return Hart.ILLEGAL;
            if ((henvcfg & MENVCFG_STCE) == 0 || (hcounteren & 2) == 0) return Hart.VIRTUAL;
        }
        return Hart.OK;
    }

    /** Reads a CSR for the current privilege; sets {@link #missing} when it doesn't exist or is denied. */
    long read(int csr) {
        if (csr >= 0xC00 && csr <= 0xC1F) return counter(csr);
        if (csr >= 0xB03 && csr <= 0xB1F || csr >= 0x323 && csr <= 0x33F) return 0; // no hpm counters
        if (csr >= 0x3A0 && csr <= 0x3AF) return (csr & 1) != 0 ? deny() : pmpcfg[csr - 0x3A0];
        if (csr >= 0x3B0 && csr <= 0x3EF) return pmpaddr[csr - 0x3B0];
        if ((csr & 0x300) == 0x200 || csr == 0x34A || csr == 0x34B || csr == 0xE12) return readHypervisor(csr);
        return switch (csr) {
            case 0x001 -> fp() ? h.fpu.flags : deny();
            case 0x002 -> fp() ? h.fpu.frm : deny();
            case 0x003 -> fp() ? (long) h.fpu.frm << 5 | h.fpu.flags : deny();
            case 0x100 -> mstatusValue() & SSTATUS_VISIBLE;
            case 0x104 -> mie & mideleg & ~H_INTERRUPTS;
            case 0x105 -> stvec;
            case 0x106 -> scounteren;
            case 0x10A -> senvcfg;
            case 0x140 -> sscratch;
            case 0x141 -> sepc;
            case 0x142 -> scause;
            case 0x143 -> stval;
            case 0x144 -> h.mip() & mideleg & ~H_INTERRUPTS;
            case 0x14D -> stimecmpAllowed() ? stimecmp : deny();
            case 0x180 -> h.priv == Hart.S && (mstatus & TVM) != 0 ? deny() : satp;
            case 0x300 -> mstatusValue();
            case 0x301 -> hypervisor ? MISA | MISA_H : MISA;
            case 0x302 -> medeleg;
            case 0x303 -> mideleg;
            case 0x304 -> mie;
            case 0x305 -> mtvec;
            case 0x306 -> mcounteren;
            case 0x30A -> menvcfg;
            case 0x320 -> 0; // mcountinhibit: counters can't be stopped (WARL 0)
            case 0x340 -> mscratch;
            case 0x341 -> mepc;
            case 0x342 -> mcause;
            case 0x343 -> mtval;
            case 0x344 -> h.mip();
            case 0xB00 -> h.instret + cycleOffset;
            case 0xB02 -> h.instret;
            case 0xF11, 0xF12, 0xF13, 0xF15 -> 0; // mvendorid, marchid, mimpid, mconfigptr
            // Sdtrig with no triggers: tselect holds 0 and tdata1 reports type 0 ("no trigger").
            case 0x7A0, 0x7A1, 0x7A2, 0x7A3 -> 0;
            case 0x7A4 -> 1; // tinfo: only type 0 exists
            case 0xF14 -> h.hartId;
            default -> deny();
        };
    }

    private boolean fp() { return !h.fpuOff(); }

    private boolean stimecmpAllowed() {
        return h.priv == Hart.M || (menvcfg & MENVCFG_STCE) != 0 && (mcounteren & 2) != 0;
    }

    /**
     * cycle, time, instret, hpmcounterN: gated by mcounteren and scounteren below M, and with
     * V=1 by hcounteren (virtual-instruction exceptions where only the H-level gates deny).
     * VS and VU read time + htimedelta.
     */
    private long counter(int csr) {
        int bit = csr & 31;
        if (h.priv < Hart.M && (mcounteren >>> bit & 1) == 0) return deny();
        if (h.virt && (hcounteren >>> bit & 1) == 0) return denyVirtual();
        if (h.priv == Hart.U && (scounteren >>> bit & 1) == 0) return h.virt ? denyVirtual() : deny();
        return switch (bit) {
            case 0 -> h.instret + cycleOffset;
            case 1 -> h.virt ? h.clock.now() + htimedelta : h.clock.now();
            case 2 -> h.instret;
            default -> 0;
        };
    }

    /** The H extension's CSRs (hypervisor, VS, mtval2, mtinst); denied when H is off. */
    private long readHypervisor(int csr) {
        if (!hypervisor) return deny();
        return switch (csr) {
            case 0x600 -> hstatus | VSXL64;
            case 0x602 -> hedeleg;
            case 0x603 -> hideleg;
            case 0x604 -> mie & H_INTERRUPTS;
            case 0x605 -> htimedelta;
            case 0x606 -> hcounteren;
            case 0x607, 0xE12 -> 0; // hgeie, hgeip: GEILEN = 0
            case 0x60A -> henvcfg & (menvcfg | ~MENVCFG_STCE);
            case 0x643 -> htval;
            case 0x644 -> h.mip() & H_INTERRUPTS;
            case 0x645 -> h.softwarePending() & VS_INTERRUPTS;
            case 0x64A -> htinst;
            case 0x680 -> h.priv == Hart.S && (mstatus & TVM) != 0 ? deny() : hgatp;
            case 0x200 -> vsstatusValue();
            case 0x204 -> (mie & hideleg & VS_INTERRUPTS) >>> 1;
            case 0x205 -> vstvec;
            case 0x240 -> vsscratch;
            case 0x241 -> vsepc;
            case 0x242 -> vscause;
            case 0x243 -> vstval;
            case 0x244 -> (h.mip() & hideleg & VS_INTERRUPTS) >>> 1;
            case 0x24D -> stimecmpAllowed() ? vstimecmp : deny();
            case 0x280 -> vsatp;
            case 0x34A -> mtinst;
            case 0x34B -> mtval2;
            default -> deny();
        };
    }

    long vsstatusValue() {
        long v = vsstatus | 2L << 32; // UXL = 64 bits
        return (v & FS) == FS ? v | SD : v;
    }

    void setVsstatus(long v) {
        vsstatus = v & SSTATUS_WRITABLE;
        h.mmu.contextChanged();
    }

    private void writeHypervisor(int csr, long v) {
        if (!hypervisor) { missing = true; return; }
        switch (csr) {
            case 0x600 -> hstatus = v & HSTATUS_WRITABLE;
            case 0x602 -> hedeleg = v & HEDELEG_WRITABLE;
            case 0x603 -> hideleg = v & VS_INTERRUPTS;
            case 0x604 -> mie = mie & ~H_INTERRUPTS | v & VS_INTERRUPTS;
            case 0x605 -> { htimedelta = v; h.updateTimers(); }
            case 0x606 -> hcounteren = v & 0xffff_ffffL;
            case 0x607 -> { }
            case 0x60A -> { henvcfg = v & (MENVCFG_STCE | ENVCFG_FIOM); h.updateTimers(); }
            case 0x643 -> htval = v;
            case 0x644 -> h.setSoftwareInterrupts(1L << Cause.IRQ_VSSI, v);
            case 0x645 -> h.setSoftwareInterrupts(VS_INTERRUPTS, v);
            case 0x64A -> htinst = v;
            case 0x680 -> writeHgatp(v);
            case 0x200 -> setVsstatus(v);
            case 0x204 -> mie = mie & ~(hideleg & VS_INTERRUPTS) | v << 1 & hideleg & VS_INTERRUPTS;
            case 0x205 -> vstvec = v & ~2L;
            case 0x240 -> vsscratch = v;
            case 0x241 -> vsepc = v & ~1L;
            case 0x242 -> vscause = v;
            case 0x243 -> vstval = v;
            case 0x244 -> h.setSoftwareInterrupts(hideleg & 1L << Cause.IRQ_VSSI, v << 1);
            case 0x24D -> { vstimecmp = v; h.updateTimers(); }
            case 0x280 -> writeVsatp(v);
            case 0x34A -> mtinst = v;
            case 0x34B -> mtval2 = v;
            default -> missing = true;
        }
    }

    private void writeHgatp(long v) {
        if (!validMode(v)) return; // unsupported mode: no change
        hgatp = v & (0xfL << 60 | 0x3fffL << 44 | (1L << 44) - 4); // VMID 14 bits; PPN[1:0] zero
        h.mmu.flushGuest(-1);
        h.mmu.contextChanged();
    }

    private void writeVsatp(long v) {
        if (!validMode(v)) return;
        vsatp = v & (0xfL << 60 | 0xffffL << 44 | (1L << 44) - 1);
        h.mmu.flushGuest(-1);
        h.mmu.contextChanged();
    }

    /** Writes a CSR already known to exist and be writable here. */
    void write(int csr, long v) {
        if (csr >= 0xB03 && csr <= 0xB1F || csr >= 0x323 && csr <= 0x33F) return;
        if (csr >= 0x3A0 && csr <= 0x3AF) { writePmpcfg(csr - 0x3A0, v); return; }
        if (csr >= 0x3B0 && csr <= 0x3EF) { writePmpaddr(csr - 0x3B0, v); return; }
        if ((csr & 0x300) == 0x200 || csr == 0x34A || csr == 0x34B || csr == 0xE12) { writeHypervisor(csr, v); return; }
        switch (csr) {
            case 0x001 -> { h.fpu.flags = (int) v & 31; h.markFpDirty(); }
            case 0x002 -> { h.fpu.frm = (int) v & 7; h.markFpDirty(); }
            case 0x003 -> { h.fpu.flags = (int) v & 31; h.fpu.frm = (int) v >>> 5 & 7; h.markFpDirty(); }
            case 0x100 -> setMstatus(mstatus & ~SSTATUS_WRITABLE | v & SSTATUS_WRITABLE);
            case 0x104 -> mie = mie & ~(mideleg & S_INTERRUPTS) | v & mideleg & S_INTERRUPTS;
            case 0x105 -> stvec = v & ~2L;
            case 0x106 -> scounteren = v & 0xffff_ffffL;
            case 0x10A -> senvcfg = v & ENVCFG_FIOM;
            case 0x140 -> sscratch = v;
            case 0x141 -> sepc = v & ~1L;
            case 0x142 -> scause = v;
            case 0x143 -> stval = v;
            case 0x144 -> h.setSoftwareInterrupts(mideleg & (1L << Cause.IRQ_SSI), v);
            case 0x14D -> { stimecmp = v; h.updateTimers(); }
            case 0x180 -> writeSatp(v);
            case 0x300 -> {
                long writable = hypervisor ? MSTATUS_WRITABLE | MPV | GVA : MSTATUS_WRITABLE;
                setMstatus(mstatus & ~writable | v & writable);
            }
            case 0x301 -> { } // misa is fixed (WARL)
            case 0x302 -> medeleg = v & (hypervisor ? MEDELEG_WRITABLE_H : MEDELEG_WRITABLE);
            case 0x303 -> mideleg = v & S_INTERRUPTS | (hypervisor ? H_INTERRUPTS : 0);
            case 0x304 -> mie = v & (hypervisor ? ALL_INTERRUPTS | H_INTERRUPTS : ALL_INTERRUPTS);
            case 0x305 -> mtvec = v & ~2L;
            case 0x306 -> mcounteren = v & 0xffff_ffffL;
            case 0x30A -> { menvcfg = v & (MENVCFG_STCE | ENVCFG_FIOM); h.updateTimers(); }
            case 0x320, 0x7A0, 0x7A1, 0x7A2, 0x7A3, 0x7A4 -> { }
            case 0x340 -> mscratch = v;
            case 0x341 -> mepc = v & ~1L;
            case 0x342 -> mcause = v;
            case 0x343 -> mtval = v;
            case 0x344 -> h.setSoftwareInterrupts(
                    S_INTERRUPTS & ~((menvcfg & MENVCFG_STCE) != 0 ? 1L << Cause.IRQ_STI : 0)
                    | (hypervisor ? 1L << Cause.IRQ_VSSI : 0), v);
            case 0xB00 -> cycleOffset = v - h.instret;
            case 0xB02 -> { // mcycle is derived from instret: keep it counting on undisturbed
                long cycle = h.instret + cycleOffset;
                h.setInstret(v);
                cycleOffset = cycle - h.instret;
            }
            default -> missing = true;
        }
    }

    void setMstatus(long v) {
        if ((v & MPP) == 2L << 11) v &= ~MPP; // MPP is WARL: 2 (reserved) reads as U
        mstatus = v;
        h.mmu.contextChanged();
    }

    private void writeSatp(long v) {
        int mode = (int) (v >>> 60);
        if (mode != 0 && mode != 8 && mode != 9 && mode != 10) return; // unsupported mode: no change
        satp = v & (0xfL << 60 | 0xffffL << 44 | (1L << 44) - 1);
        h.mmu.flush(-1);
        h.mmu.contextChanged();
    }

    /** pmpcfg/pmpaddr are storage only (WARL): jvisor enforces no PMP checks. Locked entries stay put. */
    private void writePmpcfg(int index, long v) {
        long old = pmpcfg[index], next = 0;
        for (int b = 0; b < 8; b++) {
            long ob = old >>> (8 * b) & 0xff, nb = v >>> (8 * b) & 0x9f;
            if ((ob & 0x80) != 0) nb = ob;                 // L: locked until reset
            else if ((nb & 3) == 2) nb &= ~3L;              // R=0 W=1 is reserved
            next |= nb << (8 * b);
        }
        pmpcfg[index] = next;
    }

    private void writePmpaddr(int index, long v) {
        long cfg = pmpcfg[index / 8 * 2] >>> (8 * (index % 8)) & 0xff;
        if ((cfg & 0x80) != 0) return;
        pmpaddr[index] = v & ((1L << 54) - 1);
    }
}
