package jvisor.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import jvisor.images.Progress;
import jvisor.machine.Machine;
import jvisor.machine.Snapshot;

/**
 * Runs one machine in the foreground on the console, for {@code run} and {@code restore}:
 * Ctrl-A S pauses it, saves it to a snapshot file and ends the run with status 0 (a failed save
 * says why and lets the guest go on), and {@code --stats} reports speed at the end.
 */
final class Foreground {
    private final Console console;
    private final Path saveTo;
    private final boolean stats;

    Foreground(Console console, Path saveTo, boolean stats) {
        this.console = console;
        this.saveTo = saveTo;
        this.stats = stats;
    }

    /** Runs {@code machine} until it powers off, reboots or is saved. */
    Machine.Outcome run(Machine machine) {
        console.onSave(() -> save(machine));
        console.attach(machine);
        // the management classes only for --stats: loading them took 15 ms of a cold restore
        ThreadMXBean cpu = stats ? ManagementFactory.getThreadMXBean() : null;
        long start = System.nanoTime();
        long cpuStart = stats ? cpu.getCurrentThreadCpuTime() : 0;
        Machine.Outcome outcome = machine.run();
        long nanos = System.nanoTime() - start;
        console.detach();
        if (stats) printStats(machine, nanos, cpu.getCurrentThreadCpuTime() - cpuStart);
        return outcome;
    }

    private void save(Machine machine) {
        long start = System.nanoTime();
        machine.pause();
        Path file = saveTo != null ? saveTo : defaultFile();
        try (SaveProgress progress = new SaveProgress()) {
            long size = Snapshot.save(machine, file, progress::update);
            progress.close();
            console.message(String.format("jvisor: saved to %s (%.1f MB in %.2f s); 'jvisor restore %s' continues it",
                    file, size / 1048576.0, (System.nanoTime() - start) / 1e9, file));
            machine.powerOff(0);
        } catch (IOException | RuntimeException e) {
            console.message("jvisor: could not save to " + file + ": " + e.getMessage() + "; the VM runs on");
            machine.resume();
        }
    }

    /** A timestamped file in the user's data directory ($XDG_DATA_HOME/jvisor/snapshots). */
    static Path defaultFile() {
        String xdg = System.getenv("XDG_DATA_HOME");
        Path data = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return data.resolve("jvisor").resolve("snapshots").resolve("vm-" + stamp + ".jvs");
    }

    /** A progress bar that appears only when the work takes over a second, and only on a terminal. */
    static final class SaveProgress implements AutoCloseable {
        private final long start = System.nanoTime();
        private Progress bar;

        void update(long done, long total) {
            if (bar == null && System.nanoTime() - start > 1_000_000_000L) {
                bar = new Progress(Progress.stderrIfTerminal(), "saving", total);
            }
            if (bar != null) bar.set(Math.min(done, total));
        }

        @Override
        public void close() {
            if (bar != null) bar.close();
            bar = null;
        }
    }

    /** The --stats lines: instructions retired by all harts, speed, and how much ran compiled. */
    private static void printStats(Machine machine, long nanos, long cpuNanos) {
        long insns = 0, boot = machine.hart(0).instret(), runs = 0, compiled = 0;
        for (int i = 0; i < machine.hartCount(); i++) {
            jvisor.cpu.Hart h = machine.hart(i);
            insns += h.instret();
            runs += h.regionRuns();
            compiled += h.regionRetired();
        }
        System.err.printf("jvisor: %d instructions in %.3f s: %.1f MIPS (boot hart: %d instructions, %.3f s of"
                + " thread CPU, %.1f MIPS per CPU second)%n", insns, nanos / 1e9, insns * 1e3 / nanos, boot,
                cpuNanos / 1e9, boot * 1e3 / cpuNanos);
        if (runs > 0) {
            System.err.printf("jvisor: %.1f%% of instructions in %d compiled-region runs (%.1f per run), %d regions"
                    + " compiled, %d taken from the shared cache%n", 100.0 * compiled / insns, runs,
                    (double) compiled / runs, machine.jit().compiled(), machine.jit().shared());
        }
    }
}
