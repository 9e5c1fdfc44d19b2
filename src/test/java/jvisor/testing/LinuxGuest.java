package jvisor.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jvisor.devices.virtio.VirtioDevice;
import jvisor.machine.Boot;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;

/**
 * Boots Debian's riscv64 kernel with the test initramfs of {@code tools/testguest/build.sh} in
 * process, and drives its busybox shell over the serial console: {@link #sh} types a command and
 * waits for its exit status. Virtio devices given to {@link #boot} are attached to the machine and
 * to every machine after a guest reboot, and closed with the guest.
 *
 * <p>The guest lives in {@code $JVISOR_TESTGUEST} (or {@code -Djvisor.testguest=DIR}, default
 * {@code ~/.cache/jvisor/testguest}); tests are skipped when it has not been built.
 */
public final class LinuxGuest implements AutoCloseable {
    public static final String READY = "jvisor-test-ready";
    private static final AtomicInteger MARKERS = new AtomicInteger();

    private final Console console = new Console();
    private final List<VirtioDevice> devices;
    private final Thread thread;
    private volatile Machine machine;
    private volatile Machine.Outcome outcome;
    private volatile Throwable failure;
    private int bootSearchFrom; // console offset after the last boot's ready line

    /** The directory holding vmlinux and initrd.gz. */
    public static Path dir() {
        String d = System.getProperty("jvisor.testguest", System.getenv("JVISOR_TESTGUEST"));
        return d != null ? Path.of(d) : Path.of(System.getProperty("user.home"), ".cache", "jvisor", "testguest");
    }

    /** Skips the calling test unless the test guest was built. */
    public static void assumeAvailable() {
        assumeTrue(Files.isRegularFile(dir().resolve("vmlinux")) && Files.isRegularFile(dir().resolve("initrd.gz")),
                "no Linux test guest in " + dir() + " (run tools/testguest/build.sh)");
    }

    /**
     * Boots with {@code memory} bytes of RAM, the given modules loaded by /init (modprobe names,
     * e.g. "virtio_blk"; virtio_mmio is always loaded) and the devices attached in order (slots
     * 0, 1, ...). Returns once the shell is ready.
     */
    public static LinuxGuest boot(long memory, List<String> modules, List<VirtioDevice> devices, Duration timeout)
            throws IOException {
        return boot(memory, 1, modules, devices, null, timeout);
    }

    /** As {@link #boot(long, List, List, Duration)} on {@code cpus} harts; {@code beforeRun} (may be null) sees each machine first. */
    public static LinuxGuest boot(long memory, int cpus, List<String> modules, List<VirtioDevice> devices,
            java.util.function.Consumer<Machine> beforeRun, Duration timeout) throws IOException {
        assumeAvailable();
        List<String> mods = new ArrayList<>();
        mods.add("virtio_mmio");
        mods.addAll(modules);
        String cmdline = "console=ttyS0 quiet jvisor.modules=" + String.join(",", mods);
        Boot boot = new Boot(Boot.Bios.BUILTIN, null, null, Files.readAllBytes(dir().resolve("vmlinux")), "vmlinux",
                Files.readAllBytes(dir().resolve("initrd.gz")), cmdline);
        LinuxGuest g = new LinuxGuest(new MachineConfig(memory, cpus), boot, devices, beforeRun);
        g.awaitBoot(timeout);
        return g;
    }

    private LinuxGuest(MachineConfig config, Boot boot, List<VirtioDevice> devices,
            java.util.function.Consumer<Machine> beforeRun) {
        this.devices = List.copyOf(devices);
        this.thread = Thread.ofPlatform().name("linux-guest").daemon().start(() -> {
            try {
                while (true) {
                    try (Machine m = new Machine(config, console)) {
                        for (VirtioDevice d : this.devices) m.attach(d);
                        m.load(boot);
                        if (beforeRun != null) beforeRun.accept(m);
                        machine = m;
                        Machine.Outcome o = m.run();
                        machine = null;
                        if (!o.reboot()) {
                            outcome = o;
                            return;
                        }
                    }
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                synchronized (console) { console.notifyAll(); }
            }
        });
    }

    /** Waits for the (next) boot to reach the shell. */
    public void awaitBoot(Duration timeout) {
        // The whole line, newline included: the shell's echo of later typing may follow the
        // ready text before its newline, so an end-of-text match could later stop matching.
        Pattern ready = Pattern.compile("^" + READY + "\\r?\\n", Pattern.MULTILINE);
        bootSearchFrom = console.await(ready, 1, timeout, this, bootSearchFrom).end();
    }

    /** What a command printed and its exit status. */
    public record Result(int status, String output) {}

    /**
     * Types {@code command} into the shell and waits up to {@code timeout} for it to finish. The
     * command is followed by {@code ;}, so put background jobs in a subshell: {@code (cmd &)}.
     */
    public Result sh(String command, Duration timeout) {
        int n = MARKERS.incrementAndGet();
        int from = console.length();
        // The markers are split by quotes in what is typed, so only the echo's output matches.
        type("echo \"@@BE\"\"GIN" + n + "\"; " + command + "; echo \"@@EN\"\"D" + n + " $?\"\n");
        Matcher begin = console.await(Pattern.compile("@@BEGIN" + n + "\r?\n"), 1, timeout, this, from);
        Matcher end = console.await(Pattern.compile("@@END" + n + " (\\d+)"), 1, timeout, this, begin.end());
        String out = console.text(begin.end(), end.start()).replace("\r", "");
        return new Result(Integer.parseInt(end.group(1)), out);
    }

    /** Runs {@code command} and fails the test unless it exits with 0; returns its output. */
    public String ok(String command, Duration timeout) {
        Result r = sh(command, timeout);
        if (r.status != 0) throw new AssertionError("'" + command + "' exited with " + r.status + ":\n" + r.output);
        return r.output;
    }

    public String ok(String command) { return ok(command, Duration.ofMinutes(5)); }

    /** Types text on the serial console. */
    public void type(String text) {
        Machine m = machine;
        if (m == null) throw new AssertionError("the guest is not running");
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) m.typed(b);
    }

    /** Everything the guest printed so far. */
    public String console() { return console.text(0, console.length()); }

    /** Reboots the guest (reboot -f) and waits for the shell again; devices stay attached. */
    public void reboot(Duration timeout) {
        type("reboot -f\n");
        awaitBoot(timeout);
    }

    /** Powers off (if still running) and closes the devices. */
    @Override
    public void close() {
        try {
            Machine m = machine;
            if (m != null && outcome == null) m.powerOff(0);
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            for (VirtioDevice d : devices) d.close();
        }
    }

    /** The serial console: collects output and lets the test wait for patterns in it. */
    private static final class Console extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private String cache = "";

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
            if (b == '\n' || bytes.size() % 256 == 0) notifyAll();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
            notifyAll();
        }

        @Override
        public synchronized void flush() { notifyAll(); }

        synchronized int length() { return bytes.size(); }

        synchronized String text(int from, int to) {
            if (cache.length() != bytes.size()) cache = bytes.toString(StandardCharsets.ISO_8859_1);
            return cache.substring(from, to);
        }

        Matcher await(Pattern p, int occurrence, Duration timeout, LinuxGuest g) {
            return await(p, occurrence, timeout, g, 0);
        }

        synchronized Matcher await(Pattern p, int occurrence, Duration timeout, LinuxGuest g, int from) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Matcher m = p.matcher(text(from, bytes.size()));
                int found = 0;
                while (m.find()) {
                    if (++found == occurrence) {
                        Matcher shifted = p.matcher(text(0, bytes.size()));
                        if (shifted.find(from + m.start())) return shifted;
                    }
                }
                long left = deadline - System.nanoTime();
                if (g.failure != null) throw new AssertionError("the machine failed", g.failure);
                if (g.outcome != null) throw new AssertionError("the guest stopped (" + g.outcome + ") before /" + p + "/:\n" + tail());
                if (left <= 0) throw new AssertionError("timed out after " + timeout + " waiting for /" + p + "/:\n" + tail());
                try {
                    wait(Math.min(left / 1_000_000 + 1, 200));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }

        private String tail() {
            String t = text(0, bytes.size());
            return t.substring(Math.max(0, t.length() - 3000));
        }
    }
}
