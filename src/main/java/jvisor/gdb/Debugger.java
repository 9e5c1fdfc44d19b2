package jvisor.gdb;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.locks.LockSupport;
import jvisor.cpu.DebugHook;
import jvisor.cpu.Hart;
import jvisor.machine.Machine;

/**
 * Debugger control of one machine, independent of any protocol: halting and resuming harts
 * (all-stop: when one hart stops, every hart stops), single steps, breakpoints and watchpoints
 * by virtual address, and the reason of the last stop. {@link GdbSession} speaks gdb's protocol on
 * top of it; a host daemon can drive it directly.
 *
 * <p>Harts park at block boundaries ({@link DebugHook#beforeBlock}), so a parked hart's registers
 * and memory can be read and written from the debugger's thread: a hart publishes its state
 * by the volatile write that marks it parked, and reads changes after the volatile read that lets
 * it go. {@link #enable} hooks the harts and {@link #disable} unhooks them, after which the guest
 * runs exactly as it does without a debugger.
 */
public final class Debugger implements DebugHook {
    /** What {@link #resume} asks of each hart. */
    public enum Action { RUN, STEP, STAY }

    public enum WatchKind { WRITE, READ, ACCESS }

    private record Watch(long addr, long len, WatchKind kind) {}

    /** Per-hart state; fields without volatile belong to the hart's thread. */
    private static final class HartState {
        volatile Action action = Action.RUN;
        /** The resume epoch in which the hart last parked; -1 while it runs. */
        volatile int parkedEpoch = -1;
        volatile boolean stepReports;
        boolean stepping, skipWatch;
        Stop hit;
        int generation;
    }

    private final Machine machine;
    private final Hart[] harts;
    private final HartState[] state;
    private final GuestView memory;

    private volatile boolean haltAll;
    private volatile int epoch;
    private volatile Stop stop;
    /** Bumped when breakpoints or watchpoints change: harts flush their TLBs before running on. */
    private volatile int generation;

    /** Breakpoints: address to hardware?, guarded by this; published sorted in the arrays below. */
    private final TreeMap<Long, Boolean> points = new TreeMap<>(Long::compareUnsigned);
    private volatile long[] breakpoints = {}, breakpointPages = {};
    private final List<Watch> watchList = new ArrayList<>();
    private volatile Watch[] watches = {};

    public Debugger(Machine machine) {
        this.machine = machine;
        this.harts = new Hart[machine.hartCount()];
        this.state = new HartState[harts.length];
        for (int i = 0; i < harts.length; i++) {
            harts[i] = machine.hart(i);
            state[i] = new HartState();
        }
        this.memory = new GuestView(machine.ram());
    }

    public Machine machine() { return machine; }
    public int hartCount() { return harts.length; }
    public Hart hart(int i) { return harts[i]; }
    GuestView memory() { return memory; }

    // ---- attaching ----

    /** Hooks every hart; with {@code halted}, they park before their next (or first) instruction. */
    public synchronized void enable(boolean halted) {
        if (halted) {
            stop = new Stop(0, Stop.Reason.HALTED, 0);
            haltAll = true;
        }
        for (Hart h : harts) h.debug = this;
        if (halted) kickAll();
    }

    /** Removes every breakpoint and watchpoint, lets every hart run and unhooks them. */
    public synchronized void disable() {
        points.clear();
        watchList.clear();
        publish();
        for (HartState s : state) s.action = Action.RUN;
        stop = null;
        epoch++;
        haltAll = false;
        for (Hart h : harts) h.debug = null;
        kickAll();
    }

    // ---- stopping and resuming ----

    /** Asks every hart to stop (Ctrl-C); {@link #awaitStop} then reports it. */
    public void halt() {
        int first = 0;
        for (int i = 0; i < harts.length; i++) {
            if (harts[i].inRunLoop()) {
                first = i;
                break;
            }
        }
        report(new Stop(first, Stop.Reason.HALTED, 0));
    }

    /** The first stop reported since the last resume; every running hart parks after it. */
    private synchronized void report(Stop s) {
        if (stop == null) stop = s;
        haltAll = true;
        kickAll();
    }

    private void kickAll() {
        for (Hart h : harts) h.kick();
    }

    /**
     * Waits up to {@code millis} for the machine to be stopped with every running hart parked;
     * returns the stop, or null if it has not stopped yet.
     */
    public Stop awaitStop(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (true) {
            Stop s = stop;
            if (s != null && allParked()) return s;
            if (System.nanoTime() - deadline >= 0) return null;
            LockSupport.parkNanos(200_000);
        }
    }

    /** True if the machine is stopped (so registers and memory may be touched). */
    public boolean stopped() { return stop != null && allParked(); }

    private boolean allParked() {
        int e = epoch;
        for (int i = 0; i < harts.length; i++) {
            Hart h = harts[i];
            if (h.inRunLoop() && !h.stopRequested() && state[i].parkedEpoch != e) return false;
        }
        return true;
    }

    /** Lets the harts go as {@code actions} says (one per hart). */
    public synchronized void resume(Action[] actions) {
        for (int i = 0; i < harts.length; i++) {
            state[i].action = actions[i];
            state[i].stepReports = actions[i] == Action.STEP;
        }
        stop = null;
        epoch++;
        haltAll = false;
        kickAll();
    }

    // ---- breakpoints and watchpoints (change them while stopped) ----

    public synchronized void addBreakpoint(long va, boolean hardware) {
        points.put(va, hardware);
        publish();
    }

    public synchronized void removeBreakpoint(long va) {
        points.remove(va);
        publish();
    }

    public synchronized void addWatchpoint(long va, long len, WatchKind kind) {
        watchList.add(new Watch(va, Math.max(1, len), kind));
        publish();
    }

    public synchronized void removeWatchpoint(long va, long len, WatchKind kind) {
        watchList.remove(new Watch(va, Math.max(1, len), kind));
        publish();
    }

    private void publish() {
        breakpoints = points.keySet().stream().mapToLong(Long::longValue).toArray();
        breakpointPages = Arrays.stream(breakpoints).map(a -> a & -4096L).distinct().toArray();
        watches = watchList.toArray(new Watch[0]);
        generation++;
    }

    // ---- DebugHook, on hart threads ----

    @Override
    public int beforeBlock(Hart h, int budget) {
        HartState s = state[h.hartId];
        boolean stepped = s.stepping;
        if (stepped) {
            s.stepping = false;
            s.skipWatch = false;
        }
        Stop hit = s.hit;
        s.hit = null;
        if (h.debugStopped) { // a breakpoint or a watchpoint: pc is on the instruction
            h.debugStopped = false;
            if (hit == null) {
                Boolean hw;
                synchronized (this) { hw = points.get(h.pc); }
                hit = new Stop(h.hartId, Boolean.TRUE.equals(hw) ? Stop.Reason.HW_BREAK : Stop.Reason.SW_BREAK, 0);
            } else {
                s.skipWatch = true; // on resume, the access runs once unwatched (if the client did not step over it)
            }
        }
        if (hit != null) report(hit);
        else if (stepped && s.stepReports) report(new Stop(h.hartId, Stop.Reason.STEP, 0));

        while (true) {
            int e = epoch;
            if (h.stopRequested()) return 0;
            if (!haltAll && s.action != Action.STAY) break;
            s.parkedEpoch = e;
            h.parkBetweenBlocks(this, 20_000_000L); // kicked on resume; answers TLB shootdowns meanwhile
        }
        s.parkedEpoch = -1;
        if (s.generation != generation) {
            s.generation = generation;
            h.mmu.flushAll(); // pages with breakpoints and watchpoints leave the TLBs
        }
        if (s.action == Action.STEP || s.skipWatch) {
            s.stepping = true;
            h.mmu.flushAll(); // the fetch must take the slow path, to a page copy with no compiled code
            return 1;
        }
        return budget;
    }

    @Override
    public boolean stepping(Hart h) { return state[h.hartId].stepping; }

    @Override
    public boolean wantsHart(Hart h) { return haltAll || state[h.hartId].action == Action.STAY; }

    @Override
    public int[] breakpointSlots(Hart h, long pc) {
        if (state[h.hartId].stepping) return new int[0]; // one instruction, and never a stop before it
        long page = pc & -4096L;
        if (!contains(breakpointPages, page)) return null;
        long[] bps = breakpoints;
        int[] slots = new int[bps.length];
        int n = 0;
        for (long a : bps) if ((a & -4096L) == page) slots[n++] = (int) (a & 0xfff) >> 1;
        return n == 0 ? null : Arrays.copyOf(slots, n);
    }

    /** A scan: there are few breakpoints, and this runs only on fetch TLB misses of a debugged hart. */
    private static boolean contains(long[] a, long v) {
        for (long x : a) if (x == v) return true;
        return false;
    }

    @Override
    public int watch(Hart h, long va, int size, boolean store) {
        Watch[] ws = watches;
        if (ws.length == 0) return UNWATCHED;
        HartState s = state[h.hartId];
        long page = va & -4096L;
        int result = UNWATCHED;
        for (Watch w : ws) {
            long first = w.addr & -4096L, last = (w.addr + w.len - 1) & -4096L;
            if (Long.compareUnsigned(page, first) < 0 || Long.compareUnsigned(page, last) > 0) continue;
            result = WATCHED_PAGE;
            boolean overlaps = Long.compareUnsigned(va, w.addr + w.len) < 0 && Long.compareUnsigned(w.addr, va + size) < 0;
            boolean kind = store ? w.kind != WatchKind.READ : w.kind != WatchKind.WRITE;
            if (overlaps && kind && !s.skipWatch) {
                Stop.Reason r = switch (w.kind) {
                    case WRITE -> Stop.Reason.WATCH;
                    case READ -> Stop.Reason.RWATCH;
                    case ACCESS -> Stop.Reason.AWATCH;
                };
                s.hit = new Stop(h.hartId, r, w.addr);
                return HIT;
            }
        }
        return result;
    }
}
