package jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jvisor images} and {@code jvisor run IMAGE} as a user meets them: output, errors, exit status. */
class ImagesCliTest {
    @TempDir Path dir;

    private record Result(int status, String out, String err) {}

    private static Result jvisor(String... args) {
        PrintStream out = System.out, err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int status = Main.execute(args);
            return new Result(status, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private static String deadMirror() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return "http://127.0.0.1:" + s.getLocalPort() + "/debian";
        }
    }

    /** A cached image as the builder leaves one, with stand-in files. */
    private Path fakeImage(String key) throws IOException {
        Path img = Files.createDirectories(dir.resolve("cache/debian/" + key));
        Files.write(img.resolve("Image"), new byte[3 << 20]);
        Files.write(img.resolve("initrd.gz"), new byte[1 << 20]);
        Files.writeString(img.resolve("image.properties"), """
                name=debian
                kernel.version=6.12.117-1
                busybox.version=1\\:1.37.0-6+b9
                built=2026-11-28T05\\:35\\:27.5Z
                """);
        return img;
    }

    @Test
    void runNeedsExactlyOneOfImageAndKernel() {
        Result r = jvisor("run");
        assertEquals(2, r.status());
        assertEquals("jvisor: give an IMAGE to boot (e.g. 'jvisor run debian') or --kernel FILE\n", r.err());
        r = jvisor("run", "debian", "--kernel", "Image");
        assertEquals(2, r.status());
        assertEquals("jvisor: give IMAGE or --kernel, not both\n", r.err());
    }

    @Test
    void runWithAnUnreachableMirrorAndNoCacheIsOneClearLine() throws IOException {
        String dead = deadMirror();
        Result r = jvisor("run", "debian", "--mirror", dead, "--cache", dir.resolve("empty").toString());
        assertEquals(2, r.status());
        assertTrue(r.err().startsWith("jvisor: cannot reach the mirror " + dead + " ("), r.err());
        assertTrue(r.err().contains("pass --mirror URL or set JVISOR_MIRROR"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
    }

    @Test
    void aMirrorThatIsNoUrlIsOneClearLine() {
        Result r = jvisor("images", "pull", "debian", "--mirror", "ftp://example.org/debian", "--cache", dir.toString());
        assertEquals(2, r.status());
        assertEquals("jvisor: the mirror 'ftp://example.org/debian' is not an http:// or https:// URL "
                + "(e.g. http://deb.debian.org/debian); fix --mirror or JVISOR_MIRROR\n", r.err());
    }

    @Test
    void unknownImageIsAUsageError() {
        Result r = jvisor("run", "fedora", "--cache", dir.toString());
        assertEquals(2, r.status());
        assertEquals("jvisor: no image called 'fedora'; available: debian, debian-system\n", r.err());
    }

    @Test
    void imagesListsWhatIsCached() throws IOException {
        Result r = jvisor("images", "--cache", dir.resolve("cache").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("No cached images in "), r.out());

        fakeImage("6.12.117-1_1%3a1.37.0-6+b9_1.6-1_abcdef12");
        r = jvisor("images", "--cache", dir.resolve("cache").toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("debian         4.0M     linux 6.12.117-1, busybox 1:1.37.0-6+b9 (built 2026-11-28T05:35:27Z)"),
                r.out());
        assertTrue(r.out().contains("Available: debian ("), r.out());
    }

    @Test
    void imagesRmRemovesAndComplainsAboutUnknownNames() throws IOException {
        Path img = fakeImage("k1");
        Result r = jvisor("images", "rm", "nothing", "--cache", dir.resolve("cache").toString());
        assertEquals(2, r.status());
        assertEquals("jvisor: no cached image called 'nothing' (see 'jvisor images')\n", r.err());

        r = jvisor("images", "--cache", dir.resolve("cache").toString(), "rm", "debian");
        assertEquals(0, r.status(), r.err());
        assertEquals("removed debian (linux 6.12.117-1, busybox 1:1.37.0-6+b9)\n", r.out());
        assertFalse(Files.exists(img));
    }
}
