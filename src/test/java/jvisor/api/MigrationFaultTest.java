package jvisor.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import jvisor.testing.CutProxy;
import jvisor.testing.Daemon;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live migrations that break: the link cut at each phase (during pre-copy, during stop-and-copy,
 * once all state is sent, and when the destination runs the VM but has not confirmed it; the
 * proxy resets the control connection, and either end then closes the data connection, as a
 * broken link ends both), and
 * the destination daemon killed (a process of its own, SIGKILL) during pre-copy, during
 * stop-and-copy and once all state is sent. Each time the VM survives on exactly one host,
 * running, with its shell state, and the source's API says what happened. The VM serves a web
 * page through a host forward: the port moves with it between the two daemons of this machine
 * (the source lets go of it at its final stop, and takes it back when the VM stays), so the page
 * is there through the same port wherever the VM runs.
 */
@Tag("system")
class MigrationFaultTest {
    private static final Duration BOOT = Duration.ofMinutes(6);
    private static final Duration CMD = Duration.ofMinutes(2);
    /** The source's events that open each phase, in order. */
    private static final List<String> PHASES = List.of("migration round 1", "migration: g stopped here",
            "migration: all state sent");
    /** The destination's event when it runs the VM, just before it confirms. */
    private static final String ARRIVED = "arrived by live migration";

    @TempDir Path dir;
    private java.net.InetSocketAddress forward;

    @Test
    void theVmSurvivesOnExactlyOneHostWhateverBreaks() throws Exception {
        LinuxGuest.assumeAvailable();
        try (java.net.ServerSocket free = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            forward = (java.net.InetSocketAddress) free.getLocalSocketAddress();
        }
        try (Daemon a = Daemon.start(dir.resolve("a"), 4L << 30)) {
            Map<String, Object> g = new java.util.LinkedHashMap<>(Daemon.testGuest("g"));
            g.put("append", "console=ttyS0 quiet jvisor.modules=virtio_mmio,virtio_net");
            g.put("nets", List.of("user,hostfwd=tcp:127.0.0.1:" + forward.getPort() + "-:8080"));
            a.ok(201, "POST", "/vms?start=true", g);
            try (Daemon.Console c = a.console("g")) {
                c.awaitReady(BOOT);
                c.ok("KEPT=$((40 + 2))", CMD);
                c.ok("ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && mkdir -p /www"
                        + " && echo served-by-g > /www/index.html && (httpd -p 8080 -h /www &)", CMD);
            }
            checkOnlyOn(a, null, "before any migration");
            // Bad requests name the field to fix.
            assertEquals("to", a.call("POST", "/vms/g/migrate", Map.of("token", "x")).json().get("field").asText());
            assertEquals("to", a.call("POST", "/vms/g/migrate", Map.of("to", "ftp://h:1", "token", "x")).json().get("field").asText());
            assertEquals("token", a.call("POST", "/vms/g/migrate", Map.of("to", "http://127.0.0.1:1")).json().get("field").asText());
            assertEquals("maxDowntimeMs", a.call("POST", "/vms/g/migrate",
                    Map.of("to", "http://127.0.0.1:1", "token", "x", "maxDowntimeMs", 0)).json().get("field").asText());
            // No daemon at the destination: the migration fails at once and g runs on.
            a.ok(202, "POST", "/vms/g/migrate", Map.of("to", "http://127.0.0.1:1", "token", "x"));
            JsonNode refused = awaitEnd(a);
            assertEquals("failed", refused.get("phase").asText(), refused.toString());
            // The link cut at each phase; the destination stays up.
            try (Daemon b = Daemon.start(dir.resolve("b"), 4L << 30); CutProxy link = new CutProxy(b.uri())) {
                for (String phase : PHASES) {
                    Daemon on = breakAt(a, a, phase, link::cut, link.uri(), b.token());
                    checkOnlyOn(on, on == a ? b : a, "link cut at '" + phase + "'");
                    if (on != a) moveBack(b, a);
                }
                Daemon on = breakAt(a, b, ARRIVED, link::cut, link.uri(), b.token());
                assertTrue(on != a, "the destination ran the VM, so it must stay there");
                checkOnlyOn(b, a, "link cut before the confirmation");
                moveBack(b, a);
            }
            // The destination killed at each phase.
            Path bState = dir.resolve("b2");
            for (String phase : PHASES) {
                Process b = Daemon.serveProcess(bState);
                Daemon bc = Daemon.clientOf(bState);
                Daemon on = breakAt(a, a, phase, () -> b.destroyForcibly(), bc.uri(), bc.token());
                b.waitFor(1, TimeUnit.MINUTES);
                assertTrue(on == a, "the destination died, so the VM must run on at the source (" + phase + ")");
                checkOnlyOn(a, null, "destination killed at '" + phase + "'");
            }
            assertEquals("stopped", a.ok(200, "POST", "/vms/g/stop", null).get("state").asText());
        }
    }

    /**
     * Migrates g from {@code a} to {@code to}, running {@code fault} when {@code watched} (source
     * or destination) announces {@code phase}; returns the daemon that holds g afterwards
     * ({@code a}, or a client of {@code to}).
     */
    private static Daemon breakAt(Daemon a, Daemon watched, String phase, Runnable fault, java.net.URI to, String token)
            throws Exception {
        AtomicBoolean fired = new AtomicBoolean();
        try (AutoCloseable sub = watched.host().subscribe(e -> {
            if (e.vm().equals("g") && e.message().startsWith(phase) && fired.compareAndSet(false, true)) fault.run();
        })) {
            a.ok(202, "POST", "/vms/g/migrate", Map.of("to", to.toString(), "token", token));
            JsonNode s = awaitEnd(a);
            assertTrue(fired.get(), "the migration never reached '" + phase + "': " + s);
            String outcome = s.get("phase").asText();
            assertTrue(s.hasNonNull("error") || outcome.equals("done"), "the source's API says what happened: " + s);
            System.err.println("MigrationFaultTest: " + phase + " -> " + outcome + ": " + s.path("error").asText(""));
            return outcome.equals("done") ? Daemon.client(to, token) : a;
        }
    }

    private static JsonNode awaitEnd(Daemon a) throws InterruptedException {
        JsonNode s = MigrationHostTest.awaitEnd(a, "g");
        assertTrue(!s.get("phase").asText().equals("unknown"), "the destination was reachable, so the outcome is known: " + s);
        return s;
    }

    /**
     * g runs on {@code on} and answers with its shell state and its web page through the host
     * forward; {@code other} (if up) does not have it.
     */
    private void checkOnlyOn(Daemon on, Daemon other, String what) throws InterruptedException {
        assertEquals("running", on.ok(200, "GET", "/vms/g", null).get("state").asText(), what);
        if (other != null) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (other.call("GET", "/vms/g", null).status() != 404) { // an incoming copy is dropped once its link ends
                if (System.nanoTime() > deadline) throw new AssertionError(what + ": both hosts have g: " + other.call("GET", "/vms/g", null).text());
                Thread.sleep(50);
            }
        }
        try (Daemon.Console c = on.console("g")) {
            assertEquals("42\n", c.ok("echo $KEPT", CMD), what);
        }
        String page = jvisor.testing.PlainHttp.get(forward, "/index.html");
        assertTrue(page.contains(" 200 ") && page.contains("served-by-g"), what + ": through the forward: " + page);
    }

    private static void moveBack(Daemon from, Daemon to) throws InterruptedException {
        MigrationHostTest.migrate(from, to, "g");
    }
}
