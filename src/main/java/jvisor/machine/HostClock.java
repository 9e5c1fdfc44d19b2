package jvisor.machine;

import jvisor.cpu.Clock;

/**
 * Wall-clock time at 10 MHz from the host's monotonic clock, starting at 0 when the machine
 * starts. It stands still while the machine is paused, so a guest's monotonic clock shows no
 * jump across a pause, a save and a restore.
 */
public final class HostClock implements Clock {
    /** {@link System#nanoTime} at tick 0. */
    private volatile long origin = System.nanoTime();
    /** The time while frozen, or -1. */
    private volatile long frozen = -1;

    @Override
    public long now() {
        long f = frozen;
        return f >= 0 ? f : (System.nanoTime() - origin) / 100;
    }

    @Override
    public long nanosUntil(long ticks) {
        long left = ticks - now();
        return left <= 0 ? 0 : left > Long.MAX_VALUE / 100 ? Long.MAX_VALUE : left * 100;
    }

    @Override
    public synchronized void freeze() {
        if (frozen < 0) frozen = now();
    }

    @Override
    public synchronized void thaw() {
        long f = frozen;
        if (f < 0) return;
        origin = System.nanoTime() - f * 100;
        frozen = -1;
    }

    @Override
    public synchronized void restore(long ticks) {
        if (ticks < 0) throw new IllegalArgumentException("negative time");
        frozen = ticks;
    }
}
