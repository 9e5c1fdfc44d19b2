package jvisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jvisor.images.CachedImage;
import jvisor.images.ImageCache;
import jvisor.images.Images;
import jvisor.machine.Boot;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole system: Debian's riscv64 kernel and busybox, obtained the way {@code jvisor run
 * debian} obtains them (downloaded, verified and cached in the user's cache, or reused from it),
 * boot to a shell that runs commands and powers off cleanly, once through jvisor's built-in SBI
 * and once through Debian's OpenSBI. Select with {@code -Dgroups=system}, skip with
 * {@code -DexcludedGroups=system}.
 */
@Tag("system")
class SystemBootTest {
    private static final long BOOT_DEADLINE_SECONDS = 420;
    private static final long COMMAND_DEADLINE_SECONDS = 180;
    private static CachedImage image;

    @BeforeAll
    static void obtainImage() throws IOException {
        image = Images.forUser(null, null, System.getenv()).obtain("debian");
    }

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void debianBootsToAShellWithTheBuiltinSbi() throws Exception {
        bootAndCheck(Boot.Bios.BUILTIN, image, true);
    }

    /**
     * Through OpenSBI's fw_dynamic.bin in M-mode. The image comes from the cache with the mirror
     * unreachable, as on a machine gone offline since its first run.
     */
    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void cachedDebianBootsOfflineThroughOpenSbi() throws Exception {
        String dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = "http://127.0.0.1:" + s.getLocalPort() + "/debian";
        }
        ByteArrayOutputStream notices = new ByteArrayOutputStream();
        CachedImage offline = new Images(new ImageCache(image.dir().getParent().getParent()), dead,
                new PrintStream(notices, true, StandardCharsets.UTF_8), null, List.of()).obtain("debian");
        assertEquals(image.dir(), offline.dir());
        String notice = notices.toString(StandardCharsets.UTF_8);
        assertTrue(notice.startsWith("jvisor: cannot reach the mirror " + dead), notice);
        assertNotNull(offline.firmware(), "the image carries OpenSBI");
        bootAndCheck(Boot.Bios.FILE, offline, false);
    }

    private static void bootAndCheck(Boot.Bios bios, CachedImage img, boolean loadModule) throws Exception {
        byte[] firmware = bios == Boot.Bios.FILE ? Files.readAllBytes(img.firmware()) : null;
        Boot boot = new Boot(bios, firmware, "fw_dynamic.bin", Files.readAllBytes(img.kernel()), "Image",
                Files.readAllBytes(img.initrd()), img.cmdline());
        ConsoleBuffer console = new ConsoleBuffer();
        try (Machine machine = new Machine(new MachineConfig(512L << 20, 1), console)) {
            machine.load(boot);
            Machine.Outcome[] outcome = {null};
            Thread runner = Thread.ofPlatform().name("system-boot").start(() -> outcome[0] = machine.run());

            console.await("root@jvisor:/# ", 0, BOOT_DEADLINE_SECONDS);
            String release = run(machine, console, "uname -r");
            assertEquals(img.property("kernel.release"), release.strip());

            String cpuinfo = run(machine, console, "cat /proc/cpuinfo");
            assertTrue(cpuinfo.contains("processor\t: 0"), cpuinfo);
            assertTrue(cpuinfo.matches("(?s).*isa\\s*: rv64imafdc.*"), cpuinfo);

            String md5 = run(machine, console, "seq 1 1000 | md5sum");
            assertEquals(md5OfSeq(1000) + "  -", md5.strip());

            if (loadModule) { // modules.dep from the image builder, read by busybox modprobe
                String mods = run(machine, console, "modprobe 9p; cut -d' ' -f1 /proc/modules");
                assertEquals(List.of("9p", "9pnet", "netfs"), mods.lines().map(String::strip).sorted().toList());
            }

            type(machine, "poweroff -f\n");
            runner.join(TimeUnit.SECONDS.toMillis(COMMAND_DEADLINE_SECONDS));
            assertFalse(runner.isAlive(), "the machine powers off");
            assertEquals(new Machine.Outcome(0, false), outcome[0]);
        } finally {
            String log = console.text();
            for (String bad : List.of("WARNING:", "BUG:", "Oops", "Kernel panic")) {
                assertFalse(log.contains(bad), "kernel log has " + bad + ":\n" + log);
            }
        }
    }

    /**
     * Types {@code command} and returns its output: what the console shows between the echoed
     * command line and an end marker that only the shell's arithmetic can produce.
     */
    private static String run(Machine machine, ConsoleBuffer console, String command) throws Exception {
        int from = console.length();
        type(machine, command + "; echo @@$((6*7))@@\n");
        int end = console.await("@@42@@", from, COMMAND_DEADLINE_SECONDS);
        String text = console.text().substring(from, end).replace("\r", "");
        // the output starts after the echo of the typed line (which line editing may redraw)
        int echo = text.lastIndexOf("$((6*7))@@");
        int newline = echo < 0 ? -1 : text.indexOf('\n', echo);
        String out = newline < 0 ? "" : text.substring(newline + 1);
        return out.replaceAll("(?m)^\\[ *\\d+\\.\\d+\\] .*\n", ""); // kernel messages are not the command's
    }

    private static void type(Machine machine, String keys) {
        for (byte b : keys.getBytes(StandardCharsets.US_ASCII)) machine.typed(b);
    }

    private static String md5OfSeq(int n) throws NoSuchAlgorithmException {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= n; i++) b.append(i).append('\n');
        byte[] text = b.toString().getBytes(StandardCharsets.US_ASCII);
        return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(text));
    }

    /** The guest's console output, readable while the machine writes it. */
    private static final class ConsoleBuffer extends ByteArrayOutputStream {
        synchronized String text() { return toString(StandardCharsets.ISO_8859_1); }

        synchronized int length() { return count; }

        /** Waits until {@code marker} appears at or after {@code from}; returns where it starts. */
        int await(String marker, int from, long seconds) throws InterruptedException, TimeoutException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                int at = text().indexOf(marker, from);
                if (at >= 0) return at;
                Thread.sleep(100);
            }
            String t = text();
            throw new TimeoutException("no '" + marker + "' on the console after " + seconds + " s; its end:\n"
                    + t.substring(Math.max(0, t.length() - 3000)));
        }
    }
}
