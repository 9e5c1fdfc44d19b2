package jvisor.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import jvisor.images.CachedImage;
import jvisor.storage.Disk;
import jvisor.storage.DiskSpec;
import jvisor.storage.Qcow2Image;
import jvisor.testing.Daemon;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VM of a system image in the daemon boots from its own persistent disk: an overlay over the
 * image's disk in the state directory, made at its first start, kept across stop and start,
 * never writing the image. (The image here is the test guest's kernel and initramfs with a
 * small disk, standing in for debian-system, which DebianSystemTest boots for real.)
 */
class SystemImageHostTest {
    private static final Duration BOOT = Duration.ofMinutes(5), CMD = Duration.ofMinutes(2);

    @TempDir Path dir;

    @Test
    void aSystemImageVmKeepsItsOwnDisk() throws Exception {
        LinuxGuest.assumeAvailable();
        Path img = Files.createDirectories(dir.resolve("image"));
        Files.copy(LinuxGuest.dir().resolve("vmlinux"), img.resolve("Image"));
        Files.copy(LinuxGuest.dir().resolve("initrd.gz"), img.resolve("initrd.gz"));
        Qcow2Image.create(img.resolve("disk.qcow2"), 16 << 20, null, null);
        try (Disk d = DiskSpec.parse(img.resolve("disk.qcow2") + ",format=qcow2").open()) {
            d.write(4096, ByteBuffer.wrap("from the image".getBytes()));
        }
        Properties p = new Properties();
        p.setProperty("disk", "disk.qcow2");
        p.setProperty("cmdline", "console=ttyS0 quiet jvisor.modules=virtio_mmio,virtio_blk");
        try (OutputStream out = Files.newOutputStream(img.resolve("image.properties"))) {
            p.store(out, null);
        }
        CachedImage image = new CachedImage("debian-system", "k", img, p);

        Path state = dir.resolve("state");
        try (Daemon d = Daemon.start(state, 1L << 30, null, 0, name -> image)) {
            d.ok(201, "POST", "/vms?start=true", Map.of("name", "sys", "image", "debian-system", "memory", "128M"));
            try (Daemon.Console c = d.console("sys")) {
                c.awaitReady(BOOT);
                assertEquals("from the image", c.ok("dd if=/dev/vda bs=4096 skip=1 count=1 2>/dev/null | head -c 14", CMD));
                c.ok("printf mine | dd of=/dev/vda bs=4096 seek=2 conv=fsync 2>/dev/null", CMD);
            }
            assertEquals("stopped", d.ok(200, "POST", "/vms/sys/stop", null).get("state").asText());
            assertTrue(Files.isRegularFile(state.resolve("disks/sys.qcow2")));

            d.ok(200, "POST", "/vms/sys/start", null);
            try (Daemon.Console c = d.console("sys")) {
                c.awaitReady(BOOT);
                assertEquals("mine", c.ok("dd if=/dev/vda bs=4096 skip=2 count=1 2>/dev/null | head -c 4", CMD));
            }
            d.ok(200, "POST", "/vms/sys/stop", null);
        }
        ByteBuffer b = ByteBuffer.allocate(4);
        try (Disk base = DiskSpec.parse(img.resolve("disk.qcow2") + ",format=qcow2,readonly=on").open()) {
            base.read(8192, b);
        }
        assertArrayEquals(new byte[4], b.array(), "the image's disk is never written");
    }
}
