package jvisor.testing;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jvisor.api.ApiServer;
import jvisor.host.Host;
import jvisor.host.Json;
import jvisor.host.StateDir;
import jvisor.net.tls.ApiConnection;
import jvisor.net.tls.PinStore;
import jvisor.net.tls.ServerCertificate;

/**
 * The host daemon for tests, in this JVM (or a client of one in another process): the REST API
 * on a free loopback port over a state directory, and real HTTP and WebSocket clients for it.
 */
public final class Daemon implements AutoCloseable {
    private final Host host;
    private final ApiServer api;
    private final URI uri;
    private final String token;
    private final HttpClient http;
    private final ServerCertificate certificate;

    /** Starts a daemon on {@code state} with {@code maxMemory} bytes of guest RAM to give out. */
    public static Daemon start(Path state, long maxMemory) throws IOException {
        return start(state, maxMemory, null, 0);
    }

    /**
     * Starts a daemon that serves HTTPS with {@code tls} (plain HTTP if null) on loopback port
     * {@code port} (0: a free one); its own client trusts exactly that certificate.
     */
    public static Daemon start(Path state, long maxMemory, ServerCertificate tls, int port) throws IOException {
        return start(state, maxMemory, tls, port, name -> { throw new IOException("no catalog images in tests"); });
    }

    /** As {@link #start(Path, long, ServerCertificate, int)}, with catalog images from {@code images}. */
    public static Daemon start(Path state, long maxMemory, ServerCertificate tls, int port,
                               jvisor.machine.BootSpec.ImageSource images) throws IOException {
        StateDir dir = new StateDir(state);
        String token = dir.token();
        Host host = Host.open(dir, maxMemory, images);
        ApiServer api;
        try {
            api = ApiServer.start(host, token, new InetSocketAddress("127.0.0.1", port), tls);
        } catch (RuntimeException e) {
            host.close();
            throw e;
        }
        return new Daemon(host, api, api.uri(), token, tls);
    }

    /** A client of a daemon running elsewhere (another process). */
    public static Daemon client(URI uri, String token) { return new Daemon(null, null, uri, token, null); }

    /** Starts {@code jvisor serve} in a new JVM on a free port; returns once it listens. */
    public static Process serveProcess(Path state) throws IOException, InterruptedException {
        java.nio.file.Files.deleteIfExists(state.resolve("address"));
        String javaCmd = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        Path log = state.resolveSibling(state.getFileName() + "-daemon.log");
        Process p = new ProcessBuilder(java.util.List.of(javaCmd, "--enable-native-access=ALL-UNNAMED", "-cp", cp, "jvisor.cli.Main",
                "serve", "--state", state.toString(), "--listen", "127.0.0.1:0"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(2);
        while (!java.nio.file.Files.exists(state.resolve("address"))) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new AssertionError("the daemon did not start:\n" + java.nio.file.Files.readString(log));
            }
            Thread.sleep(100);
        }
        return p;
    }

    /** A client of the daemon whose state directory is {@code state}. */
    public static Daemon clientOf(Path state) throws IOException {
        return client(URI.create(java.nio.file.Files.readString(state.resolve("address")).strip()),
                java.nio.file.Files.readString(state.resolve("token")).strip());
    }

    private Daemon(Host host, ApiServer api, URI uri, String token, ServerCertificate tls) {
        this.host = host;
        this.api = api;
        this.uri = uri;
        this.token = token;
        this.certificate = tls;
        this.http = tls == null ? HttpClient.newHttpClient() : ApiConnection.client(uri, PinStore.exactly(tls.fingerprint()));
    }

    /** The certificate it serves, or null for plain HTTP. */
    public ServerCertificate certificate() { return certificate; }

    public Host host() { return host; }
    public URI uri() { return uri; }
    public String token() { return token; }

    /** An HTTP answer: status, body text, and the body as JSON (null if it is not JSON). */
    public record Answer(int status, String text, JsonNode json) {
        public String error() { return json == null ? null : json.path("error").asText(null); }
    }

    /** {@code method} on /api/v1{@code path} with the token and an optional JSON (or raw String) body. */
    public Answer call(String method, String path, Object body) { return call(method, path, body, "Bearer " + token); }

    public Answer call(String method, String path, Object body, String authorization) {
        try {
            String text = body == null ? null : body instanceof String s ? s : Json.MAPPER.writeValueAsString(body);
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri + ApiServer.BASE + path))
                    .timeout(Duration.ofMinutes(2))
                    .method(method, text == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(text))
                    .header("Content-Type", "application/json");
            if (authorization != null) b.header("Authorization", authorization);
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            try {
                json = r.body().isEmpty() ? null : Json.MAPPER.readTree(r.body());
            } catch (IOException e) {
                // not JSON (logs)
            }
            return new Answer(r.statusCode(), r.body(), json);
        } catch (IOException e) {
            throw new AssertionError(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Like {@link #call}, failing the test unless the status is {@code expect}. */
    public JsonNode ok(int expect, String method, String path, Object body) {
        Answer a = call(method, path, body);
        if (a.status != expect) throw new AssertionError(method + " " + path + ": " + a.status + " " + a.text);
        return a.json;
    }

    /** A definition of the Linux test guest (1 hart, 128 MiB unless given). */
    public static Map<String, Object> testGuest(String name) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", name);
        d.put("kernel", LinuxGuest.dir().resolve("vmlinux").toString());
        d.put("initrd", LinuxGuest.dir().resolve("initrd.gz").toString());
        d.put("append", "console=ttyS0 quiet jvisor.modules=virtio_mmio");
        d.put("memory", "128M");
        return d;
    }

    /** Opens VM {@code name}'s console WebSocket. */
    public Console console(String name) {
        Console c = new Console();
        c.ws = http.newWebSocketBuilder().header("Authorization", "Bearer " + token)
                .buildAsync(URI.create(uri.toString().replaceFirst("^http", "ws") + ApiServer.BASE + "/vms/" + name + "/console"), c)
                .join();
        return c;
    }

    /** A console viewer: collects output and drives the guest's shell like {@link LinuxGuest#sh}. */
    public static final class Console implements WebSocket.Listener, AutoCloseable {
        private static final AtomicInteger MARKERS = new AtomicInteger();
        private final StringBuilder text = new StringBuilder();
        private WebSocket ws;
        private volatile boolean closed;

        @Override
        public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            synchronized (this) {
                text.append(new String(b, StandardCharsets.ISO_8859_1));
                notifyAll();
            }
            w.request(1);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
            synchronized (this) {
                closed = true;
                notifyAll();
            }
            return null;
        }

        public synchronized String text() { return text.toString(); }

        public void type(String s) {
            ws.sendBinary(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)), true).join();
        }

        /** Waits for {@code p} in the output from {@code from} on; returns the match. */
        public synchronized Matcher await(Pattern p, int from, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                Matcher m = p.matcher(text);
                if (m.find(Math.min(from, text.length()))) return m;
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) {
                    String t = text.toString();
                    throw new AssertionError((closed ? "console closed" : "timed out") + " waiting for /" + p + "/:\n"
                            + t.substring(Math.max(0, t.length() - 2000)));
                }
                try {
                    wait(Math.min(left / 1_000_000 + 1, 200));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError(e);
                }
            }
        }

        /** Waits for the test guest's shell. */
        public void awaitReady(Duration timeout) {
            await(Pattern.compile("^" + LinuxGuest.READY + "\\r?\\n", Pattern.MULTILINE), 0, timeout);
        }

        /** Types a command and returns what it printed (fails unless it exits with 0). */
        public String ok(String command, Duration timeout) {
            int n = MARKERS.incrementAndGet();
            int from;
            synchronized (this) { from = text.length(); }
            type("echo \"@@BE\"\"GIN" + n + "\"; " + command + "; echo \"@@EN\"\"D" + n + " $?\"\n");
            Matcher begin = await(Pattern.compile("@@BEGIN" + n + "\r?\n"), from, timeout);
            Matcher end = await(Pattern.compile("@@END" + n + " (\\d+)"), begin.end(), timeout);
            String out = text().substring(begin.end(), end.start()).replace("\r", "");
            if (!end.group(1).equals("0")) throw new AssertionError("'" + command + "' exited with " + end.group(1) + ":\n" + out);
            return out;
        }

        @Override
        public void close() {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").exceptionally(t -> null).join();
        }
    }

    /** Stops the API and the host: every running VM is saved (the managed save). */
    @Override
    public void close() throws IOException {
        if (api != null) api.close();
        if (host != null) host.close();
    }
}
