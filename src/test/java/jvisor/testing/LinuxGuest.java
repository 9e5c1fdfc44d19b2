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
import java.util.Map;
import jvisor.devices.virtio.VirtioDevice;
import jvisor.images.ImageCache;
import jvisor.images.Images;
import jvisor.machine.Boot;
import jvisor.machine.DeviceSpec;
import jvisor.machine.Devices;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;
import jvisor.machine.Snapshot;

/**
 * Boots Debian's riscv64 kernel with the test guest's initramfs (the {@code testguest} image,
 * jvisor.images.TestGuestBuild) in process, and drives its busybox shell over the serial console:
 * {@link #sh} types a command and waits for its exit status. Virtio devices given to {@link #boot}
 * are attached to the machine and to every machine after a guest reboot, and closed with the guest.
 *
 * <p>The guest is the image cache's ({@code ~/.cache/jvisor/images/testguest/KEY}), built there
 * from Debian's mirror on first use and again when the mirror has a new kernel (the first test of
 * a run checks; offline, the cached one serves). {@code -Djvisor.testguest=DIR} or
 * {@code $JVISOR_TESTGUEST} names a directory holding one instead. Tests are skipped when there is
 * no guest.
 */
public final class LinuxGuest implements AutoCloseable {
    public static final String READY = "jvisor-test-ready";
    private static final AtomicInteger MARKERS = new AtomicInteger();

    private final Console console = new Console();
    private final List<VirtioDevice> devices;
    private final Thread thread;
    /** A guest restored in a new process ({@link #restoreInProcess} is the other way): its console is the pipes. */
    private volatile Process process;
    private volatile Machine machine;
    private volatile Machine.Outcome outcome;
    private volatile Throwable failure;
    private int bootSearchFrom; // console offset after the last boot's ready line

    /** The directory holding vmlinux, initrd.gz, u-boot.bin and qemu/. */
    public static Path dir() {
        String d = givenDir();
        return d != null ? Path.of(d) : Cached.DIR;
    }

    /** The directory named by -Djvisor.testguest or $JVISOR_TESTGUEST, or null: then the cache's (never touched otherwise). */
    private static String givenDir() {
        return System.getProperty("jvisor.testguest", System.getenv("JVISOR_TESTGUEST"));
    }

    /** Skips the calling test unless there is a test guest. */
    public static void assumeAvailable() {
        Path dir = dir();
        String why = givenDir() == null && Cached.PROBLEM != null ? ": " + Cached.PROBLEM
                : " (jvisor images pull testguest builds one)";
        assumeTrue(Files.isRegularFile(dir.resolve("vmlinux")) && Files.isRegularFile(dir.resolve("initrd.gz")),
                "no Linux test guest in " + dir + why);
    }

    /** The image cache's test guest, obtained once per JVM; the cache's lock keeps concurrent JVMs from building it twice. */
    private static final class Cached {
        static final Path DIR;
        static final String PROBLEM;

        static {
            Path dir;
            String problem = null;
            try {
                dir = Images.forUser(null, null, System.getenv()).obtain("testguest").dir();
            } catch (IOException | RuntimeException e) {
                dir = ImageCache.defaultRoot(System.getenv()).resolve("testguest");
                problem = "could not build it: " + e.getMessage();
            }
            DIR = dir;
            PROBLEM = problem;
        }
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
        LinuxGuest g = new LinuxGuest(new MachineConfig(memory, cpus), boot(modules), devices, null, beforeRun);
        g.awaitBoot(timeout);
        return g;
    }

    /**
     * Boots {@code boot} as it is (a boot loader that finds the test guest on a disk, say) with the
     * devices attached; returns once the test guest's shell is ready.
     */
    public static LinuxGuest boot(MachineConfig config, Boot boot, List<VirtioDevice> devices, Duration timeout) {
        LinuxGuest g = new LinuxGuest(config, boot, devices, null, null);
        g.awaitBoot(timeout);
        return g;
    }

    private static Boot boot(List<String> modules) throws IOException {
        List<String> mods = new ArrayList<>();
        mods.add("virtio_mmio");
        mods.addAll(modules);
        String cmdline = "console=ttyS0 quiet jvisor.modules=" + String.join(",", mods);
        return new Boot(Boot.Bios.BUILTIN, null, null, Files.readAllBytes(dir().resolve("vmlinux")), "vmlinux",
                Files.readAllBytes(dir().resolve("initrd.gz")), cmdline);
    }

    /**
     * Boots on {@code cpus} harts with devices opened from their specs, as {@code jvisor run}
     * opens them, so that the machine can be saved ({@link #save}).
     */
    public static LinuxGuest bootSaveable(long memory, int cpus, List<String> modules, List<DeviceSpec> specs,
                                          Duration timeout) throws IOException {
        LinuxGuest g = startSaveable(memory, cpus, modules, specs);
        g.awaitBoot(timeout);
        return g;
    }

    /** Like {@link #bootSaveable} but returns at once; {@link #awaitBoot} waits for the shell. */
    public static LinuxGuest startSaveable(long memory, int cpus, List<String> modules, List<DeviceSpec> specs)
            throws IOException {
        assumeAvailable();
        List<VirtioDevice> devices = Devices.open(specs);
        return new LinuxGuest(new MachineConfig(memory, cpus), boot(modules), devices, specs, null);
    }

    /** Pauses the running machine and resumes it; false if no machine runs now. */
    public boolean pauseAndResume() {
        Machine m = machine;
        if (m == null) return false;
        m.pause();
        m.resume();
        return true;
    }

    /** Pauses the guest, saves it to {@code file} and powers this machine off; returns the pause time in ns. */
    public long save(Path file) throws IOException {
        Machine m = machine;
        if (m == null) throw new AssertionError("the guest is not running");
        long start = System.nanoTime();
        m.pause();
        long paused = System.nanoTime() - start;
        Snapshot.save(m, file, null);
        m.powerOff(0);
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return paused;
    }

    /** Restores {@code file} in this JVM and lets the guest run on. */
    public static LinuxGuest restoreInProcess(Path file) {
        return new LinuxGuest(file);
    }

    /** Restores {@code file} with {@code jvisor restore} in a new JVM, its console on pipes. */
    public static LinuxGuest restoreProcess(Path file, String... options) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "jvisor.cli.Main",
                "restore"));
        cmd.addAll(List.of(options));
        cmd.add(file.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        return new LinuxGuest(p);
    }

    private LinuxGuest(Path snapshot) {
        this.devices = List.of();
        this.thread = Thread.ofPlatform().name("linux-guest").daemon().start(() -> {
            try (Machine m = Snapshot.restore(snapshot, console, Map.of())) {
                m.resume();
                machine = m;
                outcome = m.run();
                machine = null;
            } catch (Throwable t) {
                failure = t;
            } finally {
                synchronized (console) { console.notifyAll(); }
            }
        });
    }

    private LinuxGuest(Process p) {
        this.devices = List.of();
        this.process = p;
        this.thread = Thread.ofPlatform().name("linux-guest-process").daemon().start(() -> {
            try (var in = p.getInputStream()) {
                in.transferTo(console);
                outcome = new Machine.Outcome(p.waitFor(), false);
            } catch (Throwable t) {
                failure = t;
            } finally {
                synchronized (console) { console.notifyAll(); }
            }
        });
    }

    private LinuxGuest(MachineConfig config, Boot boot, List<VirtioDevice> devices, List<DeviceSpec> specs,
            java.util.function.Consumer<Machine> beforeRun) {
        this.devices = List.copyOf(devices);
        this.thread = Thread.ofPlatform().name("linux-guest").daemon().start(() -> {
            try {
                while (true) {
                    try (Machine m = new Machine(config, console)) {
                        for (int i = 0; i < this.devices.size(); i++) {
                            if (specs == null) m.attach(this.devices.get(i));
                            else m.attach(specs.get(i), this.devices.get(i));
                        }
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
        // ready text before its newline, so an end-of-text match could later stop matching. A
        // nested guest's console passes two terminals that each add a \r (KvmGuestTest).
        Pattern ready = Pattern.compile("^" + READY + "\\r*\\n", Pattern.MULTILINE);
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
        Matcher begin = console.await(Pattern.compile("@@BEGIN" + n + "\r*\n"), 1, timeout, this, from);
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

    /** Waits for {@code regex} to appear in the console output from now on. */
    public String await(String regex, Duration timeout) {
        return console.await(Pattern.compile(regex), 1, timeout, this, 0).group();
    }

    /** Types text on the serial console. */
    public void type(String text) {
        Process p = process;
        if (p != null) {
            try {
                p.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
                p.getOutputStream().flush();
            } catch (IOException e) {
                throw new AssertionError("the restored process's console is gone", e);
            }
            return;
        }
        Machine m = machine;
        if (m == null) throw new AssertionError("the guest is not running");
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) m.typed(b);
    }

    /** Waits up to {@code timeout} for the guest to power off (not reboot) and returns how it ended. */
    public Machine.Outcome awaitPowerOff(Duration timeout) throws InterruptedException {
        thread.join(timeout);
        if (failure != null) throw new AssertionError("the machine failed", failure);
        if (outcome == null) throw new AssertionError("the guest did not power off in " + timeout + ":\n" + console());
        return outcome;
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
            Process p = process;
            if (p != null && p.isAlive()) {
                p.getOutputStream().write(1); // Ctrl-A X: quit
                p.getOutputStream().write('x');
                p.getOutputStream().flush();
                if (!p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
            }
            thread.join(30_000);
        } catch (IOException e) {
            if (process != null) process.destroyForcibly();
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
                if (left <= 0) {
                    throw new AssertionError("timed out after " + timeout + " waiting for /" + p + "/:\n" + tail() + harts(g));
                }
                try {
                    wait(Math.min(left / 1_000_000 + 1, 200));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }

        /** The interrupt state of each hart of the machine running now, if any. */
        private static String harts(LinuxGuest g) {
            Machine m = g.machine;
            if (m == null) return "";
            StringBuilder sb = new StringBuilder("\n");
            for (int i = 0; i < m.hartCount(); i++) sb.append('\n').append(m.hart(i).interruptState());
            return sb.toString();
        }

        private String tail() {
            String t = text(0, bytes.size());
            return t.substring(Math.max(0, t.length() - 3000));
        }
    }
}
