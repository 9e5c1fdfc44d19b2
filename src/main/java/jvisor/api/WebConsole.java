package jvisor.api;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import java.util.Map;

/**
 * The web console (docs/HOST.md, "Web console"): the single page at {@code /} with its scripts
 * (resources under {@code jvisor/web}) and the libraries it uses (xterm.js, uPlot: webjars under
 * {@code /webjars}), all from the jar, so the page needs nothing but the daemon. The page and its
 * files are public; everything it does goes through the API with the token the user signs in with.
 *
 * <p>A browser cannot put an {@code Authorization} header on a WebSocket, so the console socket
 * also takes the token as a subprotocol: the page offers {@code jvisor.console} and
 * {@code jvisor.bearer.TOKEN}, and the daemon answers {@code jvisor.console}. The token never
 * appears in a URL, so no log or history keeps it.
 */
final class WebConsole {
    /** The subprotocol the daemon answers a browser's console WebSocket with. */
    static final String PROTOCOL = "jvisor.console";
    /** The prefix of the subprotocol that carries the token. */
    static final String BEARER_PROTOCOL = "jvisor.bearer.";

    private static final String SUBPROTOCOL_HEADER = "Sec-WebSocket-Protocol";

    /**
     * The page's own headers: scripts, styles and connections only from the daemon itself, never
     * in a frame (no clickjacking of the buttons), no referrer. Inline styles are allowed because
     * xterm.js and uPlot set them on the elements they draw.
     */
    private static final Map<String, String> HEADERS = Map.of(
            "Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
                    + " img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            "X-Content-Type-Options", "nosniff",
            "X-Frame-Options", "DENY",
            "Referrer-Policy", "no-referrer",
            "Cache-Control", "no-cache");

    private WebConsole() {}

    /** Serves the page at / and the webjars at /webjars (no token needed for either). */
    static void serve(JavalinConfig config) {
        config.staticFiles.add(files -> {
            files.hostedPath = "/";
            files.directory = "/jvisor/web";
            files.location = Location.CLASSPATH;
            files.headers = HEADERS;
        });
        config.staticFiles.enableWebjars();
    }

    /**
     * The token a browser offered as the subprotocol {@code jvisor.bearer.TOKEN}, or null. When it
     * did, the upgrade's answer names {@link #PROTOCOL} (which the browser must have offered too),
     * never the token.
     */
    static String protocolToken(Context ctx) {
        String offered = ctx.header(SUBPROTOCOL_HEADER);
        if (offered == null) return null;
        for (String p : offered.split(",")) {
            p = p.strip();
            if (p.startsWith(BEARER_PROTOCOL)) {
                ctx.header(SUBPROTOCOL_HEADER, PROTOCOL);
                return p.substring(BEARER_PROTOCOL.length());
            }
        }
        return null;
    }
}
