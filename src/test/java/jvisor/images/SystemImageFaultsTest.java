package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A system image's build when things go wrong (issue 18): no network, a package missing from the
 * mirror, a corrupted package, a full disk in the guest or on the host, a silent guest, a build
 * killed midway. Each gives one clear error and leaves no half-built image in the cache; the next
 * build starts clean and reuses the verified downloads. The mirror is {@link FakeMirror}'s tiny
 * archive; the build guest acts out the real one's console ({@link SystemScript}'s step lines,
 * dpkg's messages), whose real run {@code DebianSystemTest} covers.
 */
@Timeout(120)
class SystemImageFaultsTest extends MirrorTest {
    private static final String NAME = ImageSpec.DEBIAN_SYSTEM.name();

    @Override
    FakeMirror fill(FakeMirror m) throws IOException { return m.debianLike(keys).withSystemPackages(keys); }

    private Images images(String url, BuildGuest guest) { return images(url, List.of(keyring)).withBuildGuest(guest); }

    private Images images(BuildGuest guest) { return images(mirror.url(), guest); }

    /** A build guest that finds what the host prepared and says it installed the system. */
    private static final BuildGuest WORKS = (spec, console, quiet) -> {
        assertTrue(Files.isRegularFile(spec.share().resolve(SystemScript.SCRIPT)), "the script is in the share");
        assertTrue(Files.readString(spec.share().resolve(SystemScript.REQUIRED)).contains("dpkg_1.22.21_riscv64.deb"));
        assertTrue(Files.isRegularFile(spec.share().resolve("dpkg_1.22.21_riscv64.deb")), "the packages are in the share");
        console.write("@jvisor extract\n@jvisor extracted 1\n@jvisor core\nSetting up dpkg (1.22.21) ...\n@jvisor done\n"
                .getBytes(StandardCharsets.UTF_8));
        return 0;
    };

    /** Whatever the cache holds for the system image: nothing but its lock unless an image was built. */
    private List<String> leftovers() throws IOException {
        Path image = cacheRoot().resolve(NAME);
        if (!Files.isDirectory(image)) return List.of();
        try (Stream<Path> s = Files.list(image)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals(".lock")).sorted().toList();
        }
    }

    /** The image is built by the next pull, and the packages verified before are not downloaded again. */
    private void nextBuildStartsCleanAndReusesDownloads() throws IOException {
        CachedImage image = images(WORKS).pull(NAME);
        assertEquals(List.of(image.key()), leftovers(), "the new image and nothing else");
        assertTrue(Files.isRegularFile(image.disk()), "the image has its disk");
        for (String path : mirror.pool.values()) assertEquals(1, mirror.count(path), path + " downloaded once");
    }

    private void assertNothingBuilt() throws IOException {
        assertEquals(List.of(), images(WORKS).cache().list(), "no image in the cache");
        assertEquals(List.of(), leftovers(), "nothing half-built");
    }

    @Test
    void aBuildMakesTheImageFromTheMirrorsPackages() throws IOException {
        CachedImage image = images(WORKS).pull(NAME);
        assertEquals("15", image.property("packages"));
        assertEquals(List.of(image.key()), leftovers());
        try (Stream<Path> s = Files.list(cacheRoot().resolve("downloads"))) {
            assertEquals(List.of(), s.filter(p -> p.toString().endsWith(".deb")).toList(), "the image holds the downloads now");
        }
    }

    @Test
    void withoutNetworkOrACachedImageItSaysSo() throws IOException {
        String dead = FakeMirror.deadUrl();
        ImageException e = assertThrows(ImageException.Unreachable.class, () -> images(dead, WORKS).obtain(NAME));
        assertTrue(e.getMessage().startsWith("cannot reach the mirror " + dead) && e.getMessage().contains("check the network"),
                e.getMessage());
        assertNothingBuilt();
    }

    @Test
    void aPackageMissingFromTheMirrorIsNamedAndTheNextBuildResumes() throws IOException {
        String path = mirror.pool.get("openssh-server");
        byte[] deb = mirror.remove(path);
        ImageException e = assertThrows(ImageException.class, () -> images(WORKS).pull(NAME));
        assertTrue(e.getMessage().contains(path) && e.getMessage().contains("HTTP 404")
                && e.getMessage().contains("try again later"), e.getMessage());
        assertNothingBuilt();

        mirror.put(path, deb);
        CachedImage image = images(WORKS).pull(NAME);
        assertEquals(List.of(image.key()), leftovers());
        for (String p : mirror.pool.values()) {
            assertEquals(p.equals(path) ? 2 : 1, mirror.count(p), p + ": fetched once, the missing one again");
        }
    }

    @Test
    void aCorruptedPackageIsRefused() throws IOException {
        String path = mirror.pool.get("libc6");
        byte[] good = mirror.get(path);
        byte[] bad = good.clone();
        bad[bad.length - 100] ^= 0x40;
        mirror.put(path, bad);
        ImageException e = assertThrows(ImageException.class, () -> images(WORKS).pull(NAME));
        assertTrue(e.getMessage().contains(path) && e.getMessage().contains("SHA256 mismatch"), e.getMessage());
        assertNothingBuilt();
        try (Stream<Path> s = Files.list(cacheRoot().resolve("downloads"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith("libc6_")), "the bad download is gone");
        }
        mirror.put(path, good);
        assertEquals(NAME, images(WORKS).pull(NAME).name());
    }

    @Test
    void aFullDiskInTheGuestNamesTheStepAndDpkgsError() throws IOException {
        BuildGuest full = (spec, console, quiet) -> {
            console.write(("@jvisor extract\n@jvisor extracted 1\n@jvisor core\n"
                    + "dpkg: error processing archive /debs/libc6_2.41-12_riscv64.deb (--install):\n"
                    + " cannot copy extracted data for './usr/lib/riscv64-linux-gnu/libc.so.6' to "
                    + "'/usr/lib/riscv64-linux-gnu/libc.so.6.dpkg-new': failed to write (No space left on device)\n"
                    + "@jvisor failed core\n").getBytes(StandardCharsets.UTF_8));
            return 0;
        };
        ImageException e = assertThrows(ImageException.class, () -> images(full).pull(NAME));
        Path buildLog = cacheRoot().resolve(NAME + "-build.log");
        assertTrue(e.getMessage().startsWith("building the debian-system image failed at step 'core' (dpkg: error processing archive")
                && e.getMessage().contains("(No space left on device))") && e.getMessage().endsWith("console is in " + buildLog),
                e.getMessage());
        assertTrue(Files.readString(buildLog).contains("@jvisor failed core"), "the console is kept");
        assertNothingBuilt();
        nextBuildStartsCleanAndReusesDownloads();
    }

    @Test
    void aFullDiskOnTheHostNamesTheCache() throws IOException {
        BuildGuest hostFull = (spec, console, quiet) -> {
            throw new IOException("No space left on device");
        };
        ImageException e = assertThrows(ImageException.class, () -> images(hostFull).pull(NAME));
        assertTrue(e.getMessage().startsWith("building the debian-system image in " + cacheRoot() + " failed: No space left on device"),
                e.getMessage());
        assertNothingBuilt();
        nextBuildStartsCleanAndReusesDownloads();
    }

    @Test
    void aSilentGuestIsStoppedAndSaysWhy() throws IOException {
        BuildGuest stuck = (spec, console, quiet) -> {
            console.write("@jvisor configure-base\nSetting up openssh-server (1:10.0p1-7) ...\n".getBytes(StandardCharsets.UTF_8));
            return BuildGuest.SILENT;
        };
        ImageException e = assertThrows(ImageException.class, () -> images(stuck).pull(NAME));
        assertTrue(e.getMessage().contains("failed before it finished (its console was silent for 10 minutes, so the build "
                + "machine was stopped)"), e.getMessage());
        assertNothingBuilt();
    }

    /**
     * A build killed midway (SIGKILL: no finally block runs) leaves its staging directory and its
     * links to the packages; the next build removes them, reuses the verified downloads, and
     * makes the image.
     */
    @Test
    void aKilledBuildLeavesNoImageAndTheNextStartsClean() throws Exception {
        Process build = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), KilledBuild.class.getName(),
                cacheRoot().toString(), mirror.url(), keyring.toString()).redirectErrorStream(true).start();
        List<String> said = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(build.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null && !line.equals(KilledBuild.BUILDING); ) said.add(line);
            assertTrue(build.isAlive(), "the build runs: " + said);
            build.destroyForcibly();
            assertTrue(build.waitFor(30, TimeUnit.SECONDS));
        } finally {
            build.destroyForcibly();
        }
        List<String> killed = leftovers();
        assertTrue(killed.stream().anyMatch(n -> n.startsWith(".staging-")) && killed.stream().anyMatch(n -> n.startsWith(".debs-")),
                "the kill left the build's directories: " + killed);
        assertEquals(List.of(), images(WORKS).cache().list(), "but no image");
        nextBuildStartsCleanAndReusesDownloads();
    }

    /** A build whose guest hangs after its first step, in a process of its own for the test to kill. */
    static final class KilledBuild {
        static final String BUILDING = "building";

        public static void main(String[] args) throws IOException {
            BuildGuest hangs = (spec, console, quiet) -> {
                console.write("@jvisor extract\n".getBytes(StandardCharsets.UTF_8));
                System.out.println(BUILDING);
                System.out.flush();
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 1;
            };
            new Images(new ImageCache(Path.of(args[0])), args[1], System.err, null, List.of(Path.of(args[2])))
                    .withBuildGuest(hangs).pull(NAME);
        }
    }
}
