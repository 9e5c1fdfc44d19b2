package jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import jvisor.host.Json;
import jvisor.testing.Daemon;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvisor vm ...} against a daemon over real HTTP: a test guest's whole life through the
 * CLI (define, list, start, console through a pipe, pause, resume, save, restore, stats, logs,
 * stop, rm), and the daemon's refusals as one line and exit status 1.
 */
class VmCliTest {
    @TempDir Path dir;

    private record Result(int status, String out, String err) {}

    private Result vm(Daemon d, String stdin, String... args) {
        return vmWithToken(d, dir.resolve("state/token"), stdin, args);
    }

    private Result vmWithToken(Daemon d, Path token, String stdin, String... args) {
        PrintStream out = System.out, err = System.err;
        InputStream in = System.in;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        if (stdin != null) System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            String[] all = new String[args.length + 5];
            all[0] = "vm";
            all[1] = "--host";
            all[2] = d.uri().toString();
            all[3] = "--token-file";
            all[4] = token.toString();
            System.arraycopy(args, 0, all, 5, args.length);
            return new Result(Main.execute(all), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
    }

    private Result ok(Daemon d, String... args) {
        Result r = vm(d, null, args);
        assertEquals(0, r.status, r.err + r.out);
        return r;
    }

    @Test
    void refusalsAreOneLineAndStatusOne() throws IOException {
        try (Daemon d = Daemon.start(dir.resolve("state"), 1L << 30)) {
            Result r = vm(d, null, "start", "ghost");
            assertEquals(1, r.status);
            assertEquals("jvisor: no VM called 'ghost' (see the list of VMs)", r.err.strip());
            r = vm(d, null, "define", "k", "--kernel", dir.resolve("missing").toString());
            assertEquals(1, r.status);
            assertTrue(r.err.contains("no such readable file") && r.err.contains("missing"), r.err);
            Files.writeString(dir.resolve("bad-token"), "nope\n");
            r = vmWithToken(d, dir.resolve("bad-token"), null, "list");
            assertEquals(1, r.status);
            assertTrue(r.err.contains("wrong bearer token"), r.err);
            assertEquals("NAME  STATE  CPUS  MEMORY  BOOT  REASON", ok(d, "list").out.strip());
            r = vm(d, null, "define", "k", "--kernel", dir.resolve("missing").toString(), "--cpu", "h=maybe");
            assertEquals(1, r.status);
            assertTrue(r.err.contains("--cpu h=maybe: expected h=on or h=off"), r.err);
            // --cpu reaches the definition
            Path kernel = Files.write(dir.resolve("kernel"), new byte[4096]);
            assertEquals("k: defined", ok(d, "define", "k", "--kernel", kernel.toString(), "--cpu", "h=off").out.strip());
            assertEquals("h=off", Json.MAPPER.readTree(ok(d, "list", "--json").out).get(0).get("definition").get("cpu").asText());
        }
        Result r = vm(Daemon.client(java.net.URI.create("http://127.0.0.1:1"), "t"), null, "list");
        assertEquals(1, r.status, r.err);
        assertTrue(r.err.contains("cannot reach the daemon at http://127.0.0.1:1"), r.err);
    }

    @Tag("system")
    @Test
    void aGuestsLifeThroughTheCli() throws Exception {
        LinuxGuest.assumeAvailable();
        Path g = LinuxGuest.dir();
        try (Daemon d = Daemon.start(dir.resolve("state"), 1L << 30)) {
            assertEquals("c1: defined", ok(d, "define", "c1", "--kernel", g.resolve("vmlinux").toString(), "--initrd",
                    g.resolve("initrd.gz").toString(), "--append", "console=ttyS0 quiet jvisor.modules=virtio_mmio", "-m", "128M")
                    .out.strip());
            assertTrue(ok(d, "list").out.lines().anyMatch(l -> l.matches("c1 +defined +1 +128M +vmlinux")), ok(d, "list").out);
            assertEquals("c1: running", ok(d, "start", "c1").out.strip());
            JsonNode list = Json.MAPPER.readTree(ok(d, "list", "--json").out);
            assertEquals("running", list.get(0).get("state").asText());
            try (Daemon.Console c = d.console("c1")) {
                c.awaitReady(Duration.ofMinutes(6));
            }
            // The console through pipes: stdin is typed, the answer comes back on stdout.
            Result r = vm(d, "echo piped-$((6 * 7))\n", "console", "c1", "--no-replay", "--linger", "3");
            assertEquals(0, r.status, r.err);
            assertTrue(r.out.contains("piped-42"), r.out);

            assertEquals("c1: paused", ok(d, "pause", "c1").out.strip());
            assertEquals("c1: running", ok(d, "resume", "c1").out.strip());
            assertEquals("c1: saved", ok(d, "save", "c1").out.strip());
            assertEquals(1, vm(d, null, "start", "c1").status, "a saved VM restores, it does not start");
            assertEquals("c1: running", ok(d, "restore", "c1").out.strip());
            r = vm(d, "echo after-restore\n", "console", "c1", "--no-replay", "--linger", "3");
            assertTrue(r.out.contains("after-restore\r\n"), r.out);

            String stats = ok(d, "stats", "c1").out;
            assertTrue(stats.matches("(?s).*state +running.*memoryBytes +128M.*"), stats); // columns as wide as the longest key
            assertTrue(ok(d, "logs", "c1").out.contains("piped-42"));
            assertEquals("c1: stopped (stopped by the host)", ok(d, "stop", "c1").out.strip());
            assertEquals("c1: deleted", ok(d, "rm", "c1").out.strip());
            assertEquals(1, vm(d, null, "stats", "c1").status);
        }
    }
}
