package jvisor.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import jvisor.testing.Daemon;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live migration between two daemons of this JVM, through their REST APIs: the Linux test guest,
 * busy with a shell computation and a loop that writes random data into memory, moves from one
 * daemon to the other and back ten times (-Djvisor.test.migrations=N for more), the last move by
 * the CLI; its shell variables survive, the computation ends with the right sum, and the VM is on
 * exactly one daemon at every step.
 */
@Tag("system")
class MigrationHostTest {
    private static final Duration BOOT = Duration.ofMinutes(6);
    private static final Duration CMD = Duration.ofMinutes(2);
    static final int SUM_STEPS = 60_000;

    @TempDir Path dir;

    /** What the guest's shell loop computes. */
    static long expectedSum() {
        long s = 0;
        for (int i = 0; i < SUM_STEPS; i++) s = (s * 31 + i) % 1_000_003;
        return s;
    }

    @Test
    void aBusyGuestMovesBackAndForthAndComputesOn() throws Exception {
        LinuxGuest.assumeAvailable();
        int moves = Integer.getInteger("jvisor.test.migrations", 10);
        try (Daemon a = Daemon.start(dir.resolve("a"), 4L << 30); Daemon b = Daemon.start(dir.resolve("b"), 4L << 30)) {
            a.ok(201, "POST", "/vms?start=true", Daemon.testGuest("g"));
            Daemon.Console c = a.console("g");
            c.awaitReady(BOOT);
            c.ok("KEPT=$((40 + 2))", CMD);
            c.type("(while true; do dd if=/dev/urandom of=/tmp/noise bs=64k count=32 2>/dev/null; done) &\n");
            c.type("(s=0; i=0; while [ $i -lt " + SUM_STEPS + " ]; do s=$(( (s * 31 + i) % 1000003 )); i=$((i + 1)); done;"
                    + " echo $s > /tmp/sum) &\n");
            c.ok("true", CMD);
            c.close();
            Daemon from = a, to = b;
            for (int k = 0; k < moves; k++) {
                JsonNode done = k == moves - 1 ? migrateByCli(from, to, "g") : migrate(from, to, "g");
                System.err.println("MigrationHostTest: " + done);
                System.err.printf("MigrationHostTest: move %d took %.2f s, %.1f ms stopped, %d pages in %d rounds%n", k,
                        done.get("totalSeconds").asDouble(), done.get("downtimeMs").asDouble(),
                        done.get("progress").get("pagesSent").asLong(), done.get("progress").get("round").asInt());
                assertEquals(404, from.call("GET", "/vms/g", null).status(), "the source still has the VM");
                assertEquals("running", to.ok(200, "GET", "/vms/g", null).get("state").asText());
                try (Daemon.Console on = to.console("g")) {
                    assertEquals("42\n", on.ok("echo $KEPT", CMD), "the shell's variable after move " + k);
                }
                Daemon t = from;
                from = to;
                to = t;
            }
            try (Daemon.Console on = from.console("g")) {
                long deadline = System.nanoTime() + CMD.toNanos();
                String sum;
                while ((sum = on.ok("cat /tmp/sum 2>/dev/null || true", CMD).strip()).isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                }
                assertEquals(String.valueOf(expectedSum()), sum, "the sum the guest computed across " + moves + " moves");
            }
            assertEquals("stopped", from.ok(200, "POST", "/vms/g/stop", null).get("state").asText());
        }
    }

    @Test
    void atomicsOnFourHartsStayExactAcrossAMigration() throws Exception {
        LinuxGuest.assumeAvailable();
        Path share = java.nio.file.Files.createDirectories(dir.resolve("share"));
        jvisor.machine.SnapshotLinuxTest.compileAtomics(share.resolve("atomics"));
        int rounds = 3_000_000;
        try (Daemon a = Daemon.start(dir.resolve("a"), 4L << 30); Daemon b = Daemon.start(dir.resolve("b"), 4L << 30)) {
            Map<String, Object> def = new java.util.LinkedHashMap<>(Daemon.testGuest("smp"));
            def.put("cpus", 4);
            def.put("memory", "256M");
            def.put("append", "console=ttyS0 quiet jvisor.modules=virtio_mmio,9p,9pnet_virtio");
            def.put("shares", java.util.List.of(share + ",tag=host"));
            a.ok(201, "POST", "/vms?start=true", def);
            try (Daemon.Console c = a.console("smp")) {
                c.awaitReady(BOOT);
                c.ok("mount -t 9p -o trans=virtio,version=9p2000.L host /mnt", CMD);
                c.type("/mnt/atomics " + rounds + "\n");
                c.await(java.util.regex.Pattern.compile("counting"), 0, CMD);
            }
            Thread.sleep(500);
            JsonNode done = migrate(a, b, "smp");
            System.err.println("MigrationHostTest: atomics " + done);
            try (Daemon.Console c = b.console("smp")) {
                c.await(java.util.regex.Pattern.compile("totals " + 4L * rounds + " " + 4L * rounds), 0, Duration.ofMinutes(5));
                assertEquals("ok\n", c.ok("ls /mnt/atomics >/dev/null && echo ok", CMD), "the share is still mounted");
            }
            assertEquals("stopped", b.ok(200, "POST", "/vms/smp/stop", null).get("state").asText());
        }
    }

    @Test
    void overTlsTheDestinationIsTrustedByItsFingerprint() throws Exception {
        LinuxGuest.assumeAvailable();
        jvisor.net.tls.ServerCertificate ca = jvisor.net.tls.ServerCertificate.generate(java.util.List.of());
        jvisor.net.tls.ServerCertificate cb = jvisor.net.tls.ServerCertificate.generate(java.util.List.of());
        try (Daemon a = Daemon.start(dir.resolve("a"), 4L << 30, ca, 0); Daemon b = Daemon.start(dir.resolve("b"), 4L << 30, cb, 0)) {
            a.ok(201, "POST", "/vms?start=true", Daemon.testGuest("t"));
            try (Daemon.Console c = a.console("t")) {
                c.awaitReady(BOOT);
                c.ok("KEPT=$((40 + 2))", CMD);
            }
            // An https destination needs its fingerprint; a wrong one is refused and the VM runs on.
            assertEquals("fingerprint", a.call("POST", "/vms/t/migrate", Map.of("to", b.uri().toString(), "token", b.token()))
                    .json().get("field").asText());
            a.ok(202, "POST", "/vms/t/migrate", Map.of("to", b.uri().toString(), "token", b.token(),
                    "fingerprint", ca.fingerprint().toString()));
            JsonNode refused = awaitEnd(a, "t");
            assertEquals("failed", refused.get("phase").asText(), refused.toString());
            assertTrue(refused.get("error").asText().contains("certificate"), refused.toString());
            assertEquals("running", a.ok(200, "GET", "/vms/t", null).get("state").asText());
            // The CLI sends the fingerprint it pins for the destination: control and data over TLS.
            JsonNode done = migrateByCli(a, b, "t");
            System.err.println("MigrationHostTest: over TLS " + done);
            try (Daemon.Console c = b.console("t")) {
                assertEquals("42\n", c.ok("echo $KEPT", CMD));
            }
            assertEquals("stopped", b.ok(200, "POST", "/vms/t/stop", null).get("state").asText());
        }
    }

    /** Waits until the source says how VM {@code name}'s migration ended. */
    static JsonNode awaitEnd(Daemon from, String name) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (true) {
            JsonNode s = from.ok(200, "GET", "/vms/" + name + "/migration", null);
            if (java.util.List.of("done", "failed", "cancelled", "unknown").contains(s.get("phase").asText())) return s;
            if (System.nanoTime() > deadline) throw new AssertionError("the migration did not end: " + s);
            Thread.sleep(50);
        }
    }

    /** Migrates {@code name} with {@code jvisor vm migrate}; returns the source's status of the migration. */
    private JsonNode migrateByCli(Daemon from, Daemon to, String name) throws Exception {
        Path tokenFile = dir.resolve("to-token"), fromToken = dir.resolve("from-token");
        java.nio.file.Files.writeString(tokenFile, to.token());
        java.nio.file.Files.writeString(fromToken, from.token());
        java.io.PrintStream out = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
        int status;
        try {
            status = jvisor.cli.Main.execute(new String[] {"vm", "--host", from.uri().toString(), "--token-file",
                    fromToken.toString(), "--known-hosts", dir.resolve("known-hosts").toString(), "migrate", name, "--to",
                    to.uri().toString(), "--to-token-file", tokenFile.toString(), "--max-downtime", "40"});
        } finally {
            System.setOut(out);
        }
        String text = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, status, text);
        assertTrue(text.startsWith(name + ": migrated to " + to.uri()), text);
        return from.ok(200, "GET", "/vms/" + name + "/migration", null);
    }

    /** Migrates {@code name} and waits until the source says how it ended; returns that status. */
    static JsonNode migrate(Daemon from, Daemon to, String name) throws InterruptedException {
        JsonNode started = from.ok(202, "POST", "/vms/" + name + "/migrate",
                Map.of("to", to.uri().toString(), "token", to.token()));
        assertEquals(to.uri().toString(), started.get("to").asText());
        JsonNode s = awaitEnd(from, name);
        if (!s.get("phase").asText().equals("done")) throw new AssertionError("the migration ended " + s.get("phase").asText() + ": " + s);
        return s;
    }
}
