package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPOutputStream;
import jvisor.images.CachedImage;
import jvisor.images.Images;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Whole-system SMP test (issue 5): Debian's kernel on several harts, with the built-in SBI or
 * with Debian's OpenSBI (the image's fw_dynamic.bin, whose remote fences and IPIs run in M-mode).
 * The kernel and busybox come from the "debian" image of {@link Images} (Debian's mirror, cached);
 * an initramfs layer made here, appended to the image's, replaces /init with a script that lists
 * the harts and runs smpstress ({@code src/test/resources/jvisor/smp/smpstress.c}, built with
 * Debian's cross gcc) several times, then powers off. Every run's totals must be exact, and the
 * kernel must not complain (no WARNING, RCU stall, soft lockup, BUG or Oops).
 *
 * <p>Skipped when the cross compiler is missing, or when neither the mirror nor a cached image is
 * at hand.
 */
class SmpLinuxTest {
    private static final Path WORK = Path.of("target", "smp").toAbsolutePath();
    private static final Pattern COMPLAINT =
            Pattern.compile("WARNING:|rcu_.*(stall|Stall)|soft lockup|hard LOCKUP|BUG:|Oops|Kernel panic");

    private static byte[] kernel, initrd, firmware, stress;

    @BeforeAll
    static void prepare() throws Exception {
        assumeTrue(onPath("riscv64-linux-gnu-gcc"), "riscv64-linux-gnu-gcc missing (gcc-riscv64-linux-gnu)");
        Files.createDirectories(WORK);
        Path source = WORK.resolve("smpstress.c"), binary = WORK.resolve("smpstress");
        try (var in = SmpLinuxTest.class.getResourceAsStream("/jvisor/smp/smpstress.c")) {
            Files.write(source, in.readAllBytes());
        }
        Process cc = new ProcessBuilder("riscv64-linux-gnu-gcc", "-static", "-O2", "-pthread", "-o",
                binary.toString(), source.toString()).redirectErrorStream(true).start();
        String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(120, TimeUnit.SECONDS) && cc.exitValue() == 0, "cannot build smpstress:\n" + log);
        stress = Files.readAllBytes(binary);

        CachedImage image;
        try {
            image = Images.forUser(null, null, System.getenv()).obtain("debian");
        } catch (IOException e) {
            assumeTrue(false, "no Debian image: " + e.getMessage());
            return;
        }
        kernel = Files.readAllBytes(image.kernel());
        initrd = Files.readAllBytes(image.initrd());
        if (image.firmware() != null) firmware = Files.readAllBytes(image.firmware());
    }

    /**
     * With the built-in SBI the kernel starts the other harts through HSM; with OpenSBI
     * (fw_dynamic) every hart starts in the firmware, which parks the secondaries until the kernel
     * asks for them and wakes them with a CLINT software interrupt; IPIs reach S-mode through
     * OpenSBI's {@code csrs mip, SSIP}, which once latched the PLIC's SEIP line for good (see
     * InterruptTest). The kernel's silence is required with 4 harts (issue 5's acceptance); with
     * 8 on a 2-core host, a host busy with other work can starve a hart thread long enough for an
     * RCU stall warning (guest time is the host's wall clock), so there only the totals count.
     */
    @Test
    void stressTotalsAreExactThroughOpenSbi() throws Exception {
        stressTotalsAreExact(4, "opensbi", 2, 10000, true);
    }

    @ParameterizedTest(name = "{0} harts, {1}, {2} runs")
    @CsvSource({"4, builtin, 10, 20000, true", "8, builtin, 2, 10000, false"})
    void stressTotalsAreExact(int cpus, String bios, int runs, int iterations, boolean quietKernel) throws Exception {
        boolean opensbi = bios.equals("opensbi");
        assumeTrue(!opensbi || firmware != null, "the image has no OpenSBI");
        String init = """
                #!/bin/busybox sh
                B=/bin/busybox
                $B mount -t proc proc /proc
                $B mount -t sysfs sysfs /sys
                echo "SMP-CPUS $($B grep -c ^processor /proc/cpuinfo) online $($B cat /sys/devices/system/cpu/online)"
                $B grep ^hart /proc/cpuinfo
                i=0
                while [ $i -lt @RUNS@ ]; do /smpstress @THREADS@ @ITERATIONS@; i=$((i+1)); done
                # poweroff -f leaves what the serial driver still queues unsent; busybox stty sets
                # with TCSADRAIN, so setting the console's own mode waits until it has gone out
                $B stty -F /dev/console "$($B stty -F /dev/console -g)"
                $B poweroff -f
                """.replace("@RUNS@", "" + runs).replace("@THREADS@", "" + cpus).replace("@ITERATIONS@", "" + iterations);
        byte[] layer = initramfsLayer(init, stress);
        byte[] rd = new byte[initrd.length + layer.length];
        System.arraycopy(initrd, 0, rd, 0, initrd.length);
        System.arraycopy(layer, 0, rd, initrd.length, layer.length); // the kernel unpacks both, in order

        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Boot boot = opensbi
                ? new Boot(Boot.Bios.FILE, firmware, "fw_dynamic.bin", kernel, "debian Image", rd, "console=ttyS0")
                : new Boot(Boot.Bios.BUILTIN, null, null, kernel, "debian Image", rd, "console=ttyS0");
        Machine.Outcome outcome = boot(cpus, boot, console, 15);
        String out = console.toString(StandardCharsets.UTF_8);
        Files.writeString(WORK.resolve("console-" + cpus + "-" + bios + ".log"), out); // to look at after a failure
        String tail = "\n--- console ---\n" + out.substring(Math.max(0, out.length() - 4000));
        if (outcome == null) fail("the guest did not power off in time" + tail);
        assertEquals(0, outcome.status(), tail);

        Matcher cpusLine = Pattern.compile("SMP-CPUS (\\d+) online (\\S+)").matcher(out);
        assertTrue(cpusLine.find(), tail);
        assertEquals(cpus, Integer.parseInt(cpusLine.group(1)), "processors in /proc/cpuinfo" + tail);
        assertEquals("0-" + (cpus - 1), cpusLine.group(2), "online CPUs" + tail);
        for (int h = 0; h < cpus; h++) {
            assertTrue(Pattern.compile("(?m)^hart\\s+: " + h + "\\s*$").matcher(out).find(), "hart " + h + tail);
        }
        long passes = out.lines().filter(l -> l.matches("smpstress: .*PASS\\s*")).count();
        assertEquals(runs, passes, "smpstress runs with exact totals" + tail);
        Matcher complaint = COMPLAINT.matcher(out);
        if (quietKernel && complaint.find()) fail("the kernel complained: " + complaint.group() + tail);
    }

    /** Boots on {@code cpus} harts; returns null if the guest ran past {@code minutes}. */
    private static Machine.Outcome boot(int cpus, Boot boot, ByteArrayOutputStream console, int minutes)
            throws Exception {
        try (Machine m = new Machine(new MachineConfig(512L << 20, cpus), console)) {
            m.load(boot);
            Machine.Outcome[] result = new Machine.Outcome[1];
            Thread t = Thread.ofPlatform().name("smp-guest").start(() -> result[0] = m.run());
            t.join(TimeUnit.MINUTES.toMillis(minutes));
            if (t.isAlive()) {
                m.powerOff(-1);
                t.join(10_000);
                return null;
            }
            return result[0];
        }
    }

    /** A gzip-compressed cpio (newc) archive holding /init and /smpstress. */
    private static byte[] initramfsLayer(String init, byte[] stressBinary) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CpioArchiveOutputStream cpio = new CpioArchiveOutputStream(new GZIPOutputStream(bytes),
                CpioConstants.FORMAT_NEW)) {
            for (var f : Map.of("init", init.getBytes(StandardCharsets.UTF_8), "smpstress", stressBinary).entrySet()) {
                byte[] data = f.getValue();
                CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, f.getKey(), data.length);
                e.setMode(0100755);
                e.setNumberOfLinks(1);
                cpio.putArchiveEntry(e);
                cpio.write(data);
                cpio.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }
}
