package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class KernelModulesTest {
    private static void add(KernelModules m, String path, byte[] data) throws IOException {
        m.add(path, new ByteArrayInputStream(data));
    }

    private static KernelModules sample() throws IOException {
        KernelModules m = new KernelModules();
        add(m, "modules.builtin",
                "kernel/drivers/char/virtio_console.ko\nkernel/lib/crc32.ko\n".getBytes(StandardCharsets.US_ASCII));
        add(m, "kernel/fs/ext4/ext4.ko.xz", TestDebs.xz(TestDebs.module("softdep=pre: crypto-crc32c crc16 post: x",
                "depends=jbd2,mbcache,crc32", "name=ext4")));
        add(m, "kernel/fs/jbd2/jbd2.ko.xz", TestDebs.xz(TestDebs.module("depends=mbcache", "name=jbd2")));
        add(m, "kernel/fs/mbcache.ko.xz", TestDebs.xz(TestDebs.module("depends=", "name=mbcache")));
        add(m, "kernel/lib/crc16.ko", TestDebs.module("depends=", "name=crc16"));
        add(m, "kernel/drivers/char/hw_random/virtio-rng.ko.xz", TestDebs.xz(TestDebs.module("depends=", "name=virtio_rng")));
        return m;
    }

    @Test
    void modinfoDependsAndSoftdeps() {
        ModInfo info = ModInfo.parse(TestDebs.module("license=GPL", "softdep=pre: a b post: c", "depends=x,y-z"), "t.ko");
        assertEquals(List.of("x", "y-z"), info.depends());
        assertEquals(List.of("a", "b"), info.softPre());
        assertThrows(IllegalArgumentException.class, () -> ModInfo.parse(new byte[100], "junk.ko"));
    }

    @Test
    void selectsTheDependencyClosureInLoadOrder() throws IOException {
        KernelModules.Selection s = sample().select(List.of("virtio-rng", "ext4", "virtio_console", "9p"));
        assertEquals(List.of("virtio_rng", "mbcache", "jbd2", "crc16", "ext4"),
                s.modules().stream().map(KernelModules.Module::name).toList());
        assertEquals(List.of("virtio_console"), s.builtin());
        assertEquals(List.of("9p"), s.missing());
        assertEquals("kernel/fs/ext4/ext4.ko", s.modules().getLast().path(), "stored decompressed");
        assertArrayEquals(TestDebs.module("softdep=pre: crypto-crc32c crc16 post: x", "depends=jbd2,mbcache,crc32",
                "name=ext4"), s.modules().getLast().ko());
    }

    @Test
    void modulesDepListsDependentsBeforeTheirDependencies() throws IOException {
        String dep = sample().select(List.of("ext4")).modulesDep();
        assertTrue(dep.contains("kernel/fs/jbd2/jbd2.ko: kernel/fs/mbcache.ko\n"), dep);
        // loading from the end of the list backwards: crc16, mbcache, jbd2, then ext4
        assertTrue(dep.contains(
                "kernel/fs/ext4/ext4.ko: kernel/lib/crc16.ko kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko\n"), dep);
        assertTrue(dep.contains("kernel/fs/mbcache.ko:\n"), dep);
    }

    @Test
    void aDependencyTheKernelLacksIsAnError() throws IOException {
        KernelModules m = new KernelModules();
        add(m, "kernel/a.ko", TestDebs.module("depends=nowhere", "name=a"));
        IOException e = assertThrows(IOException.class, () -> m.select(List.of("a")));
        assertTrue(e.getMessage().contains("depends on nowhere"), e.getMessage());
    }

    @Test
    void zstdModulesAreRefused() {
        IOException e = assertThrows(IOException.class,
                () -> add(new KernelModules(), "kernel/a.ko.zst", new byte[4]));
        assertTrue(e.getMessage().contains("xz"), e.getMessage());
    }
}
