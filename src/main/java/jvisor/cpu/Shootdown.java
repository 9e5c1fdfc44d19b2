package jvisor.cpu;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * TLB shootdown between the harts of one machine. A hart's TLB belongs to its own thread, so
 * nobody else touches it: a requester bumps the target's request counter and waits until the
 * target acknowledges, which it does at its next block boundary, after flushing every table.
 *
 * <p>A hart that is parked (wfi, HSM stopped, not running) is quiescent: it uses no TLB entry
 * until it leaves that state, and on leaving it looks at its requests first. So a requester need
 * not wake it. The handshake is a Dekker pair of volatile accesses: the requester increments the
 * counter and then reads {@code quiescent}; the target clears {@code quiescent} and then reads the
 * counter. Sequential consistency of volatiles means one of them sees the other.
 *
 * <p>A requester services its own requests while it waits, so two harts shooting at each other
 * cannot deadlock; no lock is held while waiting. The wait is bounded in case a host thread is
 * stuck, which would be a jvisor bug (it is reported once).
 */
final class Shootdown {
    private static final long TIMEOUT_NANOS = 2_000_000_000L;

    private final List<Hart> harts = new CopyOnWriteArrayList<>();
    private volatile boolean warned;

    void register(Hart h) { harts.add(h); }

    /** Per-hart state: requests made of it, the last one it completed, and whether it is parked. */
    static final class Target {
        final AtomicLong requested = new AtomicLong();
        volatile long done;
        volatile boolean quiescent = true;

        boolean satisfied(long ticket) { return done - ticket >= 0 || quiescent; }
    }

    /** Makes every hart flush its whole TLB; returns when they all have. */
    void all(Hart caller) {
        flush(caller, harts);
    }

    /**
     * Makes each of {@code targets} flush its whole TLB before returning; {@code caller} (the hart
     * whose thread this is, or null) flushes at once.
     */
    void flush(Hart caller, List<Hart> targets) {
        long[] tickets = new long[targets.size()];
        for (int i = 0; i < tickets.length; i++) {
            Hart t = targets.get(i);
            if (t == caller) continue;
            tickets[i] = t.shootdown.requested.incrementAndGet();
        }
        if (caller != null) caller.mmu.flushAll();
        long start = System.nanoTime();
        int spins = 0;
        for (int i = 0; i < tickets.length; ) {
            Hart t = targets.get(i);
            if (t == caller || t.shootdown.satisfied(tickets[i])) {
                i++;
                continue;
            }
            if (caller != null) caller.serviceShootdowns();
            if (++spins < 200) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(20_000);
                if (System.nanoTime() - start > TIMEOUT_NANOS) {
                    if (!warned) {
                        warned = true;
                        System.err.println("jvisor: hart " + t.hartId + " did not acknowledge a TLB shootdown within "
                                + TIMEOUT_NANOS / 1_000_000_000L + " s; going on without it");
                    }
                    i++;
                }
            }
        }
    }
}
