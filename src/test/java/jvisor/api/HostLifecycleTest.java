package jvisor.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import jvisor.machine.Machine;
import jvisor.machine.Snapshot;
import jvisor.testing.Daemon;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several Linux test guests in one daemon, driven through raw HTTP and the console WebSocket:
 * each reaches its shell and answers; pause, resume, save, restore and stop; a VM made to fail
 * goes to crashed while the others keep answering. {@code -Djvisor.test.vms=10} runs ten (the
 * default, three, keeps the suite's time down on two cores).
 */
@Tag("system")
class HostLifecycleTest {
    private static final Duration BOOT = Duration.ofMinutes(6);
    private static final Duration CMD = Duration.ofMinutes(2);

    @TempDir Path dir;

    @Test
    void manyGuestsInOneDaemon() throws Exception {
        LinuxGuest.assumeAvailable();
        int n = Integer.getInteger("jvisor.test.vms", 3);
        try (Daemon d = Daemon.start(dir.resolve("state"), 16L << 30)) {
            List<String> events = new CopyOnWriteArrayList<>();
            Thread sse = followEvents(d, events);
            long t0 = System.nanoTime();
            List<String> names = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                names.add("g" + i);
                assertEquals("running", d.ok(201, "POST", "/vms?start=true", Daemon.testGuest("g" + i)).get("state").asText());
            }
            // Every guest reaches its shell and answers a command over its console WebSocket.
            List<Daemon.Console> consoles = new ArrayList<>();
            for (String name : names) consoles.add(d.console(name));
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<String>> answers = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    Daemon.Console c = consoles.get(i);
                    int k = i;
                    answers.add(pool.submit(() -> {
                        c.awaitReady(BOOT);
                        return c.ok("echo vm-$((" + k + " * 7))", CMD);
                    }));
                }
                for (int i = 0; i < n; i++) assertEquals("vm-" + i * 7 + "\n", answers.get(i).get());
            }
            System.err.printf("HostLifecycleTest: %d guests booted and answered in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
            assertTrue(isa(consoles.get(0)).contains("h"), "the default cpu (h=on) tells the guest of H");

            // A second viewer gets the output so far replayed, and both see what one types.
            Daemon.Console c0 = consoles.get(0);
            try (Daemon.Console second = d.console("g0")) {
                second.awaitReady(CMD);
                c0.ok("echo both-see-this", CMD);
                second.await(Pattern.compile("both-see-this\r?\n"), 0, CMD);
            }

            // Pause stops the guest's instructions; resume lets it go on.
            d.ok(200, "POST", "/vms/g0/pause", null);
            long before = d.ok(200, "GET", "/vms/g0/stats", null).get("instructions").asLong();
            Thread.sleep(300);
            assertEquals(before, d.ok(200, "GET", "/vms/g0/stats", null).get("instructions").asLong());
            assertEquals(409, d.call("POST", "/vms/g0/start", null).status());
            d.ok(200, "POST", "/vms/g0/resume", null);
            assertEquals("still-here\n", c0.ok("echo still-here", CMD));
            assertEquals(409, d.call("POST", "/vms/g0/start", null).status(), "starting a running VM");

            // Save ends the run; restore continues it: the shell's variables survive.
            c0.ok("KEPT=$((40 + 2))", CMD);
            assertEquals("saved", d.ok(200, "POST", "/vms/g0/save", null).get("state").asText());
            assertTrue(Files.size(dir.resolve("state/saved/g0.jvs")) > 1 << 20);
            assertEquals("running", d.ok(200, "POST", "/vms/g0/restore", null).get("state").asText());
            assertEquals("42\n", c0.ok("echo $KEPT", CMD));

            // A host exception in one VM's device (its UART's console) crashes that VM only.
            d.host().get("g1").injectFault("a device failed (test)");
            consoles.get(1).type("echo poke\n");
            JsonNode crashed = awaitState(d, "g1", "crashed");
            assertTrue(crashed.get("reason").asText().contains("a device failed (test)"), crashed.toString());
            for (int i = 0; i < n; i++) {
                if (i != 1) assertEquals("alive-" + i + "\n", consoles.get(i).ok("echo alive-" + i, CMD));
            }
            assertTrue(d.call("GET", "/vms/g1/logs", null).text().contains("a device failed (test)"));
            // A crashed VM boots again.
            d.ok(200, "POST", "/vms/g1/start", null);

            // Stats of a running VM.
            JsonNode stats = d.ok(200, "GET", "/vms/g0/stats", null);
            assertTrue(stats.get("instructions").asLong() > 0 && stats.get("cpuSeconds").get(0).asDouble() > 0, stats.toString());
            assertTrue(stats.get("touchedBytes").asLong() > 0 && stats.get("touchedBytes").asLong() <= 128L << 20, stats.toString());

            for (String name : names) assertEquals("stopped", d.ok(200, "POST", "/vms/" + name + "/stop", null).get("state").asText());
            assertEquals(0, d.ok(200, "GET", "", null).get("usedMemory").asLong());
            for (Daemon.Console c : consoles) c.close();
            sse.interrupt();
            assertTrue(events.stream().anyMatch(e -> e.contains("\"g1\"") && e.contains("crashed")), events.toString());
            assertTrue(events.stream().anyMatch(e -> e.contains("\"g0\"") && e.contains("\"saved\"")), events.toString());
        }
    }

    /**
     * A VM defined with {@code "cpu": "h=off"}: its guest's ISA has no H, its saved harts have
     * none, and after a restore and a guest reboot (which boots the definition again) it still has none.
     */
    @Test
    void aVmDefinedWithoutTheHypervisorExtension() throws Exception {
        LinuxGuest.assumeAvailable();
        try (Daemon d = Daemon.start(dir.resolve("state"), 16L << 30)) {
            Map<String, Object> def = Daemon.testGuest("noh");
            def.put("cpu", "h=off");
            assertEquals("h=off", d.ok(201, "POST", "/vms?start=true", def).get("definition").get("cpu").asText());
            try (Daemon.Console c = d.console("noh")) {
                c.awaitReady(BOOT);
                assertFalse(isa(c).contains("h"), "the guest was told of H");

                Path saved = dir.resolve("noh.jvs");
                d.ok(200, "POST", "/vms/noh/save", Map.of("file", saved.toString()));
                try (Machine m = Snapshot.restore(saved, OutputStream.nullOutputStream(), Map.of())) {
                    for (int i = 0; i < m.hartCount(); i++) assertFalse(m.hart(i).hypervisor(), "saved hart " + i + " has H");
                }
                assertEquals("running", d.ok(200, "POST", "/vms/noh/restore", null).get("state").asText());
                assertEquals("back\n", c.ok("echo back", CMD));

                int from = c.text().length();
                d.ok(200, "POST", "/vms/noh/reboot", null);
                c.await(Pattern.compile("^" + LinuxGuest.READY + "\\r?\\n", Pattern.MULTILINE), from, BOOT);
                assertFalse(isa(c).contains("h"), "after the reboot the guest was told of H");
            }
            d.ok(200, "POST", "/vms/noh/stop", null);
        }
    }

    /** The base ISA the guest's kernel reports (/proc/cpuinfo's isa up to the first '_'), e.g. rv64imafdch. */
    private static String isa(Daemon.Console c) {
        return c.ok("sed -n 's/^isa[[:space:]]*: *\\([a-z0-9]*\\).*/\\1/p' /proc/cpuinfo | head -1", CMD).strip();
    }

    private static JsonNode awaitState(Daemon d, String name, String state) throws InterruptedException {
        long deadline = System.nanoTime() + CMD.toNanos();
        while (true) {
            JsonNode vm = d.ok(200, "GET", "/vms/" + name, null);
            if (vm.get("state").asText().equals(state)) return vm;
            if (System.nanoTime() > deadline) throw new AssertionError(name + " did not become " + state + ": " + vm);
            Thread.sleep(50);
        }
    }

    /** Collects the "data:" lines of the event stream on a virtual thread. */
    private static Thread followEvents(Daemon d, List<String> events) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(URI.create(d.uri() + ApiServer.BASE + "/events"))
                .header("Authorization", "Bearer " + d.token()).build();
        HttpResponse<java.io.InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        return Thread.ofVirtual().start(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) if (line.startsWith("data:")) events.add(line);
            } catch (IOException e) {
                // the daemon closed
            }
        });
    }
}
