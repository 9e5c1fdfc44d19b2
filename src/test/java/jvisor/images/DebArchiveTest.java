package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DebArchiveTest {
    @TempDir Path dir;

    private static Map<String, byte[]> read(Path deb) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        DebArchive.read(deb, null, (path, entry, in) -> {
            if (entry.isFile()) files.put(path, in.readAllBytes());
        });
        return files;
    }

    @Test
    void readsTheDataTarballOfADebBuiltInJava() throws IOException {
        byte[] busybox = TestDebs.busybox("[", "ash");
        Path deb = Files.write(dir.resolve("t.deb"), TestDebs.deb(Map.of("usr/bin/busybox", busybox,
                "usr/share/doc/busybox-static/copyright", "text".getBytes(StandardCharsets.US_ASCII))));
        Map<String, byte[]> files = read(deb);
        assertEquals(2, files.size());
        assertArrayEquals(busybox, files.get("usr/bin/busybox"));
    }

    @Test
    void readsADebBuiltByDpkgDeb() throws IOException, InterruptedException {
        Path root = packageRoot();
        Files.createDirectories(root.resolve("usr/lib/modules/6.12.1/kernel"));
        byte[] ko = TestDebs.module("name=m", "depends=");
        Files.write(root.resolve("usr/lib/modules/6.12.1/kernel/m.ko"), ko);
        Path deb = dir.resolve("t.deb");
        dpkgDeb("-Zxz", "--root-owner-group", "--build", root.toString(), deb.toString());
        assertArrayEquals(ko, read(deb).get("usr/lib/modules/6.12.1/kernel/m.ko"));
    }

    /** The uncompressed rewrite a build guest installs: dpkg-deb itself reads it, with the same files and control. */
    @Test
    void decompressedDebIsOneDpkgReads() throws IOException, InterruptedException {
        Path root = packageRoot();
        Files.createDirectories(root.resolve("usr/share/jvisor"));
        Files.writeString(root.resolve("usr/share/jvisor/file"), "contents ".repeat(1000));
        Path deb = dir.resolve("t.deb"), plain = dir.resolve("plain.deb");
        dpkgDeb("-Zxz", "--root-owner-group", "--build", root.toString(), deb.toString());
        DebArchive.decompress(deb, plain);

        assertEquals(dpkgDeb("-f", deb.toString(), "Version"), dpkgDeb("-f", plain.toString(), "Version"));
        assertEquals(dpkgDeb("-c", deb.toString()), dpkgDeb("-c", plain.toString()));
        assertArrayEquals(read(deb).get("usr/share/jvisor/file"), read(plain).get("usr/share/jvisor/file"));
        assertTrue(Files.size(plain) > 9000, "uncompressed: " + Files.size(plain));
    }

    /** A package's tree for dpkg-deb --build, with its control file (skips the test without dpkg-deb). */
    private Path packageRoot() throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/dpkg-deb")), "dpkg-deb not installed");
        Path root = dir.resolve("pkg");
        Files.createDirectories(root.resolve("DEBIAN"));
        Files.writeString(root.resolve("DEBIAN/control"), "Package: jvisor-test\nVersion: 1.0-1\nArchitecture: riscv64\n"
                + "Maintainer: jvisor <jvisor@example.org>\nDescription: test\n");
        return root;
    }

    private static String dpkgDeb(String... args) throws IOException, InterruptedException {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("dpkg-deb"));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    @Test
    void zstdIsRefusedClearly() throws IOException {
        Path deb = Files.write(dir.resolve("z.deb"), TestDebs.deb(Map.of("a", new byte[1]), "data.tar.zst"));
        IOException e = assertThrows(IOException.class, () -> read(deb));
        assertTrue(e.getMessage().contains("data.tar.zst") && e.getMessage().contains("data.tar.xz"), e.getMessage());
    }

    @Test
    void notADebIsRefused() throws IOException {
        Path deb = Files.write(dir.resolve("n.deb"), "!<arch>\n".getBytes(StandardCharsets.US_ASCII));
        IOException e = assertThrows(IOException.class, () -> read(deb));
        assertTrue(e.getMessage().contains("no data.tar member"), e.getMessage());
    }
}
