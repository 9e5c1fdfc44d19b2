package jvisor.cpu;

/** The machine's timebase (DESIGN §2: 10 MHz): mtime and the time CSR read it. */
public interface Clock {
    long TICKS_PER_SECOND = 10_000_000L;

    /** Current time in ticks. */
    long now();

    /** Host nanoseconds until {@code ticks} is reached, for parking an idle hart; 0 if already past. */
    long nanosUntil(long ticks);

    /** Stops time (a paused machine): {@link #now} holds still until {@link #thaw}. */
    default void freeze() { }

    default void thaw() { }

    /** Sets the current time (a restored machine continues where it was saved), frozen. */
    default void restore(long ticks) { throw new UnsupportedOperationException("this clock cannot be set"); }
}
