package jvisor.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.UnauthorizedResponse;
import io.javalin.json.JavalinJackson;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import jvisor.host.Host;
import jvisor.host.HostException;
import jvisor.host.Json;
import jvisor.net.tls.ServerCertificate;

/**
 * The host's REST API under /api/v1 (docs/HOST.md, openapi.json): Javalin on Jetty 12 with
 * virtual threads, over HTTPS ({@link Tls}) or, on loopback only, plain HTTP, and the
 * {@link WebConsole} page at /. Every API request needs the bearer token (a console WebSocket may
 * carry it as a subprotocol); request bodies are limited to {@link #MAX_BODY} bytes; every error
 * is JSON {@code {"error": "..."}} (with {@code "field"} for bad input) and the matching status,
 * never a stack trace.
 */
public final class ApiServer implements AutoCloseable {
    public static final String BASE = "/api/v1";
    public static final long MAX_BODY = 64 * 1024;

    private final Javalin app;
    private final URI uri;

    private ApiServer(Javalin app, URI uri) {
        this.app = app;
        this.uri = uri;
    }

    /** Serves {@code host} over plain HTTP on a loopback address (port 0: any free port). */
    public static ApiServer start(Host host, String token, InetSocketAddress listen) {
        return start(host, token, listen, null);
    }

    /**
     * Serves {@code host} on {@code listen} (port 0: any free port): over HTTPS only with
     * {@code tls}, else over plain HTTP, which only a loopback address may serve.
     */
    public static ApiServer start(Host host, String token, InetSocketAddress listen, ServerCertificate tls) {
        InetAddress addr = listen.getAddress();
        if (tls == null && (addr == null || !addr.isLoopbackAddress())) {
            throw new IllegalArgumentException("--listen " + listen.getHostString() + ": a non-loopback address is served"
                    + " only over TLS (give a certificate, or let the daemon make one)");
        }
        Routes routes = new Routes(host, tls == null ? null : tls.sslContext());
        Javalin app = Javalin.create(config -> {
            config.jetty.host = addr.getHostAddress();
            config.jetty.port = listen.getPort();
            if (tls != null) config.jetty.addConnector((server, http) -> Tls.connector(server, http, tls, addr, listen.getPort()));
            config.http.maxRequestSize = MAX_BODY;
            config.concurrency.useVirtualThreads = true;
            config.startup.showJavalinBanner = false;
            config.jsonMapper(new JavalinJackson(Json.MAPPER, false));
            config.routes.before(BASE, ctx -> authorize(ctx, token, bearer(ctx))); // "/*" does not match the base itself
            config.routes.before(BASE + "/*", ctx -> authorize(ctx, token, bearer(ctx)));
            // A browser cannot set headers on a WebSocket: it may offer the token as a subprotocol.
            config.routes.wsBeforeUpgrade(BASE + "/*", ctx -> {
                String given = bearer(ctx);
                authorize(ctx, token, given != null ? given : WebConsole.protocolToken(ctx));
            });
            WebConsole.serve(config);
            routes.register(config.routes);
            config.routes.exception(HostException.class, (e, ctx) -> hostError(ctx, e));
            config.routes.exception(JsonProcessingException.class, (e, ctx) -> jsonError(ctx, e));
            config.routes.exception(HttpResponseException.class, (e, ctx) -> error(ctx, e.getStatus(), switch (e.getStatus()) {
                case 404 -> "no such route: " + ctx.method() + " " + ctx.path() + " (see " + BASE + "/openapi.json)";
                case 413 -> "the body is larger than " + MAX_BODY / 1024 + " KiB";
                default -> e.getMessage();
            }, null));
            config.routes.exception(Exception.class, (e, ctx) -> {
                System.err.println("jvisor: " + ctx.method() + " " + ctx.path() + " failed: " + e);
                error(ctx, 500, "internal error: " + e, null);
            });
            config.routes.error(405, ctx -> error(ctx, 405, ctx.method() + " is not allowed on " + ctx.path(), null));
        });
        app.start();
        String h = addr.getHostAddress().contains(":") ? "[" + addr.getHostAddress() + "]" : addr.getHostAddress();
        return new ApiServer(app, URI.create((tls != null ? "https://" : "http://") + h + ":" + app.port()));
    }

    /** Where the API is: http(s)://ADDR:PORT (the base path is {@link #BASE}). */
    public URI uri() { return uri; }

    /** The token of an {@code Authorization: Bearer TOKEN} header, or null. */
    private static String bearer(Context ctx) {
        String auth = ctx.header("Authorization");
        return auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) ? auth.substring(7).strip() : null;
    }

    private static void authorize(Context ctx, String token, String given) {
        if (given == null) throw new UnauthorizedResponse("no bearer token: send 'Authorization: Bearer TOKEN' with the token in the daemon's STATE/token");
        if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            throw new UnauthorizedResponse("wrong bearer token: use the one in the daemon's STATE/token");
        }
    }

    private static void hostError(Context ctx, HostException e) {
        int status = switch (e.kind()) {
            case INVALID -> 400;
            case NOT_FOUND -> 404;
            case CONFLICT -> 409;
            case FAILED -> 500;
        };
        error(ctx, status, e.getMessage(), e.field());
    }

    /** Malformed JSON, an unknown field or a value of the wrong type: 400 naming the field. */
    private static void jsonError(Context ctx, JsonProcessingException e) {
        String field = null;
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            field = m.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining("."));
        }
        String msg;
        if (e instanceof UnrecognizedPropertyException u) {
            msg = "unknown field '" + u.getPropertyName() + "' (known: " + u.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", ")) + ")";
        } else if (field != null) {
            msg = "field '" + field + "' has the wrong type: " + e.getOriginalMessage().replaceAll("\\s+at \\[.*", "");
        } else {
            msg = "the body is not valid JSON: " + e.getOriginalMessage();
        }
        error(ctx, 400, msg, field);
    }

    static void error(Context ctx, int status, String message, String field) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        if (field != null) body.put("field", field);
        ctx.status(status).json(body);
    }

    @Override
    public void close() {
        app.stop();
    }
}
