package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The whole path from a (fake, local) Debian mirror to a cached image. */
class ImagesTest extends MirrorTest {
    private Images images() { return images(mirror.url(), List.of(keyring)); }

    private List<String> cacheFiles() throws IOException {
        try (Stream<Path> s = Files.walk(dir.resolve("cache"))) {
            return s.filter(Files::isRegularFile).map(p -> dir.resolve("cache").relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void pullBuildsAVerifiedImage() throws IOException, InterruptedException {
        CachedImage image = images().pull("debian");
        assertEquals("", log(), "verified quietly");
        assertEquals("6.12.9-1", image.property("kernel.version"));
        assertEquals(FakeMirror.KERNEL, image.property("kernel.package"));
        assertEquals(FakeMirror.RELEASE, image.property("kernel.release"));
        assertEquals("linux 6.12.9-1, busybox 1:1.37.0-6, opensbi 1.6-1", image.versions());
        assertEquals("RISCV kernel image", Files.readString(image.kernel()));
        assertEquals("OpenSBI firmware", Files.readString(image.firmware()));
        assertTrue(image.key().matches("6\\.12\\.9-1_1%3a1\\.37\\.0-6_1\\.6-1_[0-9a-f]{8}"), image.key());
        String key = image.key();
        assertEquals(List.of("debian/" + key + "/Image", "debian/" + key + "/fw_dynamic.bin",
                "debian/" + key + "/image.properties", "debian/" + key + "/initrd.gz"), cacheFiles().stream().filter(f -> f.startsWith("debian/")).toList());
        assertTrue(cacheFiles().stream().noneMatch(f -> f.endsWith(".deb") || f.endsWith(".part") || f.contains("Packages")),
                "downloads are gone once the image is built: " + cacheFiles());

        Assumptions.assumeTrue(CpioWriterTest.haveCpio(), "cpio not installed");
        List<String> listing = CpioWriterTest.cpio(dir, Files.readAllBytes(image.initrd()), "-t").lines().toList();
        String mods = "lib/modules/" + FakeMirror.RELEASE + "/";
        for (String f : List.of("init", "bin/busybox", "bin/sh", "bin/cttyhack", "sbin", "dev/console", mods + "modules.dep",
                mods + "kernel/fs/ext4/ext4.ko", mods + "kernel/fs/jbd2/jbd2.ko", mods + "kernel/fs/mbcache.ko",
                mods + "kernel/drivers/virtio/virtio_mmio.ko", mods + "kernel/drivers/char/hw_random/virtio-rng.ko",
                "usr/share/udhcpc/default.script")) {
            assertTrue(listing.contains(f), f + " in " + listing);
        }
        assertFalse(listing.contains(mods + "kernel/drivers/unrelated.ko"), "only the modules asked for");
        assertEquals("virtio_mmio virtio_blk failover net_failover virtio_net virtio_rng netfs 9pnet 9pnet_virtio 9p "
                + "mbcache jbd2 ext4 crc32c_generic kvm", image.property("modules"));
        assertTrue(log().isEmpty());
    }

    @Test
    void anUnchangedMirrorReusesTheCachedImage() throws IOException {
        CachedImage first = images().pull("debian");
        int before = mirror.requests().size();
        CachedImage second = images().pull("debian");
        assertEquals(first.dir(), second.dir());
        assertEquals(List.of("dists/trixie/InRelease"), mirror.requests().subList(before, mirror.requests().size()),
                "only InRelease is asked for: the choice of packages is remembered by the index checksum");
    }

    @Test
    void aNewKernelMakesANewImage() throws IOException {
        images().pull("debian");
        byte[] deb = mirror.get(mirror.pool.get(FakeMirror.KERNEL));
        String newer = "linux-image-6.12.10+deb13-riscv64";
        mirror.put("pool/main/l/newer.deb", deb);
        String stanza = "Package: " + newer + "\nVersion: 6.12.10-1\nFilename: pool/main/l/newer.deb\nSize: " + deb.length
                + "\nSHA256: " + Downloader.sha256(deb) + "\n";
        mirror.publishWithExtra(keys, stanza, "linux-image-riscv64", "6.12.10-1", newer + " (= 6.12.10-1)");
        CachedImage image = images().pull("debian");
        assertEquals("6.12.10-1", image.property("kernel.version"));
        assertEquals(List.of(image.dir()), images().cache().list().stream().map(CachedImage::dir).toList(),
                "the superseded image is gone");
        assertEquals(1, images().cache().remove("debian").size());
        assertEquals(List.of(), images().cache().list());
    }

    @Test
    void unreachableMirrorFallsBackToTheCachedImage() throws IOException {
        CachedImage cached = images().pull("debian");
        String dead = FakeMirror.deadUrl();
        CachedImage offline = images(dead, List.of(keyring)).obtain("debian");
        assertEquals(cached.dir(), offline.dir());
        assertEquals(1, log().lines().count(), log());
        assertTrue(log().startsWith("jvisor: cannot reach the mirror " + dead), log());
        assertTrue(log().contains("using the cached debian image (linux 6.12.9-1"), log());
    }

    @Test
    void unreachableMirrorWithoutACacheIsAClearError() throws IOException {
        String dead = FakeMirror.deadUrl();
        ImageException e = assertThrows(ImageException.Unreachable.class,
                () -> images(dead, List.of(keyring)).obtain("debian"));
        assertTrue(e.getMessage().startsWith("cannot reach the mirror " + dead), e.getMessage());
        assertThrows(ImageException.Unreachable.class, () -> images(dead, List.of(keyring)).pull("debian"));
    }

    @Test
    void tamperedDebIsRefusedAndLeavesNothing() throws IOException {
        String path = mirror.pool.get(FakeMirror.KERNEL);
        byte[] deb = mirror.get(path).clone();
        deb[deb.length - 100] ^= 0x40;
        mirror.put(path, deb);
        ImageException e = assertThrows(ImageException.class, () -> images().pull("debian"));
        assertTrue(e.getMessage().contains(path) && e.getMessage().contains("SHA256 mismatch"), e.getMessage());
        assertEquals(List.of(), images().cache().list());
        assertTrue(cacheFiles().stream().noneMatch(f -> f.endsWith(".deb") || f.endsWith(".part") || f.startsWith("debian/")),
                "nothing half-written: " + cacheFiles());
    }

    @Test
    void tamperedIndexIsRefused() throws IOException {
        String path = "dists/trixie/main/binary-riscv64/Packages.xz";
        byte[] index = mirror.get(path).clone();
        index[20] ^= 1;
        mirror.put(path, index);
        ImageException e = assertThrows(ImageException.class, () -> images().pull("debian"));
        assertTrue(e.getMessage().contains("Packages.xz: SHA256 mismatch"), e.getMessage());
    }

    @Test
    void signatureByAnotherKeyIsRefused() throws IOException {
        Path other = new TestKeys("Mallory <m@example.org>").writeKeyring(dir.resolve("other.gpg"));
        ImageException e = assertThrows(ImageException.class, () -> images(mirror.url(), List.of(other)).pull("debian"));
        assertTrue(e.getMessage().contains("InRelease: no good signature"), e.getMessage());
        assertEquals(List.of(), images().cache().list());
    }

    @Test
    void withoutAKeyringItSaysSoInOneLine() throws IOException {
        images(mirror.url(), List.of(dir.resolve("no-such-keyring.gpg"))).pull("debian");
        assertEquals(1, log().lines().count(), log());
        assertTrue(log().startsWith("jvisor: could not verify the signature of " + mirror.url()
                + "/dists/trixie/InRelease"), log());
    }

    @Test
    void unknownImageNamesTheCatalog() {
        ImageException e = assertThrows(ImageException.class, () -> images().obtain("fedora"));
        assertEquals("no image called 'fedora'; available: debian, debian-system", e.getMessage());
    }

    @Test
    void cacheFollowsXdg() {
        assertEquals(Path.of("/x/cache/jvisor/images"), ImageCache.defaultRoot(Map.of("XDG_CACHE_HOME", "/x/cache")));
        assertEquals(Path.of(System.getProperty("user.home"), ".cache/jvisor/images"), ImageCache.defaultRoot(Map.of()));
    }
}
