package jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvisor run} given input it cannot boot: one line on stderr that names what is wrong and
 * how to fix it, and exit status 2, before any guest runs.
 */
class RunErrorsTest {
    @TempDir Path dir;

    /** What stderr got and the exit status. */
    private record Result(int status, String err) {}

    private static Result run(String... args) {
        String[] all = new String[args.length + 1];
        all[0] = "run";
        System.arraycopy(args, 0, all, 1, args.length);
        return jvisor(all);
    }

    private static Result jvisor(String... args) {
        PrintStream err = System.err;
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            return new Result(Main.execute(args), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(err);
        }
    }

    /** Asserts exit status 2 and a single error line containing every one of {@code parts}. */
    private static void rejected(Result r, String... parts) {
        assertEquals(2, r.status, r.err);
        String line = r.err.strip();
        assertEquals(1, line.lines().count(), "one line: " + r.err);
        assertTrue(line.startsWith("jvisor: "), line);
        for (String p : parts) assertTrue(line.contains(p), "'" + p + "' in: " + line);
    }

    /** A RISC-V Linux Image header (no code) that asks for {@code imageSize} bytes of RAM. */
    private Path image(String name, long imageSize, int fileSize) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(fileSize).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(8, 0x20_0000); // text_offset
        b.putLong(16, imageSize);
        b.put(48, "RISCV\0\0\0".getBytes(StandardCharsets.US_ASCII));
        b.put(56, "RSC\u0005".getBytes(StandardCharsets.US_ASCII));
        return Files.write(dir.resolve(name), b.array());
    }

    @Test
    void imageWithABadHeader() throws IOException {
        // An Image's second magic without its first: a damaged Image, not a raw binary to run.
        byte[] damaged = new byte[4096];
        System.arraycopy("RSC\u0005".getBytes(StandardCharsets.US_ASCII), 0, damaged, 56, 4);
        Path bad = Files.write(dir.resolve("garbage"), damaged);
        rejected(run("--kernel", bad.toString()), bad.toString(), "not a RISC-V Linux Image");
    }

    @Test
    void gdbOptions() throws IOException {
        Path k = image("Image", 1L << 20, 4096);
        rejected(run("--kernel", k.toString(), "--gdb-wait"), "--gdb-wait needs --gdb");
        rejected(run("--kernel", k.toString(), "--gdb", "tcp:localhost:http"), "--gdb tcp:localhost:http", "tcp:[HOST:]PORT");
        rejected(run("--kernel", k.toString(), "--gdb", "tcp::70000"), "port must be 0 to 65535");
    }

    @Test
    void consoleDevice() throws IOException {
        Path k = image("Image", 1L << 20, 4096);
        rejected(run("--kernel", k.toString(), "--console", "vga"), "--console vga", "serial or virtio");
    }

    @Test
    void kernelLargerThanRam() throws IOException {
        Path big = image("Image", 96L << 20, 4096);
        rejected(run("--kernel", big.toString(), "-m", "64M"), big.toString(), "needs", "--memory 64M is too small");
    }

    @Test
    void memoryBelowWhatTheKernelNeeds() throws IOException {
        Path k = image("Image", 30L << 20, 4096);
        rejected(run("--kernel", k.toString(), "-m", "16M"), "--memory 16M is too small");
    }

    @Test
    void initrdThatDoesNotFit() throws IOException {
        Path k = image("Image", 8L << 20, 4096);
        Path initrd = Files.write(dir.resolve("initrd"), new byte[40 << 20]);
        rejected(run("--kernel", k.toString(), "--initrd", initrd.toString(), "-m", "32M"),
                "initrd", "does not fit", "give more --memory");
    }

    @Test
    void unknownOptionValues() throws IOException {
        Path k = image("Image", 8L << 20, 4096);
        rejected(run("--kernel", k.toString(), "-m", "12Q"), "--memory", "12Q", "512M");
        rejected(run("--kernel", k.toString(), "--jit", "fast"), "--jit", "fast");
        rejected(run("--kernel", k.toString(), "--cpus", "99"), "--cpus", "99", "1 to 32");
        rejected(run("--kernel", k.toString(), "--bios", "nope"), "--bios", "nope");
        rejected(run("--kernel", k.toString(), "--cpu", "h=maybe"), "--cpu h=maybe", "h=on or h=off");
        rejected(run("--kernel", k.toString(), "--disk", dir.resolve("none.raw").toString()), "none.raw");
        rejected(run("--kernel", dir.resolve("missing").toString()), "missing", "no such readable file");
        Path disk = Files.write(dir.resolve("d.raw"), new byte[4096]);
        rejected(run("--kernel", k.toString(), "--disk", disk + ",cache=fast"), "--disk cache", "unsafe", "fast");
    }

    /** An unknown option points to the help of the command it was given to, however deep. */
    @Test
    void unknownOptionsPointToTheirCommandsHelp() {
        rejected(run("--bogus"), "'--bogus'", "see 'jvisor run --help'");
        rejected(jvisor("vm", "list", "--bogus"), "'--bogus'", "see 'jvisor vm list --help'");
        rejected(jvisor("images", "pull", "--bogus"), "see 'jvisor images pull --help'");
        rejected(jvisor("bogus"), "'bogus'", "see 'jvisor --help'");
    }

    /** The options of a system image's disk mean nothing for a kernel or the busybox image. */
    @Test
    void systemDiskOptionsWithoutASystemImage() throws IOException {
        Path k = image("Image", 8L << 20, 4096);
        rejected(run("--kernel", k.toString(), "--fresh"), "--fresh", "system image", "debian-system");
        rejected(run("--kernel", k.toString(), "--disk-size", "9G"), "--disk-size", "debian-system");
    }
}
