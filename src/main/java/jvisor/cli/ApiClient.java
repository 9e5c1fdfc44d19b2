package jvisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletionException;
import jvisor.host.Json;
import jvisor.host.StateDir;
import jvisor.net.tls.ApiConnection;
import jvisor.net.tls.Fingerprint;
import jvisor.net.tls.PinStore;

/**
 * The {@code vm} verbs' way to the daemon: the REST API over the JDK's HttpClient (and its
 * WebSocket for consoles). The daemon is {@code --host}, else $JVISOR_HOST, else the address the
 * daemon wrote into its state directory, else http://127.0.0.1:7407; the token is
 * {@code --token-file}, else STATE/token. An https daemon is trusted by its certificate's
 * fingerprint ({@link ApiConnection}): {@code --fingerprint}, else the one pinned in
 * {@code --known-hosts} (default $XDG_CONFIG_HOME/jvisor/known-hosts) on first use.
 */
final class ApiClient {
    static final String HOST_ENV = "JVISOR_HOST";

    private final URI base;
    private final String token;
    private final HttpClient http;

    ApiClient(URI base, String token, PinStore pins) {
        this.base = base;
        this.token = token;
        this.http = ApiConnection.client(base, pins);
    }

    /** A client from the options and environment, as the class comment says. */
    static ApiClient locate(String hostOption, Path tokenFile, Path stateOption, String fingerprint, Path knownHosts,
                            Map<String, String> env) {
        Path state = stateOption != null ? stateOption : StateDir.defaultRoot(env);
        String host = hostOption != null ? hostOption : env.get(HOST_ENV);
        if (host == null || host.isBlank()) host = readFirstLine(state.resolve("address"));
        if (host == null || host.isBlank()) host = "http://127.0.0.1:" + ServeCommand.DEFAULT_PORT;
        Path tf = tokenFile != null ? tokenFile : state.resolve("token");
        String token = readFirstLine(tf);
        if (token == null) {
            throw new Main.UsageError("no API token in " + tf + ": give --token-file FILE (the daemon's STATE/token) or --state DIR");
        }
        URI uri;
        try {
            uri = URI.create(host.replaceAll("/+$", ""));
            if (uri.getScheme() == null || uri.getHost() == null || !uri.getScheme().matches("(?i)https?")) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError("--host " + host + ": give a URL such as http://127.0.0.1:" + ServeCommand.DEFAULT_PORT
                    + " or https://HOST:" + ServeCommand.DEFAULT_PORT);
        }
        PinStore pins;
        if (fingerprint != null) {
            try {
                pins = PinStore.exactly(Fingerprint.parse(fingerprint));
            } catch (IllegalArgumentException e) {
                throw new Main.UsageError("--fingerprint: " + e.getMessage());
            }
        } else {
            pins = PinStore.trustOnFirstUse(knownHosts != null ? knownHosts : PinStore.defaultFile(env),
                    note -> System.err.println("jvisor: " + note));
        }
        return new ApiClient(uri, token, pins);
    }

    private static String readFirstLine(Path f) {
        try {
            return Files.isReadable(f) ? Files.readString(f, StandardCharsets.UTF_8).strip() : null;
        } catch (IOException e) {
            return null;
        }
    }

    URI base() { return base; }

    /** Calls the API; returns the JSON answer (null for 204), or throws a {@link Main.Failure} with the daemon's error. */
    JsonNode call(String method, String path, Object body) {
        HttpResponse<String> r = send(request(path).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json(body))), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 204 || r.body().isEmpty()) return null;
        JsonNode node = parse(r.body());
        if (r.statusCode() >= 400) {
            String msg = node != null && node.hasNonNull("error") ? node.get("error").asText() : r.body();
            throw new Main.Failure(msg);
        }
        return node;
    }

    /** A streaming GET (logs), as bytes; errors as in {@link #call}. */
    InputStream stream(String path) {
        HttpResponse<InputStream> r = send(request(path).GET(), HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() >= 400) {
            try (InputStream in = r.body()) {
                JsonNode node = parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                throw new Main.Failure(node != null && node.hasNonNull("error") ? node.get("error").asText() : "HTTP " + r.statusCode());
            } catch (IOException e) {
                throw new Main.Failure("HTTP " + r.statusCode());
            }
        }
        return r.body();
    }

    /** Opens the console WebSocket of VM {@code name}. */
    WebSocket console(String name, boolean replay, WebSocket.Listener listener) {
        String ws = base.toString().replaceFirst("^(?i)http", "ws") + "/api/v1/vms/" + name + "/console" + (replay ? "" : "?replay=false");
        try {
            return http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                    .buildAsync(URI.create(ws), listener).join();
        } catch (CompletionException e) {
            String tls = ApiConnection.explain(e);
            if (tls != null) throw new Main.Failure(tls);
            // The upgrade was refused: ask over plain HTTP, which says why (no such VM, wrong token).
            call("GET", "/vms/" + name, null);
            throw new Main.Failure("cannot attach to the console of " + name + ": " + e.getCause().getMessage());
        }
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + "/api/v1" + path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").header("Accept", "application/json");
    }

    private <T> HttpResponse<T> send(HttpRequest.Builder b, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(b.build(), handler);
        } catch (ConnectException e) {
            throw new Main.Failure("cannot reach the daemon at " + base + ": is 'jvisor serve' running? (--host or $" + HOST_ENV + " pick another)");
        } catch (IOException e) {
            String tls = ApiConnection.explain(e);
            if (tls != null) throw new Main.Failure(tls);
            throw new Main.Failure("talking to the daemon at " + base + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Main.Failure("interrupted");
        }
    }

    static String json(Object o) {
        try {
            return Json.MAPPER.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parse(String s) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (IOException e) {
            return null;
        }
    }
}
