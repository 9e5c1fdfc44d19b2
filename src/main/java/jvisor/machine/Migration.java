package jvisor.machine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.BitSet;
import java.util.function.Consumer;
import jvisor.memory.GuestRam;
import jvisor.state.StateWriter;

/**
 * The sending side of a live migration by iterative pre-copy (Clark et al., NSDI 2005): the
 * machine state stream of a snapshot, with RAM sent in rounds while the guest runs. Round one
 * carries every page that is not all zero; each later round the pages written meanwhile, as the
 * dirty log ({@link Machine#dirtyPages}) saw them. Once what is left would go within the
 * downtime target at the rate the link has shown, {@link #finish} stops the guest and sends the
 * last pages, the disks' identities, the CPUs and the devices. A guest that writes faster than
 * the link carries is slowed step by step (auto-converge: stopped for a growing share of every
 * 10 ms, stretched to the share of the time it really ran when the host wakes us late) until the
 * rounds shrink.
 *
 * <p>Each pre-copy round ends with a "sync" section, which the destination answers with one
 * byte once it has applied everything before it: a round's time is then the time its pages took
 * to land, not to fill the socket's buffers (on loopback they hold megabytes, tens of ms of a
 * destination's work that a final stop would otherwise wait for as downtime), and nothing is
 * in flight when the guest stops.
 *
 * <p>Transport-free: the bytes go to a channel, which the host connects to the destination.
 */
public final class Migration {
    /** Where a migration is, after each round: what the host's events report. */
    public record Progress(String phase, int round, long pagesSent, long bytesSent, long pagesLeft,
                           double dirtyPagesPerSecond, double bytesPerSecond, double expectedDowntimeMs,
                           int throttlePercent) {}

    private static final long BEAT_NANOS = 10_000_000;
    /** The longest one stop of auto-converge holds the guest (its clock runs on meanwhile). */
    private static final long MAX_STOP_NANOS = 500_000_000;
    /** Rounds after which the guest goes to its final stop whatever is left. */
    private static final int MAX_ROUNDS = 60;

    private final Machine machine;
    private final ByteChannel channel;
    private final StateStreamWriter out;
    private final long maxDowntimeNanos;
    private final Consumer<Progress> listener;
    private MachineState.Config config;
    /** Pages written since they were last sent, not yet sent again. */
    private BitSet left;
    private int round;
    private long pagesSent, bytesSent, sendNanos;
    private double dirtyRate;
    private volatile int throttle;
    private Thread throttler;

    public Migration(Machine machine, ByteChannel channel, Duration maxDowntime, Consumer<Progress> listener)
            throws IOException {
        this.machine = machine;
        this.channel = channel;
        this.out = new StateStreamWriter(channel, false, null, true);
        this.maxDowntimeNanos = maxDowntime.toNanos();
        this.listener = listener;
    }

    /**
     * Sends the configuration and RAM in rounds while the guest runs; returns once the rest fits
     * the downtime target (or after {@value #MAX_ROUNDS} rounds). On an exception the guest runs
     * on, unslowed and unlogged.
     */
    public void precopy() throws IOException {
        boolean done = false;
        try {
            config = MachineState.writeHead(machine, out);
            machine.dirtyPages(); // starts the log: every write from here on is seen
            BitSet pages = machine.ram().pagesInUse();
            int slowRounds = 0;
            while (true) {
                round++;
                long start = System.nanoTime();
                send(pages, true);
                long took = Math.max(1, System.nanoTime() - start);
                left = machine.dirtyPages();
                dirtyRate = left.cardinality() * 1e9 / took;
                long expected = expectedDowntimeNanos();
                boolean converged = expected <= maxDowntimeNanos;
                // Auto-converge: the guest wrote more than half of what the link carried, twice.
                slowRounds = left.cardinality() * 2 > pagesOf(pages) ? slowRounds + 1 : 0;
                if (!converged && slowRounds >= 2) slowDown();
                report("pre-copy");
                if (converged || round >= MAX_ROUNDS) break;
                pages = left;
            }
            done = true;
        } finally {
            stopThrottle();
            if (!done) machine.stopDirtyLog();
        }
    }

    /**
     * Pauses the guest and sends everything else; on return the stream is complete and the guest
     * paused (the caller resumes it if the destination does not take over). Throws with the
     * guest paused.
     */
    public void finish() throws IOException {
        if (config == null) throw new IllegalStateException("finish before precopy");
        try {
            machine.pause();
            BitSet pages = machine.dirtyPages();
            pages.or(left);
            round++;
            send(pages, false);
            left = new BitSet();
            machine.flushDevices();
            machine.handOver();
            MachineState.writeOverlays(machine, out, config);
            MachineState.writeDisks(config, out);
            machine.saveState(out);
            out.section("end", 1, new StateWriter());
        } finally {
            machine.stopDirtyLog();
        }
        report("stopped");
    }

    /** Sends {@code pages}; with {@code sync}, waits until the destination has applied them. */
    private void send(BitSet pages, boolean sync) throws IOException {
        long start = System.nanoTime();
        long bytes = out.ram(machine.ram(), 1, pages);
        if (round == 1) machine.writeCode(out); // once the pages are there, before they are needed
        if (sync) {
            out.section(SYNC, 1, new StateWriter());
            ByteBuffer ack = ByteBuffer.allocate(1);
            while (ack.hasRemaining()) {
                if (channel.read(ack) < 0) throw new IOException("the destination closed the data connection");
            }
        }
        sendNanos += System.nanoTime() - start;
        bytesSent += bytes;
        pagesSent += bytes / GuestRam.PAGE_SIZE;
    }

    private static long pagesOf(BitSet pages) { return Math.max(1, pages.cardinality()); }

    /** Bytes per second the link has carried so far. */
    private double bandwidth() { return sendNanos == 0 ? 0 : bytesSent * 1e9 / sendNanos; }

    private long expectedDowntimeNanos() {
        double bw = bandwidth();
        long bytes = (long) left.cardinality() * GuestRam.PAGE_SIZE;
        return bw <= 0 ? Long.MAX_VALUE : (long) (bytes / bw * 1e9);
    }

    private void report(String phase) {
        long expected = phase.equals("stopped") ? 0 : expectedDowntimeNanos();
        listener.accept(new Progress(phase, round, pagesSent, bytesSent, left.cardinality(), dirtyRate, bandwidth(),
                expected == Long.MAX_VALUE ? -1 : expected / 1e6, throttle));
    }

    /** Stops the guest for a larger share of each beat: 20%, then 10 points more each time, up to 99%. */
    private void slowDown() {
        throttle = throttle == 0 ? 20 : Math.min(99, throttle + 10);
        if (throttler == null) {
            throttler = Thread.ofPlatform().daemon().name("jvisor-migration-throttle").start(() -> {
                try {
                    long ran = 0; // how long the guest really ran last beat: a busy host wakes us late
                    while (!Thread.currentThread().isInterrupted()) {
                        int p = throttle;
                        long run = BEAT_NANOS * (100 - p) / 100;
                        long stop = Math.min(MAX_STOP_NANOS, Math.max(BEAT_NANOS * p / 100, ran * p / (100 - p)));
                        long start = System.nanoTime();
                        machine.throttle(stop, run);
                        ran = Math.max(run, System.nanoTime() - start - stop);
                    }
                } catch (InterruptedException e) {
                    // the migration is over
                }
            });
        }
    }

    private void stopThrottle() {
        Thread t = throttler;
        if (t == null) return;
        t.interrupt();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throttler = null;
    }

    /**
     * The receiving side: reads a migration stream from {@code in} and returns the machine,
     * paused, its JIT {@code jit}; call {@link Machine#continueClock} just before resuming it.
     * {@code moved} maps the source's disk and share paths to where this host sees them.
     */
    public static Machine receive(ByteChannel in, String source, java.io.OutputStream console,
                                  java.util.Map<java.nio.file.Path, java.nio.file.Path> moved, Machine.JitMode jit)
            throws IOException {
        ByteBuffer ack = ByteBuffer.allocate(1);
        return MachineState.read(new StateStreamReader(in, source, null), console, moved, () -> {
            ack.clear();
            while (ack.hasRemaining()) in.write(ack);
        }, jit);
    }

    /** The section that ends a pre-copy round: the destination answers it ({@link MachineState.Sync}). */
    static final String SYNC = "sync";

}
