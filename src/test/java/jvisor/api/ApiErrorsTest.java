package jvisor.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import jvisor.host.Json;
import jvisor.testing.Daemon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input to the REST API, through a real HTTP client: each gets its status and a JSON
 * message that says what to fix, and changes nothing. No guest runs here.
 */
class ApiErrorsTest {
    @TempDir static Path dir;
    static Daemon daemon;
    static Path kernel;

    @BeforeAll
    static void start() throws IOException {
        daemon = Daemon.start(dir.resolve("state"), 256L << 20);
        // An Image's second magic without its first: a damaged Image (arbitrary bytes would be a raw binary to run).
        byte[] damaged = new byte[4096];
        System.arraycopy("RSC\u0005".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, damaged, 56, 4);
        kernel = Files.write(dir.resolve("not-a-kernel"), damaged);
    }

    @AfterAll
    static void stop() throws IOException {
        daemon.close();
    }

    /** Asserts the status and that the error message contains every one of {@code parts}. */
    private static Daemon.Answer rejected(Daemon.Answer a, int status, String... parts) {
        assertEquals(status, a.status(), a.text());
        assertNotNull(a.error(), "a JSON error: " + a.text());
        assertFalse(a.text().contains("\tat "), "no stack trace: " + a.text());
        for (String p : parts) assertTrue(a.error().contains(p), "'" + p + "' in: " + a.error());
        return a;
    }

    private static Map<String, Object> vm(String name, Object... more) {
        Map<String, Object> d = new java.util.LinkedHashMap<>();
        d.put("name", name);
        d.put("kernel", kernel.toString());
        d.put("memory", "64M");
        for (int i = 0; i < more.length; i += 2) d.put((String) more[i], more[i + 1]);
        return d;
    }

    @Test
    void tokenIsRequiredAndWrittenPrivately() throws IOException {
        rejected(daemon.call("GET", "/vms", null, null), 401, "no bearer token");
        rejected(daemon.call("GET", "/vms", null, "Bearer nope"), 401, "wrong bearer token");
        rejected(daemon.call("GET", "/nowhere", null, null), 401);
        rejected(daemon.call("GET", "", null, null), 401, "no bearer token"); // the base path too
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("state/token"))));
    }

    @Test
    void unknownRoutesAndVms() {
        rejected(daemon.call("GET", "/nowhere", null), 404, "no such route", "openapi.json");
        rejected(daemon.call("GET", "/vms/ghost", null), 404, "no VM called 'ghost'");
        rejected(daemon.call("POST", "/vms/ghost/start", null), 404, "ghost");
        rejected(daemon.call("DELETE", "/vms/ghost", null), 404, "ghost");
        rejected(daemon.call("GET", "/vms/ghost/logs", null), 404, "ghost");
    }

    @Test
    void malformedDefinitions() {
        rejected(daemon.call("POST", "/vms", "{\"name\": "), 400, "not valid JSON");
        rejected(daemon.call("POST", "/vms", ""), 400, "VM definition");
        assertEquals("colour", rejected(daemon.call("POST", "/vms", vm("a", "colour", "red")), 400, "unknown field 'colour'", "kernel")
                .json().get("field").asText());
        assertEquals("cpus", rejected(daemon.call("POST", "/vms", vm("a", "cpus", "many")), 400, "cpus").json().get("field").asText());
        assertEquals("cpus", rejected(daemon.call("POST", "/vms", vm("a", "cpus", 99)), 400, "1 to 32").json().get("field").asText());
        assertEquals("cpu", rejected(daemon.call("POST", "/vms", vm("a", "cpu", "h=maybe")), 400, "--cpu h=maybe", "h=on or h=off")
                .json().get("field").asText());
        assertEquals("memory", rejected(daemon.call("POST", "/vms", vm("a", "memory", "lots")), 400, "not a size").json().get("field").asText());
        assertEquals("name", rejected(daemon.call("POST", "/vms", vm("no/slash")), 400, "name").json().get("field").asText());
        assertEquals("kernel", rejected(daemon.call("POST", "/vms", vm("a", "kernel", dir.resolve("missing").toString())), 400,
                "missing", "no such readable file").json().get("field").asText());
        assertEquals("kernel", rejected(daemon.call("POST", "/vms", vm("a", "kernel", "relative/Image")), 400,
                "absolute path").json().get("field").asText());
        assertEquals("disks", rejected(daemon.call("POST", "/vms", vm("a", "disks", java.util.List.of(dir.resolve("no.qcow2").toString()))),
                400, "no.qcow2").json().get("field").asText());
        assertEquals("image", rejected(daemon.call("POST", "/vms", Map.of("name", "a", "image", "plan9")), 400, "plan9").json().get("field").asText());
        rejected(daemon.call("POST", "/vms", "{\"name\": \"a\", \"kernel\": \"" + kernel + "\", \"append\": \"" + "x".repeat(70_000) + "\"}"),
                413, "larger than 64 KiB");
        assertEquals(404, daemon.call("GET", "/vms/a", null).status(), "nothing was defined");
    }

    @Test
    void duplicateNamesAndWrongStates() {
        daemon.ok(201, "POST", "/vms", vm("dup"));
        rejected(daemon.call("POST", "/vms", vm("dup")), 409, "'dup' exists");
        for (String verb : new String[] {"pause", "resume", "save", "reboot", "stop"}) {
            rejected(daemon.call("POST", "/vms/dup/" + verb, null), 409, "dup is defined");
        }
        rejected(daemon.call("POST", "/vms/dup/restore", null), 409, "only a saved VM");
        // Starting reads the kernel: not a RISC-V image is the user's to fix, and the VM stays defined.
        rejected(daemon.call("POST", "/vms/dup/start", null), 400, "not-a-kernel");
        assertEquals("defined", daemon.ok(200, "GET", "/vms/dup", null).get("state").asText());
        // A stopped VM can be redefined; the name in the path wins.
        JsonNode updated = daemon.ok(200, "PUT", "/vms/dup", vm("other", "memory", "32M"));
        assertEquals("dup", updated.get("name").asText());
        assertEquals("32M", updated.get("definition").get("memory").asText());
        daemon.ok(204, "DELETE", "/vms/dup", null);
        rejected(daemon.call("GET", "/vms/dup", null), 404);
    }

    @Test
    void guestMemoryIsAccountedAgainstTheLimit() {
        daemon.ok(201, "POST", "/vms", vm("big", "memory", "512M"));
        rejected(daemon.call("POST", "/vms/big/start", null), 409, "not enough memory for big", "512M", "--max-memory");
        assertEquals("defined", daemon.ok(200, "GET", "/vms/big", null).get("state").asText());
        assertEquals(0, daemon.ok(200, "GET", "", null).get("usedMemory").asLong());
        daemon.ok(204, "DELETE", "/vms/big", null);
    }

    /** Every route in openapi.json is served, and every served route is in openapi.json. */
    @Test
    void openApiDocumentMatchesTheRoutes() throws IOException {
        JsonNode doc = daemon.ok(200, "GET", "/openapi.json", null);
        assertEquals("3.0.3", doc.get("openapi").asText());
        Set<String> documented = new HashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("paths").properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            p.getValue().properties().forEach(m -> documented.add(m.getKey().toUpperCase(Locale.ROOT) + " " + p.getKey()));
        }
        Set<String> served = new HashSet<>();
        for (Routes.Route r : Routes.ALL) served.add(r.method() + " " + r.path());
        assertEquals(served, documented);
        // And the server answers each of them (a made-up VM is 404 "no VM", never "no such route").
        for (String route : documented) {
            String[] mp = route.split(" ", 2);
            if (mp[1].endsWith("/console") || mp[1].endsWith("/incoming") || mp[1].endsWith("/events")) continue; // WebSocket, SSE: other tests
            Daemon.Answer a = daemon.call(mp[0], mp[1].substring(ApiServer.BASE.length()).replace("{name}", "ghost"),
                    mp[0].equals("PUT") || mp[0].equals("POST") && mp[1].endsWith("/vms") ? "{" : null);
            assertFalse(a.text().contains("no such route"), route + ": " + a.text());
            Json.MAPPER.readTree(a.text()); // JSON in every case
        }
    }
}
