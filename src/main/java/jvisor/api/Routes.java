package jvisor.api;

import static jvisor.api.ApiServer.BASE;

import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import jvisor.host.ConsoleBuffer;
import jvisor.host.Host;
import jvisor.host.HostEvent;
import jvisor.host.HostException;
import jvisor.host.Json;
import jvisor.host.Vm;
import jvisor.host.VmDefinition;

/** The routes of the API and their handlers: each turns one request into one call on the {@link Host}. */
final class Routes {
    /** One HTTP route as registered; the OpenAPI test compares these with openapi.json. */
    record Route(String method, String path) {}

    static final List<Route> ALL = new ArrayList<>();

    private final Host host;

    /** The daemon's TLS context for a migration's data connection; null when the API is plain HTTP. */
    private final javax.net.ssl.SSLContext tls;

    Routes(Host host, javax.net.ssl.SSLContext tls) {
        this.host = host;
        this.tls = tls;
    }

    void register(RoutesConfig r) {
        get(r, "", ctx -> ctx.json(host.summary()));
        get(r, "/openapi.json", this::openapi);
        get(r, "/vms", ctx -> ctx.json(host.list().stream().map(Vm::info).toList()));
        post(r, "/vms", this::define);
        get(r, "/vms/{name}", ctx -> ctx.json(vm(ctx).info()));
        put(r, "/vms/{name}", ctx -> ctx.json(host.update(ctx.pathParam("name"), definition(ctx)).info()));
        delete(r, "/vms/{name}", ctx -> {
            host.delete(ctx.pathParam("name"));
            ctx.status(204);
        });
        action(r, "start", Vm::start);
        action(r, "stop", Vm::stop);
        action(r, "reboot", Vm::reboot);
        action(r, "pause", Vm::pause);
        action(r, "resume", Vm::resume);
        post(r, "/vms/{name}/save", ctx -> {
            Vm vm = vm(ctx);
            vm.save(fileOption(ctx));
            ctx.json(vm.info());
        });
        post(r, "/vms/{name}/restore", ctx -> {
            Vm vm = vm(ctx);
            vm.restore(fileOption(ctx));
            ctx.json(vm.info());
        });
        get(r, "/vms/{name}/stats", ctx -> ctx.json(vm(ctx).stats()));
        get(r, "/vms/{name}/logs", this::logs);
        r.ws(BASE + "/vms/{name}/console", ws -> new ConsoleSocket(host).configure(ws));
        ALL.add(new Route("GET", BASE + "/vms/{name}/console"));
        get(r, "/events", this::events);
        post(r, "/vms/{name}/migrate", ctx -> ctx.status(202).json(vm(ctx).migrate(migration(ctx))));
        get(r, "/vms/{name}/migration", ctx -> ctx.json(host.migrationStatus(ctx.pathParam("name"))));
        delete(r, "/vms/{name}/migration", ctx -> {
            Vm vm = vm(ctx);
            vm.cancelMigration();
            ctx.json(vm.migrationStatus());
        });
        r.ws(BASE + "/vms/{name}/incoming", ws -> new IncomingSocket(host, tls).configure(ws));
        ALL.add(new Route("GET", BASE + "/vms/{name}/incoming"));
    }

    /** The body of POST /vms/{name}/migrate. */
    record MigrateRequest(String to, String token, String fingerprint, Long maxDowntimeMs, java.util.Map<String, String> paths) {}

    private static jvisor.host.OutgoingMigration.Request migration(Context ctx) throws IOException {
        String body = ctx.body();
        if (body.isBlank()) throw HostException.invalid(null, "the body must say where to: {\"to\": \"http://HOST:PORT\", \"token\": \"...\"}");
        MigrateRequest m = Json.MAPPER.readValue(body, MigrateRequest.class);
        if (m.to() == null || m.to().isBlank()) throw HostException.invalid("to", "to: give the destination daemon's URL, http://HOST:PORT");
        java.net.URI to;
        try {
            to = java.net.URI.create(m.to().strip());
        } catch (IllegalArgumentException e) {
            throw HostException.invalid("to", "to: " + m.to() + " is not a URL (give http://HOST:PORT)");
        }
        if (!("http".equals(to.getScheme()) || "https".equals(to.getScheme())) || to.getHost() == null || to.getPort() < 0) {
            throw HostException.invalid("to", "to: " + m.to() + " is not a daemon's URL (give http://HOST:PORT or https://HOST:PORT)");
        }
        if (m.token() == null || m.token().isBlank()) throw HostException.invalid("token", "token: give the destination daemon's API token (its STATE/token file)");
        jvisor.net.tls.Fingerprint fingerprint = null;
        if (m.fingerprint() != null) {
            try {
                fingerprint = jvisor.net.tls.Fingerprint.parse(m.fingerprint());
            } catch (IllegalArgumentException e) {
                throw HostException.invalid("fingerprint", "fingerprint: " + e.getMessage());
            }
        } else if ("https".equals(to.getScheme())) {
            throw HostException.invalid("fingerprint", "fingerprint: give the SHA-256 fingerprint of the destination's TLS certificate"
                    + " (it prints it at start; 'jvisor vm migrate' sends the one it has pinned)");
        }
        long ms = m.maxDowntimeMs() == null ? 50 : m.maxDowntimeMs();
        if (ms < 1 || ms > 60_000) throw HostException.invalid("maxDowntimeMs", "maxDowntimeMs: give 1 to 60000 (got " + ms + ")");
        java.util.Map<String, String> paths = m.paths() == null ? java.util.Map.of() : m.paths();
        for (var e : paths.entrySet()) {
            if (!Path.of(e.getKey()).isAbsolute() || !Path.of(e.getValue()).isAbsolute()) {
                throw HostException.invalid("paths", "paths: " + e.getKey() + "=" + e.getValue() + ": give absolute paths on both sides");
            }
        }
        return new jvisor.host.OutgoingMigration.Request(to, m.token().strip(), fingerprint, java.time.Duration.ofMillis(ms), paths);
    }

    private static void get(RoutesConfig r, String path, Handler h) { r.get(BASE + path, h); add("GET", path); }
    private static void post(RoutesConfig r, String path, Handler h) { r.post(BASE + path, h); add("POST", path); }
    private static void put(RoutesConfig r, String path, Handler h) { r.put(BASE + path, h); add("PUT", path); }
    private static void delete(RoutesConfig r, String path, Handler h) { r.delete(BASE + path, h); add("DELETE", path); }

    private static synchronized void add(String method, String path) {
        Route route = new Route(method, BASE + path);
        if (!ALL.contains(route)) ALL.add(route);
    }

    private interface Action { void apply(Vm vm); }

    /** POST /vms/{name}/VERB: the transition, then the VM as it is after it. */
    private void action(RoutesConfig r, String verb, Action a) {
        post(r, "/vms/{name}/" + verb, ctx -> {
            Vm vm = vm(ctx);
            a.apply(vm);
            ctx.json(vm.info());
        });
    }

    private Vm vm(Context ctx) { return host.get(ctx.pathParam("name")); }

    private static VmDefinition definition(Context ctx) throws IOException {
        String body = ctx.body();
        if (body.isBlank()) throw HostException.invalid(null, "the body must be a VM definition in JSON");
        return Json.MAPPER.readValue(body, VmDefinition.class);
    }

    /** POST /vms: define (and with ?start=true, start) a VM; 201 with the VM. */
    private void define(Context ctx) throws IOException {
        Vm vm = host.define(definition(ctx));
        if ("true".equals(ctx.queryParam("start"))) vm.start();
        ctx.status(201).json(vm.info());
    }

    /** An optional {"file": "/abs/path"} body for save and restore. */
    private static Path fileOption(Context ctx) throws IOException {
        String body = ctx.body();
        if (body.isBlank()) return null;
        FileOption f = Json.MAPPER.readValue(body, FileOption.class);
        if (f.file() == null) return null;
        Path p = Path.of(f.file());
        if (!p.isAbsolute()) throw HostException.invalid("file", "file " + p + ": give an absolute path");
        return p;
    }

    record FileOption(String file) {}

    /** The log as text; with ?follow=true, then the console output as it comes, until the client goes. */
    private void logs(Context ctx) throws Exception {
        Vm vm = vm(ctx);
        var contents = vm.logContents();
        ctx.contentType("text/plain; charset=utf-8");
        if (!"true".equals(ctx.queryParam("follow"))) {
            ctx.result(contents.text());
            return;
        }
        OutputStream out = ctx.res().getOutputStream();
        out.write(contents.text());
        out.flush();
        long pos = contents.end();
        ConsoleBuffer console = vm.console();
        while (true) {
            ConsoleBuffer.Chunk c = console.read(pos, 15_000);
            if (c == null) return;
            out.write(c.data()); // throws once the client has gone
            out.flush();
            pos = c.next();
        }
    }

    /**
     * Server-sent events (text/event-stream): one "state" event per VM state change, its data a
     * HostEvent in JSON on one line, and a comment every 15 s to keep proxies from closing the
     * stream. Written here rather than with Javalin's SSE helper, which answers only requests
     * that accept text/event-stream; a queue per client means a slow one never holds up a VM.
     */
    private void events(Context ctx) throws Exception {
        BlockingQueue<HostEvent> queue = new LinkedBlockingQueue<>(1024);
        ctx.contentType("text/event-stream").header("Cache-Control", "no-cache");
        try (AutoCloseable sub = host.subscribe(queue::offer)) {
            OutputStream out = ctx.res().getOutputStream();
            out.write(": jvisor events\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            while (true) {
                HostEvent e = queue.poll(15, TimeUnit.SECONDS);
                String text = e == null ? ": keep-alive\n\n" : "event: state\ndata: " + ONE_LINE.writeValueAsString(e) + "\n\n";
                out.write(text.getBytes(StandardCharsets.UTF_8)); // throws once the client has gone
                out.flush();
            }
        }
    }

    private static final ObjectWriter ONE_LINE = Json.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);

    private void openapi(Context ctx) throws IOException {
        try (InputStream in = Routes.class.getResourceAsStream("openapi.json")) {
            if (in == null) throw new IOException("openapi.json is missing from the jar");
            ctx.contentType("application/json").result(in.readAllBytes());
        }
    }
}
