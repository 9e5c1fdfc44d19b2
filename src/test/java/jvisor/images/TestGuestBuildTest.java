package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole-system tests' guest, built from a (fake, local) mirror as jvisor.testing.LinuxGuest gets it. */
class TestGuestBuildTest {
    @TempDir Path dir;
    private TestKeys keys;
    private FakeMirror mirror;
    private Images images;

    @BeforeEach
    void start() throws IOException {
        keys = new TestKeys("Test Archive <ftpmaster@example.org>");
        mirror = new FakeMirror().debianLike(keys).withTestGuestPackages(keys);
        images = new Images(new ImageCache(dir.resolve("cache")), mirror.url(),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), null,
                List.of(keys.writeKeyring(dir.resolve("keyring.gpg"))));
    }

    @AfterEach
    void stop() { mirror.close(); }

    @Test
    void elfDynamicNamesTheLoaderAndTheNeededLibraries() throws IOException {
        ElfDynamic d = ElfDynamic.parse(TestDebs.dynamicElf("/lib/ld.so.1", "libz.so.1", "libc.so.6"), "prog");
        assertEquals("/lib/ld.so.1", d.interpreter());
        assertEquals(List.of("libz.so.1", "libc.so.6"), d.needed());
        ElfDynamic lib = ElfDynamic.parse(TestDebs.dynamicElf(null), "lib");
        assertNull(lib.interpreter());
        assertEquals(List.of(), lib.needed());
        byte[] cut = java.util.Arrays.copyOf(TestDebs.dynamicElf("/lib/ld.so.1", "libz.so.1"), 100);
        assertThrows(IOException.class, () -> ElfDynamic.parse(cut, "cut"));
        assertThrows(IOException.class, () -> ElfDynamic.parse(new byte[100], "junk"));
    }

    @Test
    void moduleSignaturesAreStripped() {
        byte[] ko = TestDebs.module("name=virtio_blk");
        byte[] signature = new byte[300];
        byte[] info = ByteBuffer.allocate(12).putInt(8, signature.length).array(); // struct module_signature
        ByteArrayOutputStream signed = new ByteArrayOutputStream();
        signed.writeBytes(ko);
        signed.writeBytes(signature);
        signed.writeBytes(info);
        signed.writeBytes("~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII));
        assertArrayEquals(ko, KernelModules.withoutSignature(signed.toByteArray()));
        assertSame(ko, KernelModules.withoutSignature(ko), "unsigned: as it is");
    }

    @Test
    void buildsTheGuestWithTheLibrariesItsProgramsLoad() throws IOException {
        CachedImage guest = images.pull(TestGuestBuild.NAME);
        Path g = guest.dir();
        assertEquals("RISCV kernel image", Files.readString(g.resolve("vmlinux")));
        assertEquals("U-Boot", Files.readString(g.resolve("u-boot.bin")));
        assertEquals(List.of("qemu/lib/ld-linux-riscv64-lp64d.so.1", "qemu/lib/libc.so.6", "qemu/lib/libslirp.so.0",
                "qemu/qemu-system-riscv64"), files(g.resolve("qemu"), g));
        assertEquals(0, mirror.count(mirror.pool.get("qemu-system-data")), "QEMU's data is not needed");

        Map<String, String> initrd = initrd(g.resolve("initrd.gz"));
        String mods = "usr/lib/modules/" + FakeMirror.RELEASE + "/";
        assertEquals("-> usr/lib", initrd.get("lib"));
        assertEquals("-> riscv64-linux-gnu/" + FakeMirror.LOADER, initrd.get("usr/lib/" + FakeMirror.LOADER));
        assertEquals("-> libext2fs.so.2.4", initrd.get("usr/lib/riscv64-linux-gnu/libext2fs.so.2"));
        for (String f : List.of("init", "bin/busybox", "usr/sbin/mke2fs", "usr/sbin/e2fsck", "etc/mke2fs.conf",
                "usr/lib/riscv64-linux-gnu/libext2fs.so.2.4", "usr/lib/riscv64-linux-gnu/libc.so.6",
                "usr/lib/riscv64-linux-gnu/" + FakeMirror.LOADER, mods + "kvm.ko", mods + "ext4.ko", mods + "failover.ko",
                mods + "virtio-rng.ko")) {
            assertTrue(initrd.containsKey(f), f + " in " + initrd.keySet());
        }
        assertTrue(initrd.get("init").contains("echo \"jvisor-test-ready\""), initrd.get("init"));
        assertTrue(initrd.get(mods + "modules.dep").contains("virtio_net.ko: net_failover.ko failover.ko\n"),
                initrd.get(mods + "modules.dep"));
        assertTrue(initrd.keySet().stream().noneMatch(p -> p.contains("unrelated") || p.contains("libslirp")),
                "only what the tests load and mke2fs and e2fsck need: " + initrd.keySet());

        long debs = mirror.requests().stream().filter(r -> r.endsWith(".deb")).count();
        assertEquals(guest.dir(), images.obtain(TestGuestBuild.NAME).dir(), "the same packages: the same guest");
        assertEquals(debs, mirror.requests().stream().filter(r -> r.endsWith(".deb")).count(), "nothing downloaded again");
    }

    @Test
    void aLibraryThatNoPackageBringsIsNamed() throws IOException {
        mirror.replace(keys, "libslirp0", "4.8.0-1", "libc6",
                TestDebs.deb(Map.of("usr/share/doc/libslirp0/README", new byte[1])));
        ImageException e = assertThrows(ImageException.class, () -> images.pull(TestGuestBuild.NAME));
        assertEquals("/usr/bin/qemu-system-riscv64 needs libslirp.so.0, which none of its packages brought", e.getMessage());
        assertEquals(List.of(), images.cache().list(), "no half-built guest");
    }

    private static List<String> files(Path root, Path base) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).map(p -> base.relativize(p).toString()).sorted().toList();
        }
    }

    /** Path to content, or to "-> TARGET" for a symbolic link; directories are left out. */
    private static Map<String, String> initrd(Path gz) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz));
             CpioArchiveInputStream cpio = new CpioArchiveInputStream(in)) {
            CpioArchiveEntry e;
            while ((e = cpio.getNextEntry()) != null) {
                String text = new String(cpio.readAllBytes(), StandardCharsets.ISO_8859_1);
                if (e.isSymbolicLink()) out.put(e.getName(), "-> " + text);
                else if (e.isRegularFile()) out.put(e.getName(), text);
            }
        }
        return out;
    }
}
