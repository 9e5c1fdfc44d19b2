package jvisor.host;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import jvisor.machine.Machine;
import jvisor.machine.Migration;

/**
 * The source's side of a live migration of one VM to another jvisor host (docs/HOST.md, "Live
 * migration"): a WebSocket to the destination's {@code /api/v1/vms/NAME/incoming} for the
 * control messages, the definition, then the state stream by pre-copy ({@link Migration}) on a
 * data connection ({@link MigrationData}), then the hand-over.
 *
 * <p>Never two, never none. The destination runs the VM once it has read the whole stream,
 * through its end section, and drops it if the connection ends before. So a failure before the
 * guest stops here resumes nothing (it never stopped) and cancels cleanly; from the stop on, this
 * side never resumes the VM by itself: if the confirmation ({@code running}) does not come, it
 * asks the destination over a new connection whether the VM runs there: it does (done), it does
 * not or the destination is down (resume here), or no answer (the VM stays paused here, and the
 * events say why). The destination answers "incoming" while it still reads; this side asks again.
 */
public final class OutgoingMigration {
    /** What the API asks: where to, with which token, how long the guest may stand still. */
    public record Request(URI to, String token, jvisor.net.tls.Fingerprint fingerprint, Duration maxDowntime,
                          Map<String, String> paths) {
        /** The trust for an https destination: exactly its certificate's fingerprint. */
        jvisor.net.tls.PinStore pins() { return fingerprint == null ? null : jvisor.net.tls.PinStore.exactly(fingerprint); }

        HttpClient.Builder client() {
            return jvisor.net.tls.ApiConnection.builder(to, pins());
        }

        javax.net.ssl.SSLContext tls() {
            return jvisor.net.tls.ApiConnection.secure(to) ? jvisor.net.tls.ApiConnection.sslContext(to, pins()) : null;
        }
    }

    /** Where a migration is, for the API. */
    public record Status(String vm, String to, String phase, Migration.Progress progress, Double downtimeMs,
                         Double handOverMs, Double totalSeconds, String error) {}

    private static final long ANSWER_TIMEOUT_SECONDS = 60;
    private static final long RECONCILE_SECONDS = 15;

    private final Host host;
    private final Vm vm;
    private final Request request;
    private final BlockingQueue<MigrationMessage> replies = new LinkedBlockingQueue<>();
    private final long startNanos = System.nanoTime();
    private volatile String phase = "connecting";
    private volatile Migration.Progress progress;
    /** How long the guest stood still (the destination's wall clock against ours), and until the destination said so. */
    private volatile Double downtimeMs, handOverMs, totalSeconds;
    private volatile String error;
    private volatile boolean cancelled;
    private volatile WebSocket socket;
    /** The connection the state stream goes on ({@link MigrationData}). */
    private volatile java.nio.channels.ByteChannel data;
    private Thread worker;

    OutgoingMigration(Host host, Vm vm, Request request) {
        this.host = host;
        this.vm = vm;
        this.request = request;
    }

    String target() { return request.to().toString(); }

    Status status() {
        return new Status(vm.name(), target(), phase, progress, downtimeMs, handOverMs, totalSeconds, error);
    }

    void start() {
        worker = Thread.ofPlatform().name("jvisor-migrate-" + vm.name()).start(this::run);
    }

    /** Gives up during pre-copy; the VM runs on here. Too late (409) once the guest has stopped for the hand-over. */
    void cancel() {
        if (!List.of("connecting", "pre-copy").contains(phase)) {
            throw HostException.conflict(vm.name() + " is being handed over to " + target() + "; too late to cancel");
        }
        cancelled = true;
        abort();
        Thread w = worker;
        if (w != null) w.interrupt();
    }

    private void run() {
        Machine m = vm.machine();
        boolean wasPaused = m.paused();
        boolean handedOver = false;
        try {
            connect();
            send(MigrationMessage.define(vm.definition(), wasPaused, request.paths()));
            MigrationMessage accepted = expect(MigrationMessage.ACCEPTED);
            data = MigrationData.connect(request.to().getHost(), accepted.port(), accepted.key(), request.tls());
            Migration mig = new Migration(m, data, request.maxDowntime(), this::progressed);
            phase("pre-copy", "migration to " + target() + " started");
            mig.precopy();
            long stopped = System.nanoTime();
            // From here on the destination may end up with the whole state and run the VM, so a
            // break means asking it, never resuming here blindly.
            handedOver = true;
            phase("stop-and-copy", "migration: " + vm.name() + " stopped here; sending the rest");
            mig.finish();
            phase("stopped", "migration: all state sent; waiting for the destination to run it");
            MigrationMessage running = expect(MigrationMessage.RUNNING);
            handOverMs = (System.nanoTime() - stopped) / 1e6;
            downtimeMs = running.downtimeMs();
            succeeded();
        } catch (Exception e) {
            String why = cancelled ? "cancelled" : message(e);
            if (!handedOver) {
                abort();
                failed(cancelled ? "cancelled" : "failed", "migration to " + target() + " " + (cancelled ? "cancelled" : "failed: " + why)
                        + "; " + vm.name() + " goes on here", !wasPaused, why);
            } else {
                reconcile(why, wasPaused);
            }
        }
    }

    private void succeeded() {
        abort(); // both connections have served
        totalSeconds = (System.nanoTime() - startNanos) / 1e9;
        vm.migrated(String.format("migrated to %s in %.2f s, %s stopped, %d pages sent", target(), totalSeconds,
                downtimeMs == null ? "unknown time" : String.format("%.1f ms", downtimeMs), progress == null ? 0 : progress.pagesSent()));
        phase = "done";
    }

    private void failed(String newPhase, String event, boolean resume, String why) {
        phase = newPhase;
        error = why;
        totalSeconds = (System.nanoTime() - startNanos) / 1e9;
        vm.migrationFailed(this, resume, event);
    }

    /**
     * The connection broke after {@code go}: does the VM run at the destination? Asks it until
     * it answers or {@value #RECONCILE_SECONDS} s pass.
     */
    private void reconcile(String why, boolean wasPaused) {
        abort();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RECONCILE_SECONDS);
        String lastProblem = why;
        HttpClient client = request.client().connectTimeout(Duration.ofSeconds(2)).build();
        while (System.nanoTime() < deadline) {
            try {
                HttpRequest get = HttpRequest.newBuilder(request.to().resolve("/api/v1/vms/" + vm.name()))
                        .header("Authorization", "Bearer " + request.token()).timeout(Duration.ofSeconds(3)).GET().build();
                HttpResponse<String> r = client.send(get, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 404) {
                    failed("failed", "migration to " + target() + " failed after hand-over (" + why
                            + "); the destination does not have it, so " + vm.name() + " goes on here", !wasPaused, why);
                    return;
                }
                if (r.statusCode() == 200) {
                    Vm.Info info = Json.MAPPER.readValue(r.body(), Vm.Info.class);
                    if (!VmState.INCOMING.label().equals(info.state())) {
                        succeeded(); // it runs (or is paused, as here) at the destination
                        return;
                    }
                } else {
                    lastProblem = "the destination answered " + r.statusCode();
                }
            } catch (ConnectException e) {
                // Nobody listens there: the destination is down, and so is whatever it ran.
                failed("failed", "migration to " + target() + " failed after hand-over (" + why
                        + "); the destination is down, so " + vm.name() + " goes on here", !wasPaused, why);
                return;
            } catch (IOException e) {
                lastProblem = message(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        phase = "unknown";
        error = why + "; then " + lastProblem;
        vm.migrationUnknown(this, "migration to " + target() + ": the connection broke after hand-over and the destination"
                + " cannot be asked (" + lastProblem + "); " + vm.name() + " stays paused here: resume it here only if it"
                + " does not run there");
    }

    // ---- the connection ----

    private void connect() throws Exception {
        URI to = request.to();
        String scheme = switch (to.getScheme() == null ? "" : to.getScheme()) {
            case "http" -> "ws";
            case "https" -> "wss";
            default -> throw new IllegalArgumentException("--to " + to + ": give the destination's URL, http://HOST:PORT");
        };
        URI ws = new URI(scheme, null, to.getHost(), to.getPort(), "/api/v1/vms/" + vm.name() + "/incoming", null, null);
        HttpClient client = request.client().build();
        try {
            socket = client.newWebSocketBuilder().header("Authorization", "Bearer " + request.token())
                    .connectTimeout(Duration.ofSeconds(10)).buildAsync(ws, new Replies()).get(15, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            String tls = jvisor.net.tls.ApiConnection.explain(e);
            String why = tls != null ? tls : e.getCause() instanceof java.net.http.WebSocketHandshakeException h ? switch (h.getResponse().statusCode()) {
                case 401 -> "it refused the token (give its STATE/token)";
                case 404 -> "it is not a jvisor daemon that takes migrations";
                default -> "it answered HTTP " + h.getResponse().statusCode();
            } : message(e);
            throw new IOException("cannot reach the destination daemon at " + to + ": " + why, e);
        }
    }

    private void send(MigrationMessage m) throws Exception {
        socket.sendText(m.json(), true).get(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    /** Waits for the destination's next message, which must be {@code type}. */
    private MigrationMessage expect(String type) throws Exception {
        MigrationMessage m = replies.poll(ANSWER_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        if (m == null) throw new IOException("the destination did not answer within " + ANSWER_TIMEOUT_SECONDS + " s");
        if (m.type().equals(BROKEN)) throw new IOException(m.message());
        if (m.type().equals(MigrationMessage.ERROR)) throw new IOException("the destination refused: " + m.message());
        if (!m.type().equals(type)) throw new IOException("the destination said '" + m.type() + "' where '" + type + "' belongs");
        return m;
    }

    private void abort() {
        WebSocket s = socket;
        if (s != null) s.abort();
        closeData();
    }

    private void closeData() {
        java.nio.channels.ByteChannel d = data;
        try {
            if (d != null) d.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private void phase(String p, String event) {
        phase = p;
        host.event(vm, event);
    }

    private void progressed(Migration.Progress p) {
        progress = p;
        if (p.phase().equals("pre-copy")) {
            host.event(vm, String.format("migration round %d: %d pages sent, %d dirty, %.0f pages/s written, %.0f MB/s,"
                            + " expected downtime %.1f ms%s", p.round(), p.pagesSent(), p.pagesLeft(), p.dirtyPagesPerSecond(),
                    p.bytesPerSecond() / 1e6, p.expectedDowntimeMs(),
                    p.throttlePercent() > 0 ? ", guest slowed to " + (100 - p.throttlePercent()) + "% (auto-converge)" : ""));
        }
    }

    private static String message(Throwable e) {
        Throwable t = e;
        while ((t instanceof java.util.concurrent.ExecutionException || t instanceof java.util.concurrent.CompletionException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (t instanceof ConnectException && (m == null || m.isBlank())) return "connection refused";
        if (t instanceof java.util.concurrent.TimeoutException) return "no answer";
        // closed under a blocked write or read: the other connection's end closed it
        if (t instanceof java.nio.channels.ClosedChannelException) return "the data connection to the destination was closed";
        if ("Broken pipe".equals(m)) return "the data connection to the destination broke (broken pipe)";
        return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
    }

    /** Not a message of the protocol: what {@link Replies} queues when the connection ends. */
    private static final String BROKEN = "broken";

    private static MigrationMessage broken(String why) { return MigrationMessage.error(BROKEN, why); }

    /** The destination's messages, queued for {@link #expect}; a connection that ends queues {@link #BROKEN}. */
    private final class Replies implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                try {
                    replies.add(MigrationMessage.parse(text.toString()));
                } catch (IllegalArgumentException e) {
                    replies.add(MigrationMessage.error(e.getMessage()));
                }
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int code, String reason) {
            closeData(); // the control connection is gone: the stream must stop too
            replies.add(broken("the destination closed the connection (" + code + (reason.isBlank() ? "" : " " + reason) + ")"));
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable e) {
            closeData();
            replies.add(broken("the connection to the destination broke: " + message(e)));
        }
    }
}
