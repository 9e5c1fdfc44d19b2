package jvisor.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import jvisor.testing.Daemon;
import jvisor.testing.GdbBatch;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VM of the host daemon defined with {@code gdb} is reachable by gdb as {@code jvisor run --gdb}
 * is: gdb stops it, reads its registers, detaches, and the guest goes on answering.
 */
@Tag("system")
class HostGdbTest {
    static final Duration BOOT = Duration.ofMinutes(10), CMD = Duration.ofMinutes(2);

    @TempDir Path dir;

    @Test
    void gdbReachesADaemonsVm() throws Exception {
        LinuxGuest.assumeAvailable();
        GdbBatch.assumeAvailable();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (Daemon d = Daemon.start(dir.resolve("state"), 4L << 30)) {
            Map<String, Object> vm = Daemon.testGuest("dbg");
            vm.put("gdb", "tcp::" + port);
            assertEquals("running", d.ok(201, "POST", "/vms?start=true", vm).get("state").asText());
            try (Daemon.Console c = d.console("dbg")) {
                c.awaitReady(BOOT);
                String out = GdbBatch.run(null, port, List.of("info registers pc", "p $priv", "detach"), CMD);
                assertTrue(out.contains("pc "), "gdb read no pc:\n" + out);
                assertTrue(out.contains("Detaching") || out.contains("detached"), "gdb did not detach:\n" + out);
                assertEquals("after-gdb-42\n", c.ok("echo after-gdb-$((6*7))", CMD));
            }
            String bad = d.call("POST", "/vms", Map.of("name", "x", "kernel", LinuxGuest.dir().resolve("vmlinux").toString(),
                    "gdb", "tcp::notaport")).text();
            assertTrue(bad.contains("gdb"), bad);
        }
    }
}
