package jvisor.machine;

import jvisor.cpu.Clock;

/** Wall-clock time at 10 MHz from the host's monotonic clock, starting at 0 when the machine starts. */
public final class HostClock implements Clock {
    private final long start = System.nanoTime();

    @Override
    public long now() { return (System.nanoTime() - start) / 100; }

    @Override
    public long nanosUntil(long ticks) {
        long left = ticks - now();
        return left <= 0 ? 0 : left > Long.MAX_VALUE / 100 ? Long.MAX_VALUE : left * 100;
    }
}
