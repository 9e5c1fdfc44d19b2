package jvisor.cpu;

import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

/**
 * Control and status registers (privileged spec 1.12 ch. 2-3, Zicntr, Sstc). Access rules come
 * from the number itself: bits 9:8 give the lowest privilege allowed, bits 11:10 == 3 mark
 * read-only. Unknown CSRs, privilege violations and writes to read-only CSRs make the
 * instruction illegal. sstatus, sie and sip are views of their machine-level registers.
 */
public final class CsrFile {
    // mstatus fields
    static final long SIE = 1L << 1, MIE = 1L << 3, SPIE = 1L << 5, MPIE = 1L << 7, SPP = 1L << 8;
    static final long MPP = 3L << 11, FS = 3L << 13, MPRV = 1L << 17, SUM = 1L << 18, MXR = 1L << 19;
    static final long TVM = 1L << 20, TW = 1L << 21, TSR = 1L << 22, SD = 1L << 63;
    static final long XLEN64 = 2L << 32 | 2L << 34; // UXL = SXL = 64 bits, read-only
    private static final long MSTATUS_WRITABLE = SIE | MIE | SPIE | MPIE | SPP | MPP | FS | MPRV | SUM | MXR
            | TVM | TW | TSR;
    private static final long SSTATUS_VISIBLE = SIE | SPIE | SPP | FS | SUM | MXR | SD | 3L << 32;
    private static final long SSTATUS_WRITABLE = SIE | SPIE | SPP | FS | SUM | MXR;

    static final long MEDELEG_WRITABLE = 0xB3FF; // every synchronous cause but ecall from M
    static final long S_INTERRUPTS = 1L << Cause.IRQ_SSI | 1L << Cause.IRQ_STI | 1L << Cause.IRQ_SEI;
    static final long ALL_INTERRUPTS = 0xAAA;
    static final long MENVCFG_STCE = 1L << 63, ENVCFG_FIOM = 1;

    static final long MISA = 2L << 62 | 1 << ('A' - 'A') | 1 << ('C' - 'A') | 1 << ('D' - 'A')
            | 1 << ('F' - 'A') | 1 << ('I' - 'A') | 1 << ('M' - 'A') | 1 << ('S' - 'A') | 1 << ('U' - 'A');

    private final Hart h;

    long mstatus;
    long medeleg, mideleg, mie;
    long mtvec, stvec, mepc, sepc, mcause, scause, mtval, stval, mscratch, sscratch;
    long mcounteren, scounteren, menvcfg, senvcfg;
    long satp;
    long stimecmp = -1;
    private final long[] pmpcfg = new long[16];
    private final long[] pmpaddr = new long[64];
    /** mcycle = instret + cycleOffset: one cycle per instruction. */
    private long cycleOffset;
    private boolean missing;

    CsrFile(Hart h) { this.h = h; }

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
        setMstatus(in.i64() & MSTATUS_WRITABLE);
        medeleg = in.i64() & MEDELEG_WRITABLE;
        mideleg = in.i64() & S_INTERRUPTS;
        mie = in.i64() & ALL_INTERRUPTS;
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

    int satpMode() { return (int) (satp >>> 60); }

    /**
     * Reads a CSR with machine privilege, for host code playing the M-mode role (the built-in
     * SBI), tests and snapshots. Returns 0 for CSRs that don't exist.
     */
    public long get(int csr) {
        int saved = h.priv;
        h.priv = Hart.M;
        try {
            missing = false;
            long v = read(csr);
            return missing ? 0 : v;
        } finally {
            h.priv = saved;
        }
    }

    /** Writes a CSR with machine privilege (see {@link #get}); returns false if it doesn't exist. */
    public boolean set(int csr, long value) {
        int saved = h.priv;
        h.priv = Hart.M;
        try {
            missing = false;
            read(csr);
            if (!missing) write(csr, value);
            return !missing;
        } finally {
            h.priv = saved;
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
        if ((csr >>> 8 & 3) > h.priv || (writes && csr >>> 10 == 3)) return Hart.ILLEGAL;
        missing = false;
        long old = read(csr);
        if (missing) return Hart.ILLEGAL;
        if (writes) {
            long base = csr == 0x344 ? h.mipForUpdate() : old;
            long v = swap ? operand : (f3 & 3) == 2 ? base | operand : base & ~operand;
            write(csr, v);
            if (missing) return Hart.ILLEGAL;
        }
        h.x[Decoded.xrd(rd)] = old;
        return writes ? Hart.END_BLOCK : Hart.OK;
    }

    private long deny() {
        missing = true;
        return 0;
    }

    /** Reads a CSR for the current privilege; sets {@link #missing} when it doesn't exist or is denied. */
    long read(int csr) {
        if (csr >= 0xC00 && csr <= 0xC1F) return counter(csr);
        if (csr >= 0xB03 && csr <= 0xB1F || csr >= 0x323 && csr <= 0x33F) return 0; // no hpm counters
        if (csr >= 0x3A0 && csr <= 0x3AF) return (csr & 1) != 0 ? deny() : pmpcfg[csr - 0x3A0];
        if (csr >= 0x3B0 && csr <= 0x3EF) return pmpaddr[csr - 0x3B0];
        return switch (csr) {
            case 0x001 -> fp() ? h.fpu.flags : deny();
            case 0x002 -> fp() ? h.fpu.frm : deny();
            case 0x003 -> fp() ? (long) h.fpu.frm << 5 | h.fpu.flags : deny();
            case 0x100 -> mstatusValue() & SSTATUS_VISIBLE;
            case 0x104 -> mie & mideleg;
            case 0x105 -> stvec;
            case 0x106 -> scounteren;
            case 0x10A -> senvcfg;
            case 0x140 -> sscratch;
            case 0x141 -> sepc;
            case 0x142 -> scause;
            case 0x143 -> stval;
            case 0x144 -> h.mip() & mideleg;
            case 0x14D -> stimecmpAllowed() ? stimecmp : deny();
            case 0x180 -> h.priv == Hart.S && (mstatus & TVM) != 0 ? deny() : satp;
            case 0x300 -> mstatusValue();
            case 0x301 -> MISA;
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

    /** cycle, time, instret, hpmcounterN: gated by mcounteren and scounteren below M. */
    private long counter(int csr) {
        int bit = csr & 31;
        if (h.priv < Hart.M && (mcounteren >>> bit & 1) == 0) return deny();
        if (h.priv == Hart.U && (scounteren >>> bit & 1) == 0) return deny();
        return switch (bit) {
            case 0 -> h.instret + cycleOffset;
            case 1 -> h.clock.now();
            case 2 -> h.instret;
            default -> 0;
        };
    }

    /** Writes a CSR already known to exist and be writable here. */
    void write(int csr, long v) {
        if (csr >= 0xB03 && csr <= 0xB1F || csr >= 0x323 && csr <= 0x33F) return;
        if (csr >= 0x3A0 && csr <= 0x3AF) { writePmpcfg(csr - 0x3A0, v); return; }
        if (csr >= 0x3B0 && csr <= 0x3EF) { writePmpaddr(csr - 0x3B0, v); return; }
        switch (csr) {
            case 0x001 -> { h.fpu.flags = (int) v & 31; h.markFpDirty(); }
            case 0x002 -> { h.fpu.frm = (int) v & 7; h.markFpDirty(); }
            case 0x003 -> { h.fpu.flags = (int) v & 31; h.fpu.frm = (int) v >>> 5 & 7; h.markFpDirty(); }
            case 0x100 -> setMstatus(mstatus & ~SSTATUS_WRITABLE | v & SSTATUS_WRITABLE);
            case 0x104 -> mie = mie & ~mideleg | v & mideleg;
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
            case 0x300 -> setMstatus(mstatus & ~MSTATUS_WRITABLE | v & MSTATUS_WRITABLE);
            case 0x301 -> { } // misa is fixed (WARL)
            case 0x302 -> medeleg = v & MEDELEG_WRITABLE;
            case 0x303 -> mideleg = v & S_INTERRUPTS;
            case 0x304 -> mie = v & ALL_INTERRUPTS;
            case 0x305 -> mtvec = v & ~2L;
            case 0x306 -> mcounteren = v & 0xffff_ffffL;
            case 0x30A -> { menvcfg = v & (MENVCFG_STCE | ENVCFG_FIOM); h.updateTimers(); }
            case 0x320, 0x7A0, 0x7A1, 0x7A2, 0x7A3, 0x7A4 -> { }
            case 0x340 -> mscratch = v;
            case 0x341 -> mepc = v & ~1L;
            case 0x342 -> mcause = v;
            case 0x343 -> mtval = v;
            case 0x344 -> h.setSoftwareInterrupts(
                    S_INTERRUPTS & ~((menvcfg & MENVCFG_STCE) != 0 ? 1L << Cause.IRQ_STI : 0), v);
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
