package jvisor.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jvisor.testing.Daemon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the daemon serves for the web console, without a browser: the page and everything it
 * loads come from the daemon without a token, the API still needs one, and a console WebSocket
 * may carry the token as a subprotocol (browsers cannot set its headers).
 */
class WebConsoleServingTest {
    @TempDir static Path dir;
    static Daemon daemon;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception { daemon = Daemon.start(dir.resolve("state"), 1L << 30); }

    @AfterAll
    static void stop() throws Exception { daemon.close(); }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(daemon.uri() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePageAndWhatItLoadsArePublicAndLocal() throws Exception {
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), csp);
        String html = page.body();
        assertFalse(html.contains("${"), "Maven filled in the webjars' versions");
        // Every script, style sheet and icon is the daemon's own, and is there.
        Matcher m = Pattern.compile("(?:src|href)=\"([^\"#]+)\"").matcher(html);
        List<String> loaded = new ArrayList<>();
        while (m.find()) loaded.add(m.group(1));
        assertTrue(loaded.stream().anyMatch(u -> u.contains("/webjars/xterm/")), loaded.toString());
        assertTrue(loaded.stream().anyMatch(u -> u.contains("/webjars/uplot/")), loaded.toString());
        for (String u : loaded) {
            assertFalse(u.contains("//"), "not from the daemon: " + u);
            assertEquals(200, get(u.startsWith("/") ? u : "/" + u).statusCode(), u);
        }
        for (String module : List.of("/app.js", "/api.js", "/terminal.js", "/chart.js")) assertEquals(200, get(module).statusCode(), module);
        // The token's input has no name: a form submitted without the script carries nothing.
        assertTrue(html.contains("<input id=\"token\" type=\"password\""), "the token field");
        assertFalse(Pattern.compile("<input id=\"token\"[^>]*\\bname=").matcher(html).find());
    }

    @Test
    void theApiStillNeedsTheToken() throws Exception {
        assertEquals(401, get("/api/v1").statusCode());
        assertEquals(401, get("/api/v1/vms").statusCode());
        assertEquals(200, daemon.call("GET", "", null).status());
    }

    /** Records the console's close code. */
    private static final class Closes implements WebSocket.Listener {
        final CompletableFuture<Integer> code = new CompletableFuture<>();

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            code.complete(status);
            return null;
        }
    }

    private static CompletableFuture<WebSocket> console(String vm, String... protocols) {
        WebSocket.Builder b = HTTP.newWebSocketBuilder();
        if (protocols.length > 0) b.subprotocols(protocols[0], java.util.Arrays.copyOfRange(protocols, 1, protocols.length));
        return b.buildAsync(URI.create(daemon.uri().toString().replaceFirst("^http", "ws") + "/api/v1/vms/" + vm + "/console"),
                new Closes());
    }

    @Test
    void aConsoleSocketTakesTheTokenAsASubprotocol() throws Exception {
        // Accepted: the answer names jvisor.console, never the token. (No such VM: then closed with 4404.)
        Closes listener = new Closes();
        WebSocket ws = HTTP.newWebSocketBuilder().subprotocols("jvisor.console", "jvisor.bearer." + daemon.token())
                .buildAsync(URI.create(daemon.uri().toString().replaceFirst("^http", "ws") + "/api/v1/vms/ghost/console"), listener)
                .get(30, TimeUnit.SECONDS);
        assertEquals("jvisor.console", ws.getSubprotocol());
        assertEquals(4404, listener.code.get(30, TimeUnit.SECONDS));
        // Refused: a wrong token, or none.
        for (CompletableFuture<WebSocket> refused : List.of(
                console("ghost", "jvisor.console", "jvisor.bearer." + "0".repeat(64)),
                console("ghost", "jvisor.console"),
                console("ghost"))) {
            CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, refused::join);
            WebSocketHandshakeException h = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
            assertEquals(401, h.getResponse().statusCode());
        }
    }
}
