package jvisor.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jvisor.host.Json;
import jvisor.testing.Daemon;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The managed save, with the daemon in its own process as in production: SIGTERM while a guest
 * counts saves it into the state directory; the next daemon restores it and the count goes on
 * from where it was, in the same boot (the guest's files in RAM and its uptime survive).
 */
@Tag("system")
class ManagedSaveTest {
    private static final Duration CMD = Duration.ofMinutes(2);

    @TempDir Path dir;

    @Test
    void sigtermSavesAndTheNextDaemonContinues() throws Exception {
        LinuxGuest.assumeAvailable();
        Path state = dir.resolve("state");
        Process first = Daemon.serveProcess(state);
        long count1;
        double uptime1;
        try {
            Daemon d = Daemon.clientOf(state);
            d.ok(201, "POST", "/vms?start=true", Daemon.testGuest("counter"));
            try (Daemon.Console c = d.console("counter")) {
                c.awaitReady(Duration.ofMinutes(6));
                c.ok("(i=0; while true; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done &)", CMD);
                Thread.sleep(2000);
                count1 = Long.parseLong(c.ok("cat /tmp/count", CMD).strip());
                uptime1 = Double.parseDouble(c.ok("cut -d' ' -f1 /proc/uptime", CMD).strip());
                assertTrue(count1 > 0);
            }
        } finally {
            first.destroy(); // SIGTERM
            assertTrue(first.waitFor(3, TimeUnit.MINUTES), "the daemon exits after saving");
        }
        assertEquals(143, first.exitValue(), "ended by SIGTERM");
        JsonNode stored = Json.MAPPER.readTree(state.resolve("vms/counter.json").toFile());
        assertEquals("saved", stored.get("state").asText(), stored.toString());
        assertEquals("running", stored.get("resumeAs").asText());
        assertTrue(Files.size(state.resolve("saved/counter.jvs")) > 1 << 20);

        Process second = Daemon.serveProcess(state);
        try {
            Daemon d = Daemon.clientOf(state);
            assertEquals("running", d.ok(200, "GET", "/vms/counter", null).get("state").asText());
            try (Daemon.Console c = d.console("counter")) {
                long count2 = Long.parseLong(c.ok("cat /tmp/count", CMD).strip());
                double uptime2 = Double.parseDouble(c.ok("cut -d' ' -f1 /proc/uptime", CMD).strip());
                assertTrue(count2 >= count1, count1 + " then " + count2);
                assertTrue(uptime2 >= uptime1, "the same boot: uptime " + uptime1 + " then " + uptime2);
                Thread.sleep(1500);
                long count3 = Long.parseLong(c.ok("cat /tmp/count", CMD).strip());
                assertTrue(count3 > count2, "the counter goes on: " + count2 + " then " + count3);
            }
            assertEquals("stopped", d.ok(200, "POST", "/vms/counter/stop", null).get("state").asText());
        } finally {
            second.destroy();
            second.waitFor(1, TimeUnit.MINUTES);
        }
    }
}
