package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jvisor.devices.virtio.VirtioBlock;
import jvisor.storage.DiskSpec;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's S-mode U-Boot (u-boot-qemu's qemu-riscv64_smode/u-boot.bin, which the test guest
 * has beside its kernel), given as a raw --kernel behind the built-in SBI as QEMU's -kernel
 * takes it, finds /boot/extlinux/extlinux.conf on the first partition of a virtio disk (distro
 * boot), loads Debian's kernel and the test guest's initramfs from it and boots them.
 */
@Tag("system")
class UBootTest {
    private static final long MIB = 1 << 20;

    @TempDir Path dir;

    @Test
    void distroBootsDebiansKernelFromAnExt4Partition() throws Exception {
        LinuxGuest.assumeAvailable();
        Path uboot = LinuxGuest.dir().resolve("u-boot.bin");
        assumeTrue(Files.isRegularFile(uboot), "no " + uboot + " (jvisor images pull testguest builds one)");
        Path disk = disk();

        Boot boot = new Boot(Boot.Bios.BUILTIN, null, null, Files.readAllBytes(uboot), uboot.toString(), null, "");
        VirtioBlock blk = new VirtioBlock(DiskSpec.parse(disk + ",format=raw").open(), "uboot");
        try (LinuxGuest g = LinuxGuest.boot(new MachineConfig(512 * MIB, 1), boot, List.of(blk), Duration.ofMinutes(10))) {
            String console = g.console();
            assertTrue(console.contains("U-Boot 20"), console);
            assertTrue(console.contains("Found /boot/extlinux/extlinux.conf"), console);
            assertTrue(g.ok("cat /proc/cmdline").contains("jvisor.booted.by=extlinux"), g.console());
            assertEquals("42", g.ok("echo $((6 * 7))").trim());
            g.type("poweroff -f\n");
            assertEquals(0, g.awaitPowerOff(Duration.ofMinutes(2)).status());
        }
    }

    /**
     * A 64 MiB raw disk: an MBR with one Linux partition from 1 MiB on, holding an ext4 file system
     * (made by e2fsprogs' mkfs.ext4 -d, no root needed) with the kernel, the initramfs and extlinux.conf.
     */
    private Path disk() throws Exception {
        Path root = dir.resolve("root");
        Path boot = Files.createDirectories(root.resolve("boot/extlinux"));
        Files.copy(LinuxGuest.dir().resolve("vmlinux"), root.resolve("boot/Image"));
        Files.copy(LinuxGuest.dir().resolve("initrd.gz"), root.resolve("boot/initrd.gz"));
        Files.writeString(boot.resolve("extlinux.conf"), """
                default jvisor
                timeout 0
                label jvisor
                  kernel /boot/Image
                  initrd /boot/initrd.gz
                  append console=ttyS0 quiet jvisor.booted.by=extlinux
                """);

        Path disk = dir.resolve("disk.img");
        long size = 64 * MIB, start = MIB;
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(size);
        }
        Process mkfs;
        try {
            mkfs = new ProcessBuilder("mkfs.ext4", "-q", "-F", "-d", root.toString(), "-E", "offset=" + start,
                    disk.toString(), (size - start) / 1024 + "k").redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no mkfs.ext4 (e2fsprogs): " + e.getMessage());
            throw e;
        }
        String out = new String(mkfs.getInputStream().readAllBytes());
        assertTrue(mkfs.waitFor(2, TimeUnit.MINUTES), "mkfs.ext4 hangs");
        assertEquals(0, mkfs.exitValue(), "mkfs.ext4: " + out);

        ByteBuffer mbr = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        mbr.putInt(440, 0x6a766973);                       // disk signature
        mbr.put(446, (byte) 0x80);                          // partition 1: bootable,
        mbr.put(446 + 4, (byte) 0x83);                      // Linux,
        mbr.putInt(446 + 8, (int) (start / 512));           // first sector (LBA),
        mbr.putInt(446 + 12, (int) ((size - start) / 512)); // sectors
        mbr.put(510, (byte) 0x55).put(511, (byte) 0xaa);
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.write(mbr.array());
        }
        return disk;
    }
}
