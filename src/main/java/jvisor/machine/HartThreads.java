package jvisor.machine;

import static jvisor.firmware.BuiltinSbi.HSM_STARTED;
import static jvisor.firmware.BuiltinSbi.HSM_START_PENDING;
import static jvisor.firmware.BuiltinSbi.HSM_STOPPED;
import static jvisor.firmware.BuiltinSbi.HSM_STOP_PENDING;
import static jvisor.firmware.BuiltinSbi.HSM_SUSPENDED;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.function.Consumer;
import jvisor.cpu.Csr;
import jvisor.cpu.Hart;

/**
 * One host thread per hart, and each hart's SBI HSM state (SBI spec 2.0 §9). The boot hart runs
 * on the thread that calls {@link #runBootHart}; the others get platform threads. A hart's
 * thread runs it while it is STARTED and waits, costing nothing, while it is STOPPED. hart_start
 * only records the entry point; the started hart's own thread applies it, so no thread but its
 * own ever touches a hart's registers.
 */
final class HartThreads {
    private final Hart[] harts;
    private final AtomicIntegerArray state;
    /** hart_start arguments, written before the START_PENDING transition that publishes them. */
    private final long[] entry, opaque;
    /** Firmware-like M-mode setup before a started hart enters S-mode (the built-in SBI's). */
    private final Consumer<Hart> prepare;
    private final Thread[] threads;
    private volatile boolean finished;
    private volatile Throwable failure;
    /** Pause: every hart thread parks in {@link #checkpoint} or {@link #awaitStart}; guarded by this. */
    private boolean paused;
    /** Hart threads inside {@link #lifecycle}, and how many of them are parked; guarded by this. */
    private int live, parked;
    /** What {@link #whenNoHartRuns} left to run when the last hart thread leaves; guarded by this. */
    private Runnable afterLast;

    HartThreads(Hart[] harts, Consumer<Hart> prepare) {
        this.harts = harts;
        this.prepare = prepare;
        this.state = new AtomicIntegerArray(harts.length);
        for (int i = 0; i < harts.length; i++) state.set(i, HSM_STOPPED);
        this.entry = new long[harts.length];
        this.opaque = new long[harts.length];
        this.threads = new Thread[harts.length];
    }

    /** Marks a hart as running from reset, with registers the loader set. */
    void startAtReset(int id) { state.set(id, HSM_STARTED); }

    int status(int id) { return state.get(id); }

    /** HSM hart_start (any thread): STOPPED to START_PENDING; false if the hart was not STOPPED. */
    synchronized boolean start(int id, long pc, long arg) {
        if (finished || state.get(id) != HSM_STOPPED) return false;
        entry[id] = pc;
        opaque[id] = arg;
        state.set(id, HSM_START_PENDING);
        notifyAll();
        return true;
    }

    /** HSM hart_stop, on the hart's own thread: its run loop ends after the current instruction. */
    void stop(Hart h) {
        state.set(h.hartId, HSM_STOP_PENDING);
        h.requestStop();
    }

    /** HSM retentive suspend, on the hart's own thread: like wfi, but SUSPENDED meanwhile. */
    void suspend(Hart h) {
        state.set(h.hartId, HSM_SUSPENDED);
        h.idleUntilInterrupt();
        state.set(h.hartId, HSM_STARTED);
    }

    /** Starts the threads of the harts other than hart 0 (once). */
    synchronized void startSecondaries() {
        for (int i = 1; i < harts.length; i++) {
            if (threads[i] != null) continue;
            int id = i;
            threads[i] = Thread.ofPlatform().name("jvisor-hart-" + i).daemon().start(() -> {
                try {
                    lifecycle(id, Long.MAX_VALUE);
                } catch (Throwable t) {
                    failure = t;
                    finish();
                }
            });
        }
    }

    /**
     * Runs hart 0 on this thread until the machine finishes (true) or about {@code maxInstructions}
     * have retired on it (false).
     */
    boolean runBootHart(long maxInstructions) {
        threads[0] = Thread.currentThread();
        return lifecycle(0, maxInstructions);
    }

    /** The thread that runs hart {@code id}, or null before it started (for CPU-time statistics). */
    synchronized Thread thread(int id) { return threads[id]; }

    /** Stops every hart and wakes the stopped ones so their threads end. */
    synchronized void finish() {
        finished = true;
        for (Hart h : harts) h.requestStop();
        notifyAll();
    }

    /** Waits (bounded) for the secondary threads to end; rethrows a crash of one of them. */
    void join() {
        for (int i = 1; i < threads.length; i++) {
            Thread t = threads[i];
            if (t == null) continue;
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Throwable t = failure;
        failure = null;
        if (t != null) throw new IllegalStateException("a hart thread failed: " + t, t);
    }

    private boolean lifecycle(int id, long maxInstructions) {
        Hart h = harts[id];
        enter(1);
        try {
            while (true) {
                if (!checkpoint(h)) return true;
                int s = state.get(id);
                if (s == HSM_START_PENDING) {
                    begin(h);
                } else if (s == HSM_STARTED) {
                    if (!h.run(maxInstructions)) return false;
                } else if (s == HSM_STOP_PENDING) { // the run ended through hart_stop
                    h.resume();
                    state.set(id, HSM_STOPPED);
                } else if (!awaitStart(id)) {
                    return true;
                }
            }
        } finally {
            enter(-1);
        }
    }

    private void enter(int delta) {
        Runnable release = null;
        synchronized (this) {
            live += delta;
            if (live == 0) {
                release = afterLast;
                afterLast = null;
            }
            notifyAll();
        }
        if (release != null) release.run();
    }

    /**
     * Runs {@code release} once no thread runs a hart: now, or when the last one leaves its run
     * loop ({@link #join} waits a bounded time). For what a hart may touch until its last
     * instruction, such as guest RAM.
     */
    void whenNoHartRuns(Runnable release) {
        synchronized (this) {
            if (live > 0) {
                afterLast = release;
                return;
            }
        }
        release.run();
    }

    /**
     * Between runs: parks while the machine is paused, then clears the stop request that ended
     * the run. Under the lock, so a pause that asks for a stop after this either finds the hart
     * parked or stops its next run. False once the machine has finished.
     */
    private synchronized boolean checkpoint(Hart h) {
        if (paused && !parkWhile(() -> paused && !finished)) return false;
        if (finished) return false;
        h.resume();
        return true;
    }

    /**
     * Counts this thread as parked (what {@link #pause} waits for) and waits, under the lock,
     * while {@code waiting} holds; false if interrupted.
     */
    private boolean parkWhile(java.util.function.BooleanSupplier waiting) {
        parked++;
        notifyAll();
        try {
            while (waiting.getAsBoolean()) wait();
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            parked--;
        }
    }

    /** Parks while the hart is STOPPED (a stopped hart counts as paused); false once the machine has finished. */
    private synchronized boolean awaitStart(int id) {
        return parkWhile(() -> !finished && (paused || state.get(id) != HSM_START_PENDING)) && !finished;
    }

    /**
     * Stops every hart at an instruction boundary and returns once each hart thread is parked
     * (harts in wfi or HSM STOPPED included): from then on no hart touches its state until
     * {@link #resume}. Any thread but a hart's own.
     */
    synchronized void pause() {
        paused = true;
        for (Hart h : harts) h.requestStop();
        boolean interrupted = false;
        while (parked < live && !finished) {
            try {
                wait();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    synchronized void resume() {
        paused = false;
        notifyAll();
    }

    // ---- state: each hart's HSM state and pending hart_start arguments ----

    void saveState(int id, jvisor.state.StateWriter out) {
        out.u8(state.get(id)).i64(entry[id]).i64(opaque[id]);
    }

    void loadState(int id, jvisor.state.StateReader in) throws jvisor.state.StateException {
        int s = in.u8();
        in.check(s == HSM_STARTED || s == HSM_STOPPED || s == HSM_START_PENDING || s == HSM_STOP_PENDING,
                "holds HSM state " + s);
        state.set(id, s);
        entry[id] = in.i64();
        opaque[id] = in.i64();
    }

    /** Enters S-mode at the hart_start address as the SBI spec says; on the hart's own thread. */
    private void begin(Hart h) {
        int id = h.hartId;
        h.resume();
        prepare.accept(h);
        h.csr.set(Csr.SATP, 0);
        h.csr.set(Csr.MSTATUS, 0); // SIE = 0, and no leftovers (MPRV, SUM...) from an earlier life
        h.priv = Hart.S;
        h.pc = entry[id];
        h.x[10] = id;
        h.x[11] = opaque[id];
        state.set(id, HSM_STARTED);
    }
}
