package jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import jvisor.share.P9Server;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's kernel mounts host folders over virtio-9p: it reads and writes the shared folder, and
 * its attempts to get out (a symlink to /, "..", a host link pointing outside) reach nothing
 * outside it. A read-only share refuses writes.
 */
@Tag("system")
class LinuxShareTest {
    @TempDir Path tmp;

    @Test
    void readWriteAndNoWayOut() throws Exception {
        Path share = Files.createDirectories(tmp.resolve("share"));
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        Files.writeString(tmp.resolve("secret"), "TOP SECRET");
        Files.writeString(share.resolve("from-host.txt"), "written by the host\n");
        Files.createSymbolicLink(share.resolve("hostlink"), tmp.resolve("secret"));
        Files.writeString(ro.resolve("fixed.txt"), "read only\n");
        List<VirtioDevice> devices = List.of(new Virtio9p(new P9Server(share, false), "shared"),
                new Virtio9p(new P9Server(ro, true), "fixed"));
        try (LinuxGuest g = LinuxGuest.boot(256L << 20, List.of("9p", "9pnet_virtio"), devices, Duration.ofMinutes(5))) {
            g.ok("mount -t 9p -o trans=virtio,version=9p2000.L shared /mnt");
            assertEquals("written by the host", g.ok("cat /mnt/from-host.txt").strip());
            g.ok("mkdir -p /mnt/guest/deep && echo written by the guest > /mnt/guest/deep/note.txt");
            g.ok("dd if=/dev/urandom of=/mnt/guest/blob bs=64k count=16 2>/dev/null && md5sum /mnt/guest/blob > /tmp/sum");
            g.ok("mv /mnt/guest/deep/note.txt /mnt/guest/note.txt && rmdir /mnt/guest/deep");

            // escape attempts
            g.ok("ln -s / /mnt/toroot && ln -s ../../.. /mnt/up");
            assertNotEquals(0, g.sh("cat /mnt/hostlink", Duration.ofMinutes(1)).status(), "the host's link resolves in the guest");
            String viaLink = g.sh("ls /mnt/toroot/ && cat /mnt/toroot" + tmp.resolve("secret"), Duration.ofMinutes(1)).output();
            assertFalse(viaLink.contains("TOP SECRET"), viaLink);
            assertFalse(g.sh("cat /mnt/up" + tmp.resolve("secret"), Duration.ofMinutes(1)).output().contains("TOP SECRET"));
            assertFalse(g.sh("cat /mnt/../" + tmp.resolve("secret") + " /mnt/guest/../../secret", Duration.ofMinutes(1))
                    .output().contains("TOP SECRET"));
            Path planted = tmp.resolve("planted-by-guest");
            g.sh("echo planted > /mnt/toroot" + planted + "; echo planted > /mnt/up" + planted, Duration.ofMinutes(1));
            assertFalse(Files.exists(planted), "writes through the guest's links stay in the guest");

            g.ok("umount /mnt && mount -t 9p -o trans=virtio,version=9p2000.L shared /mnt && md5sum -c /tmp/sum");
            g.ok("umount /mnt");

            g.ok("mount -t 9p -o trans=virtio,version=9p2000.L fixed /mnt");
            assertEquals("read only", g.ok("cat /mnt/fixed.txt").strip());
            assertNotEquals(0, g.sh("echo x > /mnt/new.txt", Duration.ofMinutes(1)).status());
            assertNotEquals(0, g.sh("rm /mnt/fixed.txt", Duration.ofMinutes(1)).status());
            g.ok("umount /mnt");
        }
        assertEquals("written by the guest\n", Files.readString(share.resolve("guest/note.txt")));
        assertEquals(1 << 20, Files.size(share.resolve("guest/blob")));
        assertFalse(Files.exists(share.resolve("guest/deep")));
        assertTrue(Files.isSymbolicLink(share.resolve("toroot")), "the guest's link is only a link");
        assertEquals("TOP SECRET", Files.readString(tmp.resolve("secret")));
        assertFalse(Files.exists(ro.resolve("new.txt")));
        assertTrue(Files.exists(ro.resolve("fixed.txt")));
    }
}
