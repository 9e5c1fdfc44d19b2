package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's kernel saved while it works and restored (in a new process, as a user's
 * {@code jvisor restore} would, or again and again in this one): computations end with the
 * checksums of uninterrupted runs, atomics on four harts stay exact, files written to a virtio
 * disk and a 9p share are whole and the ext4 clean, and the guest never boots again.
 */
@Tag("system")
public class SnapshotLinuxTest {
    static final Duration BOOT = Duration.ofMinutes(10), LONG = Duration.ofMinutes(10);
    static final int ROUNDS = 30_000;

    @TempDir Path dir;

    /** A busybox shell computation with a checksum Java can compute too. */
    static String loop(int rounds) {
        return "i=0; s=0; while [ $i -lt " + rounds + " ]; do s=$(( (s*31 + i) % 1000000007 )); i=$((i+1)); done;"
                + " echo \"sum $s\"";
    }

    static long expected(int rounds) {
        long s = 0;
        for (long i = 0; i < rounds; i++) s = (s * 31 + i) % 1000000007L;
        return s;
    }

    /**
     * Saves {@code g} and checks that the work the test means to interrupt had not finished:
     * {@code done} must not be on the console yet (a faster host needs a longer computation).
     */
    private static void saveMidRun(LinuxGuest g, Path file, String done) throws Exception {
        g.save(file);
        assertFalse(g.console().contains(done), "the guest finished ('" + done + "') before it was saved;"
                + " the test needs a longer computation on this host");
    }

    private static double uptime(LinuxGuest g) {
        return Double.parseDouble(g.ok("cut -d' ' -f1 /proc/uptime").strip());
    }

    @Test
    void aComputationSavedMidRunFinishesInANewProcessWithTheSameChecksum() throws Exception {
        Path snap = dir.resolve("cpu.jvs");
        double before;
        try (LinuxGuest g = LinuxGuest.bootSaveable(512L << 20, 1, List.of(), List.of(), BOOT)) {
            before = uptime(g);
            g.type(loop(ROUNDS) + "\n");
            Thread.sleep(1500);
            saveMidRun(g, snap, "sum " + expected(ROUNDS));
        }
        try (LinuxGuest r = LinuxGuest.restoreProcess(snap)) {
            r.await("sum " + expected(ROUNDS), LONG);
            assertTrue(uptime(r) > before, "the guest's clock went back");
            assertFalse(r.console().contains(LinuxGuest.READY), "the restored guest booted again:\n" + r.console());
            assertFalse(r.console().contains("Linux version"), "the restored guest booted again");
        }
    }

    @Test
    void atomicsOnFourHartsStayExactAcrossARestore() throws Exception {
        Path share = Files.createDirectories(dir.resolve("share"));
        compileAtomics(share.resolve("atomics"));
        Path snap = dir.resolve("smp.jvs");
        int rounds = 3_000_000;
        try (LinuxGuest g = LinuxGuest.bootSaveable(256L << 20, 4, List.of("9p", "9pnet_virtio"),
                List.of(DeviceSpec.share(share + ",tag=host")), BOOT)) {
            g.ok("mount -t 9p -o trans=virtio,version=9p2000.L host /mnt");
            g.type("/mnt/atomics " + rounds + "\n");
            g.await("counting", LONG);
            Thread.sleep(500);
            saveMidRun(g, snap, "totals");
        }
        try (LinuxGuest r = LinuxGuest.restoreProcess(snap)) {
            r.await("totals " + 4L * rounds + " " + 4L * rounds, LONG);
            assertEquals("ok", r.ok("ls /mnt/atomics >/dev/null && echo ok").strip(), "the share is still mounted");
        }
    }

    public static void compileAtomics(Path out) throws Exception {
        Path src = out.resolveSibling("atomics.c");
        try (InputStream in = SnapshotLinuxTest.class.getResourceAsStream("/jvisor/snapshots/atomics.c")) {
            Files.copy(in, src);
        }
        Process p = new ProcessBuilder("riscv64-linux-gnu-gcc", "-O2", "-static", "-pthread", "-o", out.toString(),
                src.toString()).inheritIO().start();
        org.junit.jupiter.api.Assumptions.assumeTrue(p.waitFor() == 0, "riscv64-linux-gnu-gcc could not build the test program");
    }

    @Test
    void filesWrittenToADiskAndAShareAreWholeAfterARestore() throws Exception {
        Path raw = dir.resolve("disk.raw");
        try (FileChannel f = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.allocate(1), (256L << 20) - 1);
        }
        Path share = Files.createDirectories(dir.resolve("share"));
        Path snap = dir.resolve("io.jvs");
        String writer = "for n in 1 2 3 4 5 6 7 8; do dd if=/dev/urandom of=/tmp/f$n bs=64k count=16 2>/dev/null;"
                + " cp /tmp/f$n /disk/f$n; cp /tmp/f$n /share/f$n; md5sum /tmp/f$n | cut -d' ' -f1 > /disk/f$n.md5;"
                + " cp /disk/f$n.md5 /share/f$n.md5; rm /tmp/f$n; done; sync; echo \"writer-\"\"done\"";
        try (LinuxGuest g = LinuxGuest.bootSaveable(384L << 20, 1,
                List.of("virtio_blk", "crc32c_generic", "ext4", "9p", "9pnet_virtio"),
                List.of(DeviceSpec.disk(raw.toString()), DeviceSpec.share(share + ",tag=host")), BOOT)) {
            g.ok("/usr/sbin/mke2fs -q -t ext4 /dev/vda && mkdir -p /disk /share && mount -t ext4 /dev/vda /disk"
                    + " && mount -t 9p -o trans=virtio,version=9p2000.L host /share");
            g.type(writer + "\n");
            Thread.sleep(1500);
            saveMidRun(g, snap, "writer-done");
        }
        try (LinuxGuest r = LinuxGuest.restoreProcess(snap)) {
            r.await("writer-done", LONG);
            for (String d : List.of("/disk", "/share")) {
                String check = "for n in 1 2 3 4 5 6 7 8; do [ \"$(md5sum " + d + "/f$n | cut -d' ' -f1)\" ="
                        + " \"$(cat " + d + "/f$n.md5)\" ] || echo bad " + d + "/f$n; done";
                assertEquals("", r.ok(check, LONG).strip(), "files whose contents differ from their checksums");
            }
            r.ok("umount /disk && /usr/sbin/e2fsck -fn /dev/vda", LONG); // fails the test unless clean
        }
        assertEquals(16, Files.list(share).count(), "files on the host side of the share");
    }

    @Test
    void tenSavesInARowWhileComputing() throws Exception {
        int rounds = 3 * ROUNDS;
        List<Path> files = new ArrayList<>();
        LinuxGuest g = LinuxGuest.bootSaveable(256L << 20, 1, List.of(), List.of(), BOOT);
        try {
            g.type(loop(rounds) + "\n");
            for (int i = 0; i < 10; i++) {
                Thread.sleep(250);
                Path f = dir.resolve("chain" + i + ".jvs");
                g.save(f);
                g.close();
                files.add(f);
                g = LinuxGuest.restoreInProcess(f);
            }
            g.await("sum " + expected(rounds), LONG);
            assertFalse(g.console().contains(LinuxGuest.READY), "a restored guest booted again");
        } finally {
            g.close();
        }
        assertEquals(10, files.size());
    }

    @Test
    void aThousandPausesDuringAnSmpBootLeaveNoKernelWarning() throws Exception {
        try (LinuxGuest g = LinuxGuest.startSaveable(256L << 20, 2, List.of(), List.of())) {
            int pauses = 0;
            long deadline = System.nanoTime() + BOOT.toNanos();
            while (pauses < 1000 && System.nanoTime() < deadline) {
                if (g.pauseAndResume()) pauses++;
                Thread.sleep(0, 500_000);
            }
            g.awaitBoot(BOOT);
            assertEquals(1000, pauses);
            String dmesg = g.ok("dmesg");
            // (A loaded host can make the kernel note "hrtimer: interrupt took N ns": not a pause's doing.)
            for (String bad : List.of("WARNING:", "BUG:", "stall", "soft lockup", "Oops", "marking unstable",
                    "clocksource watchdog", "timekeeping watchdog")) {
                assertFalse(dmesg.contains(bad), "the kernel complained (" + bad + "):\n" + dmesg);
            }
            assertEquals("2", g.ok("nproc").strip());
        }
    }
}
