package jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jvisor.storage.DiskSpec;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's kernel on virtio disks: ext4 made in the guest on a raw image keeps 100 MB of data
 * across a guest reboot (same checksum), and a qcow2 overlay takes the guest's writes while its
 * raw base stays byte for byte the same.
 */
@Tag("system")
class LinuxBlockTest {
    static final List<String> MODULES = List.of("virtio_blk", "crc32c_generic", "ext4");
    static final Duration BOOT = Duration.ofMinutes(10), LONG = Duration.ofMinutes(15); // generous: a loaded host is slow

    @TempDir Path dir;

    @Test
    void ext4SurvivesAReboot() throws Exception {
        Path raw = dir.resolve("disk.raw");
        try (var f = java.nio.channels.FileChannel.open(raw, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            f.truncate(0).write(java.nio.ByteBuffer.allocate(1), (512L << 20) - 1);
        }
        VirtioBlock disk = new VirtioBlock(DiskSpec.parse(raw.toString()).open(), "jvisor-test-disk");
        try (LinuxGuest g = LinuxGuest.boot(384L << 20, MODULES, List.of(disk), BOOT)) {
            assertEquals("jvisor-test-disk", g.ok("cat /sys/block/vda/serial").strip());
            assertEquals(Long.toString(1L << 20), g.ok("cat /sys/block/vda/size").strip());
            g.ok("/usr/sbin/mke2fs -q -t ext4 /dev/vda");
            g.ok("mount -t ext4 /dev/vda /mnt");
            g.ok("dd if=/dev/urandom of=/mnt/data bs=1M count=100 2>/dev/null", LONG);
            String before = g.ok("md5sum /mnt/data", LONG).split(" ")[0];
            g.ok("umount /mnt");
            g.reboot(BOOT);
            g.ok("mount -t ext4 /dev/vda /mnt");
            assertEquals("104857600", g.ok("stat -c %s /mnt/data").strip());
            String after = g.ok("md5sum /mnt/data", LONG).split(" ")[0];
            assertEquals(before, after, "the data read back after the reboot");
            assertTrue(before.matches("[0-9a-f]{32}"), before);
            g.ok("umount /mnt");
        }
        fsck(raw); // the host's e2fsck finds nothing to fix (it fails the test otherwise)
    }

    @Test
    void qcow2OverlayLeavesItsBaseUntouched() throws Exception {
        Path base = dir.resolve("base.raw");
        run("mkfs.ext4", "-q", "-F", "-L", "base", base.toString(), "64M");
        String baseSum = sha256(base);
        Path overlay = dir.resolve("overlay.qcow2");
        jvisor.storage.Qcow2Image.create(overlay, Files.size(base), base, "raw");
        VirtioBlock disk = new VirtioBlock(DiskSpec.parse(overlay.toString()).open(), "overlay");
        try (LinuxGuest g = LinuxGuest.boot(256L << 20, MODULES, List.of(disk), BOOT)) {
            g.ok("mount -t ext4 /dev/vda /mnt");
            g.ok("dd if=/dev/urandom of=/mnt/new bs=1M count=8 2>/dev/null && md5sum /mnt/new > /mnt/new.md5 && sync", LONG);
            g.ok("rm -rf /mnt/lost+found && umount /mnt");
            g.ok("mount -t ext4 /dev/vda /mnt && md5sum -c /mnt/new.md5 && umount /mnt");
        }
        assertEquals(baseSum, sha256(base), "the base image is untouched");
        if (available("qemu-img")) {
            String check = run("qemu-img", "check", overlay.toString());
            assertTrue(check.contains("No errors were found"), check);
            Path flat = dir.resolve("flat.raw");
            run("qemu-img", "convert", "-O", "raw", overlay.toString(), flat.toString());
            fsck(flat);
        }
    }

    static String fsck(Path image) throws IOException { return run("e2fsck", "-fn", image.toString()); }

    static boolean available(String tool) {
        try {
            return new ProcessBuilder(tool, "--version").redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static String run(String... cmd) throws IOException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out);
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }
}
