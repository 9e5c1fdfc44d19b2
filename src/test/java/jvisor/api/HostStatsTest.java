package jvisor.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import jvisor.net.tls.ServerCertificate;
import jvisor.testing.Daemon;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test guest with a disk and user networking in a daemon that serves HTTPS: its console
 * WebSocket works over TLS, and the stats count what the guest reads from and writes to the disk
 * and the frames of a ping through user networking.
 */
@Tag("system")
class HostStatsTest {
    private static final Duration BOOT = Duration.ofMinutes(6), CMD = Duration.ofMinutes(2);

    @TempDir Path dir;

    /** Runs the CLI in this JVM; returns what it printed (failing unless it exits with 0). */
    private static String cli(String... args) {
        java.io.PrintStream out = System.out;
        java.io.ByteArrayOutputStream o = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(o, true, java.nio.charset.StandardCharsets.UTF_8));
        int status;
        try {
            status = jvisor.cli.Main.execute(args);
        } finally {
            System.setOut(out);
        }
        assertEquals(0, status, o.toString());
        return o.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void diskAndNetworkTrafficIsCounted() throws Exception {
        LinuxGuest.assumeAvailable();
        Path disk = dir.resolve("disk.img");
        Files.write(disk, new byte[4 << 20]);
        ServerCertificate cert = ServerCertificate.generate(List.of());
        try (Daemon d = Daemon.start(dir.resolve("state"), 1L << 30, cert, 0)) {
            Map<String, Object> def = Daemon.testGuest("io");
            def.put("append", "console=ttyS0 quiet jvisor.modules=virtio_mmio,virtio_blk,virtio_net");
            def.put("disks", List.of(disk.toString()));
            def.put("nets", List.of("user"));
            d.ok(201, "POST", "/vms?start=true", def);
            try (Daemon.Console c = d.console("io")) { // over wss://
                c.awaitReady(BOOT);
                JsonNode s = d.ok(200, "GET", "/vms/io/stats", null);
                JsonNode vda = s.get("disks").get(0), nic = s.get("nics").get(0);
                assertEquals(disk.toString(), vda.get("image").asText(), s.toString());
                assertEquals("52:54:00:12:34:56", nic.get("mac").asText(), s.toString());
                long read0 = vda.get("readBytes").asLong(), written0 = vda.get("writtenBytes").asLong();
                long tx0 = nic.get("txPackets").asLong(), rx0 = nic.get("rxPackets").asLong();

                c.ok("dd if=/dev/vda of=/dev/null bs=64k 2>/dev/null", CMD);
                c.ok("dd if=/dev/zero of=/dev/vda bs=4k count=16 conv=fsync 2>/dev/null", CMD);
                c.ok("ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ping -c 3 10.0.2.2 >/dev/null", CMD);

                s = d.ok(200, "GET", "/vms/io/stats", null);
                vda = s.get("disks").get(0);
                nic = s.get("nics").get(0);
                assertTrue(vda.get("readBytes").asLong() - read0 >= (4 << 20) - (64 << 10), s.toString()); // the whole disk, less what the cache held
                assertTrue(vda.get("reads").asLong() > 0, s.toString());
                assertTrue(vda.get("writtenBytes").asLong() - written0 >= 64 << 10, s.toString());
                assertTrue(vda.get("writes").asLong() > 0, s.toString());
                assertTrue(nic.get("txPackets").asLong() - tx0 >= 3 && nic.get("rxPackets").asLong() - rx0 >= 3, s.toString());
                assertTrue(nic.get("txBytes").asLong() >= 3 * 98 && nic.get("rxBytes").asLong() >= 3 * 98, s.toString()); // 3 echo requests, 3 replies

                // The CLI's table, over the same TLS (pinned by --fingerprint).
                String table = cli("vm", "--host", d.uri().toString(), "--token-file", dir.resolve("state/token").toString(),
                        "--fingerprint", cert.fingerprint().toString(), "stats", "io");
                assertTrue(table.lines().anyMatch(l -> l.matches("disk +" + java.util.regex.Pattern.quote(disk.toString())
                        + ": read [0-9.]+ MiB in \\d+ requests, written [0-9.]+ KiB in \\d+")), table);
                assertTrue(table.lines().anyMatch(l -> l.matches("net +52:54:00:12:34:56: rx .* in \\d+ packets, tx .* in \\d+ packets")), table);
            }
            d.ok(200, "POST", "/vms/io/stop", null);
        }
    }
}
