package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The initramfs archive read back by the system's cpio (GNU cpio, package cpio; .ci/run installs it). */
class CpioWriterTest {
    @TempDir Path dir;

    static boolean haveCpio() {
        return Files.isExecutable(Path.of("/usr/bin/cpio")) || Files.isExecutable(Path.of("/bin/cpio"));
    }

    /** Runs {@code cpio ARGS} in {@code dir} on the uncompressed archive; returns its output. */
    static String cpio(Path dir, byte[] gzipped, String... args) throws IOException, InterruptedException {
        byte[] raw;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipped))) {
            raw = in.readAllBytes();
        }
        Path archive = Files.write(dir.resolve("archive.cpio"), raw);
        List<String> cmd = new java.util.ArrayList<>(List.of("cpio", "--quiet", "-F", archive.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "cpio " + String.join(" ", args) + ": " + out);
        return out;
    }

    @Test
    void systemCpioReadsTheArchive() throws IOException, InterruptedException {
        Assumptions.assumeTrue(haveCpio(), "cpio not installed (.ci/run installs it)");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] busybox = "not really busybox".getBytes(StandardCharsets.US_ASCII);
        try (CpioWriter w = new CpioWriter(out, 1_700_000_000L)) {
            w.directory("bin");
            w.directory("dev");
            w.file("bin/busybox", 0755, busybox);
            w.symlink("bin/sh", "busybox");
            w.charDevice("dev/console", 0600, 5, 1);
            w.file("init", 0755, "#!/bin/sh\n".getBytes(StandardCharsets.US_ASCII));
        }
        byte[] archive = out.toByteArray();
        assertEquals(List.of("bin", "dev", "bin/busybox", "bin/sh", "dev/console", "init"),
                cpio(dir, archive, "-t").lines().toList());

        String verbose = cpio(dir, archive, "-tv");
        assertTrue(verbose.lines().anyMatch(l -> l.startsWith("lrwxrwxrwx") && l.endsWith("bin/sh -> busybox")), verbose);
        assertTrue(verbose.lines().anyMatch(l -> l.startsWith("crw-------") && l.contains("5,")
                && l.endsWith("dev/console")), verbose);
        assertTrue(verbose.lines().anyMatch(l -> l.startsWith("-rwxr-xr-x") && l.contains(" root ")
                && l.endsWith("bin/busybox")), verbose);

        Path unpacked = Files.createDirectories(dir.resolve("x"));
        cpio(unpacked, archive, "-id", "--no-absolute-filenames", "bin/busybox");
        assertArrayEquals(busybox, Files.readAllBytes(unpacked.resolve("bin/busybox")));
    }
}
