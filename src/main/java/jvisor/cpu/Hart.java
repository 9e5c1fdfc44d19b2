package jvisor.cpu;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import jvisor.cpu.fpu.FpArith;
import jvisor.memory.Bus;
import jvisor.state.Snapshottable;
import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

/**
 * One RISC-V hart: architectural state and the run loop. The loop alternates between checking
 * interrupts and timers and running a block of instructions in the {@link Interpreter}; a block
 * ends after a budget of instructions, a trap, or any instruction that may change interrupt or
 * translation state.
 *
 * <p>Other threads talk to a hart only through {@link #raiseInterrupt}/{@link #lowerInterrupt},
 * {@link #requestStop} and TLB shootdown requests ({@link Shootdown}), which are lock-free and
 * wake it from wfi; everything else here belongs to the hart's own thread.
 */
public final class Hart implements Snapshottable {
    public static final int U = 0, S = 1, M = 3;

    /** Statuses returned by instruction helpers to the interpreter. */
    public static final int OK = 0, TRAP = 1, ILLEGAL = 2, END_BLOCK = 3, WFI = 4;
    /** Status: a virtual-instruction exception (H extension, cause 22), tval as for ILLEGAL. */
    public static final int VIRTUAL = 9;

    /** Instructions per block: bounds interrupt latency (a few microseconds). */
    public static final int BLOCK_DEFAULT = 4096;

    /**
     * Instructions per block for this hart. Each block starts with a page entry the JIT counts, so
     * smaller values make the eager JIT compile regions from more starting points.
     */
    public int blockSize = BLOCK_DEFAULT;

    /**
     * Set on machines with several harts: a hart spinning on memory that another hart must change
     * gives up its host thread, which the hart it waits for may need when there are more hart
     * threads than host cores. Guest spin loops need not execute pause, so the sign is a block
     * that changed neither pc nor any integer register.
     */
    public boolean yieldWhenSpinning;

    /** Integer registers; index 32 absorbs writes to x0 ({@link Decoded#SINK}). */
    public final long[] x = new long[64];
    public final long[] f = new long[32];
    public long pc;
    public int priv = M;
    /**
     * The virtualization mode of the H extension: with V=1, {@link #priv} S is VS-mode and U is
     * VU-mode, translation is two-stage (vsatp, hgatp) and the VS CSRs stand in for the S ones.
     */
    public boolean virt;
    public final int hartId;

    public final FpArith fpu = new FpArith();
    public final CsrFile csr;
    public final Mmu mmu;
    final Clock clock;

    /** Compiles hot code; null runs everything in the interpreter. */
    public Jit jit;
    /** Instructions the last {@link Region} run retired. */
    int jitRetired;
    /** Set by a region that left through a jump through a register (jalr); cleared by the interpreter. */
    boolean jumpedThroughRegister;
    /** Instructions the interpreter's last straight run retired. */
    int straightRetired;
    /** Statistics: compiled region runs and the instructions they retired. */
    long regionRuns, regionRetired;

    /** The attached debugger, or null (the usual case: then debugging costs nothing). */
    public volatile DebugHook debug;
    /** Set when the last block stopped for the debugger ({@link Cause#DEBUG_STOP}); the debugger clears it. */
    public boolean debugStopped;

    /** Answers ecalls in Java when set (built-in SBI); null means every ecall traps. */
    public EnvironmentCall environmentCall;

    /** Set when a memory helper recorded a trap (or, with cause -1, only asks the block to end). */
    public boolean fault;
    int pendingCause;
    long pendingTval;
    /**
     * What a trap to HS or M records besides tval for the pending fault (H extension): htval or
     * mtval2 (a guest physical address shifted right by 2, or 0), htinst or mtinst, and whether
     * tval holds a guest virtual address (hstatus.GVA, mstatus.GVA).
     */
    long pendingGpa;
    int pendingTinst;
    boolean pendingGva;

    /** Retired instruction count (minstret). */
    long instret;

    /** LR/SC reservation: RAM offset (-1 for none), size and the value LR saw. */
    long reservedOff = -1, reservedValue;
    int reservedSize;

    /** CLINT's mtimecmp for this hart (written by the CLINT device from any thread). */
    public volatile long mtimecmp = -1;

    /** Interrupt lines driven by devices (MSIP, MEIP, SEIP). */
    private final AtomicLong lines = new AtomicLong();
    /** Pending bits written by software through mip/sip (SSIP, STIP without Sstc, SEIP). */
    private final AtomicLong softPending = new AtomicLong();
    /** MTIP, and STIP under Sstc, derived from the timer comparators. */
    private long timerPending;

    private volatile boolean stopRequested;
    private volatile Thread thread;
    /** TLB flushes other harts asked of this one, answered at block boundaries. */
    final Shootdown.Target shootdown = new Shootdown.Target();
    /** Every hart of the machine, for RFENCE. */
    private final Shootdown allHarts;
    /** The machine's decoded pages, which hart 0 sweeps ({@link #updateTimers}). */
    private final DecodeCache decoded;
    /** A stop request (a pause) took the hart out of wfi: it goes back to waiting when it runs again. */
    private boolean wfiInterrupted;

    public Hart(int hartId, Bus bus, DecodeCache decoded, Clock clock) {
        this.hartId = hartId;
        this.clock = clock;
        this.csr = new CsrFile(this);
        this.mmu = new Mmu(this, bus, decoded);
        this.allHarts = decoded.shootdown;
        this.decoded = decoded;
        allHarts.register(this);
    }

    // ---- state (the machine state stream; the hart is not running) ----

    @Override
    public void saveState(StateWriter out) {
        out.longs(Arrays.copyOf(x, 32)).longs(f).i64(pc).u8(priv);
        out.u8(fpu.flags).u8(fpu.frm);
        out.i64(instret).i64(reservedOff).i32(reservedSize).i64(reservedValue);
        out.i64(mtimecmp).i64(lines.get()).i64(softPending.get()).bool(wfiInterrupted);
        csr.saveState(out);
        out.bool(virt); // version 2: the H extension
        csr.saveHypervisorState(out);
    }

    /** The version of the state {@link #saveState} writes (2 added the H extension). */
    public static final int STATE_VERSION = 2;

    @Override
    public void loadState(StateReader in) throws StateException {
        long[] regs = in.longs(32, "x registers");
        System.arraycopy(regs, 0, x, 0, 32);
        x[0] = 0;
        in.longs(f, "f registers");
        pc = in.i64();
        in.check((pc & 1) == 0, "holds a misaligned pc");
        priv = in.u8();
        in.check(priv == U || priv == S || priv == M, "holds privilege mode " + priv);
        fpu.flags = in.u8(31, "fflags");
        fpu.frm = in.u8(7, "frm");
        instret = in.i64();
        reservedOff = in.i64(-1, Long.MAX_VALUE, "reservation");
        reservedSize = in.i32();
        in.check(reservedOff < 0 || reservedSize == 4 || reservedSize == 8, "holds reservation size " + reservedSize);
        reservedValue = in.i64();
        mtimecmp = in.i64();
        lines.set(in.i64());
        softPending.set(in.i64());
        wfiInterrupted = in.bool();
        csr.loadState(in);
        if (in.version() >= 2) {
            virt = in.bool();
            csr.loadHypervisorState(in);
            in.check(!virt || priv != M, "holds V=1 in M-mode");
        } else {
            virt = false;
            csr.setHypervisor(false); // written before jvisor had H: the guest was told of no H
        }
        mmu.flushAll();
        mmu.contextChanged();
    }

    // ---- traps ----

    /** Records a synchronous exception for the current instruction; the interpreter takes it. */
    public void raise(int cause, long tval) {
        fault = true;
        pendingCause = cause;
        pendingTval = tval;
        pendingGpa = 0;
        pendingTinst = 0;
        pendingGva = false;
    }

    /** Asks the interpreter to end the block after the current instruction completes. */
    void endBlock() {
        if (!fault) {
            fault = true;
            pendingCause = -1;
        }
    }

    // ---- floating-point state (mstatus.FS) ----

    /** FP instructions are illegal while mstatus.FS is Off, and with V=1 also while vsstatus.FS is. */
    public boolean fpuOff() { return (csr.mstatus & CsrFile.FS) == 0 || virt && (csr.vsstatus & CsrFile.FS) == 0; }

    public void markFpDirty() {
        csr.mstatus |= CsrFile.FS;
        if (virt) csr.vsstatus |= CsrFile.FS;
    }

    // ---- counters ----

    public long instret() { return instret; }

    /** How many times compiled regions ran on this hart. */
    public long regionRuns() { return regionRuns; }

    /** Instructions retired inside compiled regions on this hart. */
    public long regionRetired() { return regionRetired; }

    void setInstret(long v) { instret = v - 1; } // the writing instruction's own retirement follows

    // ---- interrupts ----

    /** The software-written pending bits (SSIP, STIP without Sstc, SEIP, and hvip's VS bits). */
    long softwarePending() { return softPending.get(); }

    /**
     * Gives the hart the H extension or takes it away (before it runs; the device tree must
     * agree). On by default.
     */
    public void setHypervisor(boolean on) {
        csr.setHypervisor(on);
        if (!on) virt = false;
        mmu.contextChanged();
    }

    public boolean hypervisor() { return csr.hypervisor; }

    /** The effective mip value. */
    long mip() { return lines.get() | softPending.get() | timerPending; }

    /**
     * mip as csrrs/csrrc modify it: SEIP is the software-writable bit alone, without the PLIC's
     * line (privileged spec §3.1.9), or a read-modify-write would latch the line for good.
     */
    long mipForUpdate() { return lines.get() & ~(1L << Cause.IRQ_SEI) | softPending.get() | timerPending; }

    /** Drives a device interrupt line (bit number from {@link Cause}); callable from any thread. */
    public void raiseInterrupt(int bit) {
        if (setBits(lines, 1L << bit, -1L)) wake();
    }

    /** True while a device holds interrupt line {@code bit} high. */
    public boolean interruptLine(int bit) { return (lines.get() >>> bit & 1) != 0; }

    /** Sets the CLINT timer comparator; callable from any thread. */
    public void setMtimecmp(long value) {
        mtimecmp = value;
        wake(); // a hart parked in wfi recomputes its deadline
    }

    public void lowerInterrupt(int bit) {
        setBits(lines, 1L << bit, 0);
    }

    /** Sets or clears software-pending bits (SBI IPIs, mip writes); callable from any thread. */
    public void setSoftwareInterrupts(long mask, long value) {
        if (setBits(softPending, mask, value)) wake();
    }

    /** Returns true if bits changed: only then can a parked hart have something new to see. */
    private static boolean setBits(AtomicLong word, long mask, long value) {
        long cur, next;
        do {
            cur = word.get();
            next = cur & ~mask | value & mask;
        } while (cur != next && !word.compareAndSet(cur, next));
        return cur != next;
    }

    /**
     * The JIT profile's age: guest time in units of 2^23 ticks (0.84 s), updated with the
     * timers before each block. Counts of code started less often than about 2,500 times a
     * second decay before they reach the threshold ({@link CodePage#decay}).
     */
    int heatEpoch;
    static final int HEAT_EPOCH_SHIFT = 23;

    /** Recomputes MTIP and (with Sstc enabled) STIP from the comparators; ages the JIT profile. */
    void updateTimers() {
        long now = clock.now();
        int epoch = (int) (now >>> HEAT_EPOCH_SHIFT);
        if (epoch != heatEpoch) {
            boolean sweep = hartId == 0 && jit != null && epoch / DecodeCache.SWEEP_EPOCHS != heatEpoch / DecodeCache.SWEEP_EPOCHS;
            heatEpoch = epoch;
            if (sweep) decoded.sweep(epoch);
        }
        // Comparators are unsigned: all ones (the reset value) never fires.
        long bits = Long.compareUnsigned(now, mtimecmp) >= 0 ? 1L << Cause.IRQ_MTI : 0;
        if ((csr.menvcfg & CsrFile.MENVCFG_STCE) != 0) {
            if (Long.compareUnsigned(now, csr.stimecmp) >= 0) bits |= 1L << Cause.IRQ_STI;
            // Sstc in VS-mode: vstimecmp against the guest's time (time + htimedelta) drives VSTIP.
            if ((csr.henvcfg & CsrFile.MENVCFG_STCE) != 0
                    && Long.compareUnsigned(now + csr.htimedelta, csr.vstimecmp) >= 0) {
                bits |= 1L << Cause.IRQ_VSTI;
            }
        }
        timerPending = bits;
    }

    private void wake() {
        Thread t = thread;
        if (t != null) LockSupport.unpark(t);
    }

    // ---- run loop ----

    /** Stops the run loop at the next block boundary; callable from any thread. */
    public void requestStop() {
        stopRequested = true;
        wake();
    }

    public boolean stopRequested() { return stopRequested; }

    /** True while a thread runs this hart's loop (false while HSM keeps it stopped). */
    public boolean inRunLoop() { return thread != null; }

    /**
     * Parks the hart's thread between blocks for up to {@code nanos} (a debugger holding it),
     * quiescent for TLB shootdowns as in wfi, so other harts never wait for it.
     */
    public void parkBetweenBlocks(Object blocker, long nanos) {
        shootdown.quiescent = true;
        LockSupport.parkNanos(blocker, nanos);
        shootdown.quiescent = false;
        serviceShootdowns();
    }

    /** Wakes the hart from wfi so it looks at its debugger; callable from any thread. */
    public void kick() { wake(); }

    /** Changes the privilege level (a debugger writing gdb's priv register, while the hart is parked). */
    public void setPrivilege(int p) {
        priv = p;
        if (p == M) virt = false;
        mmu.contextChanged();
    }

    /** Clears a stop request so {@link #run} can be called again (HSM hart_start after hart_stop). */
    public void resume() { stopRequested = false; }

    /** Runs until {@link #requestStop}. */
    public void run() {
        run(Long.MAX_VALUE);
    }

    /**
     * Runs until {@link #requestStop} or until about {@code maxInstructions} have retired
     * (counted in whole blocks); returns true if stopped by request.
     */
    public boolean run(long maxInstructions) {
        thread = Thread.currentThread();
        shootdown.quiescent = false; // before looking at requests: see Shootdown
        mmu.contextChanged();
        long end = instret + maxInstructions;
        try {
            if (wfiInterrupted) waitForInterrupt();
            while (!stopRequested) {
                if (instret - end >= 0 && maxInstructions != Long.MAX_VALUE) return false;
                step(blockSize);
            }
            return true;
        } finally {
            shootdown.quiescent = true;
            thread = null;
        }
    }

    /**
     * SBI RFENCE (remote sfence.vma and fence.i): every hart of {@code targets} has flushed its TLB
     * before this returns; call on this hart's thread. A hart answers where it holds no decoded
     * page from before the request (between blocks, parked, or while fetching a fresh page), which
     * is all fence.i needs: the decode cache itself is coherent with stores, and the interpreter
     * holds on to one decoded page only until its block ends (at most {@link #BLOCK} instructions).
     */
    public void fenceRemote(List<Hart> targets) {
        allHarts.flush(this, targets);
    }

    /** Flushes the TLB if another hart asked for it since the last time; called on this hart's thread. */
    void serviceShootdowns() {
        long r = shootdown.requested.get();
        if (r != shootdown.done) {
            mmu.flushAll();
            shootdown.done = r;
        }
    }

    /** Checks shootdowns and interrupts, then runs one block of at most {@code budget} instructions. */
    public void step(int budget) {
        DebugHook dbg = debug;
        if (dbg != null && (budget = dbg.beforeBlock(this, budget)) == 0) return;
        serviceShootdowns();
        updateTimers();
        int irq = Traps.pendingInterrupt(this);
        if (irq >= 0 && (dbg == null || !dbg.stepping(this))) Traps.take(this, irq, 0, true, pc);
        if (Interpreter.run(this, budget) == WFI) waitForInterrupt();
        else if (yieldWhenSpinning && spinning()) {
            spinYields++;
            Thread.yield();
        }
    }

    /** pc and x0-x31 at the end of the last block that made progress. */
    private final long[] lastProgress = new long[33];
    private long spinYields;

    /** Times this hart gave up its thread while spinning (for tests and diagnosis). */
    public long spinYields() { return spinYields; }

    private boolean spinning() {
        if (pc == lastProgress[32] && Arrays.equals(x, 0, 32, lastProgress, 0, 32)) return true;
        System.arraycopy(x, 0, lastProgress, 0, 32);
        lastProgress[32] = pc;
        return false;
    }

    /** wfi: waits, and remembers a wait that a stop request (a pause) cut short. */
    private void waitForInterrupt() { wfiInterrupted = !idleUntilInterrupt(); }

    /**
     * wfi (and SBI HSM retentive suspend): parks the thread until an enabled interrupt is pending
     * (ignoring global enables), a stop is requested, or the next timer deadline. The deadline
     * covers both comparators that can fire here: mtimecmp (CLINT) and stimecmp (Sstc). Returns
     * false if a stop request ended the wait.
     */
    public boolean idleUntilInterrupt() {
        while (!stopRequested) {
            updateTimers();
            if ((mip() & csr.mie) != 0) return true;
            DebugHook dbg = debug;
            if (dbg != null && dbg.wantsHart(this)) return true; // a spurious wake-up, which wfi allows
            long deadline = -1; // unsigned: never (so is anything past 2^63 ticks, 29,000 years)
            if ((csr.mie & 1L << Cause.IRQ_MTI) != 0) deadline = mtimecmp;
            if ((csr.menvcfg & CsrFile.MENVCFG_STCE) != 0 && (csr.mie & 1L << Cause.IRQ_STI) != 0
                    && Long.compareUnsigned(csr.stimecmp, deadline) < 0) {
                deadline = csr.stimecmp;
            }
            if ((csr.menvcfg & csr.henvcfg & CsrFile.MENVCFG_STCE) != 0 && (csr.mie & 1L << Cause.IRQ_VSTI) != 0
                    && Long.compareUnsigned(csr.vstimecmp - csr.htimedelta, deadline) < 0) {
                deadline = csr.vstimecmp - csr.htimedelta;
            }
            // The cap only bounds the damage of a missed wake-up; wakers unpark us.
            long nanos = deadline < 0 ? IDLE_CAP_NANOS : Math.min(clock.nanosUntil(deadline), IDLE_CAP_NANOS);
            if (nanos > 0) {
                shootdown.quiescent = true;
                LockSupport.parkNanos(this, nanos);
                shootdown.quiescent = false;
                serviceShootdowns();
            }
        }
        return false;
    }

    private static final long IDLE_CAP_NANOS = 1_000_000_000L;

    /**
     * What decides whether and when this hart takes an interrupt, on one line: for a guest that
     * waits forever (a test's timeout). Read from any thread without stopping the hart, so the
     * values may be a block apart; nothing is changed.
     */
    public String interruptState() {
        Thread t = thread;
        return String.format("hart %d: pc %#x priv %d virt %b mip %#x mie %#x mideleg %#x hideleg %#x"
                        + " mstatus %#x hstatus %#x vsstatus %#x time %#x mtimecmp %#x stimecmp %#x vstimecmp %#x"
                        + " htimedelta %#x menvcfg %#x henvcfg %#x thread %s",
                hartId, pc, priv, virt, mip(), csr.mie, csr.mideleg, csr.hideleg, csr.mstatus, csr.hstatus,
                csr.vsstatus, clock.now(), mtimecmp, csr.stimecmp, csr.vstimecmp, csr.htimedelta, csr.menvcfg,
                csr.henvcfg, t == null ? "none" : t.getState());
    }
}
