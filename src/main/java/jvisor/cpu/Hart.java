package jvisor.cpu;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import jvisor.cpu.fpu.FpArith;
import jvisor.memory.Bus;

/**
 * One RISC-V hart: architectural state and the run loop. The loop alternates between checking
 * interrupts and timers and running a block of instructions in the {@link Interpreter}; a block
 * ends after a budget of instructions, a trap, or any instruction that may change interrupt or
 * translation state.
 *
 * <p>Other threads talk to a hart only through {@link #raiseInterrupt}/{@link #lowerInterrupt}
 * and {@link #requestStop}, which are lock-free and wake it from wfi.
 */
public final class Hart {
    public static final int U = 0, S = 1, M = 3;

    /** Statuses returned by instruction helpers to the interpreter. */
    public static final int OK = 0, TRAP = 1, ILLEGAL = 2, END_BLOCK = 3, WFI = 4;

    /** Instructions per block: bounds interrupt latency (a few microseconds). */
    static final int BLOCK = 4096;

    /** Integer registers; index 32 absorbs writes to x0 ({@link Decoded#SINK}). */
    public final long[] x = new long[64];
    public final long[] f = new long[32];
    public long pc;
    public int priv = M;
    public final int hartId;

    public final FpArith fpu = new FpArith();
    public final CsrFile csr;
    public final Mmu mmu;
    final Clock clock;

    /** Answers ecalls in Java when set (built-in SBI); null means every ecall traps. */
    public EnvironmentCall environmentCall;

    /** Set when a memory helper recorded a trap (or, with cause -1, only asks the block to end). */
    public boolean fault;
    int pendingCause;
    long pendingTval;

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
    /** Set by another hart's SBI RFENCE; this hart flushes its TLB at the next block boundary. */
    private volatile boolean fenceRequested;
    private volatile Thread thread;

    public Hart(int hartId, Bus bus, DecodeCache decoded, Clock clock) {
        this.hartId = hartId;
        this.clock = clock;
        this.csr = new CsrFile(this);
        this.mmu = new Mmu(this, bus, decoded);
    }

    // ---- traps ----

    /** Records a synchronous exception for the current instruction; the interpreter takes it. */
    public void raise(int cause, long tval) {
        fault = true;
        pendingCause = cause;
        pendingTval = tval;
    }

    /** Asks the interpreter to end the block after the current instruction completes. */
    void endBlock() {
        if (!fault) {
            fault = true;
            pendingCause = -1;
        }
    }

    // ---- floating-point state (mstatus.FS) ----

    public boolean fpuOff() { return (csr.mstatus & CsrFile.FS) == 0; }

    public void markFpDirty() { csr.mstatus |= CsrFile.FS; }

    // ---- counters ----

    public long instret() { return instret; }

    void setInstret(long v) { instret = v - 1; } // the writing instruction's own retirement follows

    // ---- interrupts ----

    /** The effective mip value. */
    long mip() { return lines.get() | softPending.get() | timerPending; }

    /** Drives a device interrupt line (bit number from {@link Cause}); callable from any thread. */
    public void raiseInterrupt(int bit) {
        setBits(lines, 1L << bit, -1L);
        wake();
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
        setBits(softPending, mask, value);
        wake();
    }

    private static void setBits(AtomicLong word, long mask, long value) {
        long cur;
        do {
            cur = word.get();
        } while (!word.compareAndSet(cur, cur & ~mask | value & mask));
    }

    /** Recomputes MTIP and (with Sstc enabled) STIP from the comparators. */
    void updateTimers() {
        long now = clock.now();
        // Comparators are unsigned: all ones (the reset value) never fires.
        long bits = Long.compareUnsigned(now, mtimecmp) >= 0 ? 1L << Cause.IRQ_MTI : 0;
        if ((csr.menvcfg & CsrFile.MENVCFG_STCE) != 0 && Long.compareUnsigned(now, csr.stimecmp) >= 0) {
            bits |= 1L << Cause.IRQ_STI;
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
        mmu.contextChanged();
        long end = instret + maxInstructions;
        try {
            while (!stopRequested) {
                if (instret - end >= 0 && maxInstructions != Long.MAX_VALUE) return false;
                step(BLOCK);
            }
            return true;
        } finally {
            thread = null;
        }
    }

    /**
     * Asks this hart to flush its TLB before it runs on (remote sfence.vma / fence.i); callable from
     * any thread. The decode cache is coherent with stores already, so fence.i needs nothing more.
     */
    public void requestRemoteFence() {
        fenceRequested = true;
        wake();
    }

    /** Checks interrupts, then runs one block of at most {@code budget} instructions. */
    public void step(int budget) {
        if (fenceRequested) {
            fenceRequested = false;
            mmu.flush(-1);
        }
        updateTimers();
        int irq = Traps.pendingInterrupt(this);
        if (irq >= 0) Traps.take(this, irq, 0, true, pc);
        if (Interpreter.run(this, budget) == WFI) waitForInterrupt();
    }

    /** wfi: parks the thread until an enabled interrupt is pending (ignoring global enables). */
    private void waitForInterrupt() {
        while (!stopRequested) {
            updateTimers();
            if ((mip() & csr.mie) != 0) return;
            long deadline = -1; // unsigned: never
            if ((csr.mie & 1L << Cause.IRQ_MTI) != 0) deadline = mtimecmp;
            if ((csr.menvcfg & CsrFile.MENVCFG_STCE) != 0 && (csr.mie & 1L << Cause.IRQ_STI) != 0
                    && Long.compareUnsigned(csr.stimecmp, deadline) < 0) {
                deadline = csr.stimecmp;
            }
            long nanos = deadline < 0 ? 100_000_000L : clock.nanosUntil(deadline);
            if (nanos > 0) LockSupport.parkNanos(this, Math.min(nanos, 100_000_000L));
        }
    }
}
