package jvisor.net.tls;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Locale;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * HTTP clients for a jvisor daemon's API: plain for {@code http://} URLs, and for
 * {@code https://} (or {@code wss://}) URLs TLS that trusts the daemon by its pinned certificate
 * ({@link PinStore}) instead of by certificate authorities and host names. The client speaks
 * HTTP/1.1 and opens WebSockets ({@code client.newWebSocketBuilder()}) over the same TLS.
 *
 * <pre>
 *   HttpClient http = ApiConnection.client(URI.create("https://10.0.0.5:7407"),
 *           PinStore.trustOnFirstUse(PinStore.defaultFile(System.getenv()), System.err::println));
 *   ...
 *   catch (IOException e) { String why = ApiConnection.explain(e); ... }
 * </pre>
 *
 * One client per daemon: pins are looked up by the host and port the connection goes to.
 */
public final class ApiConnection {
    private ApiConnection() {}

    /** A client for the daemon at {@code uri}, with a 10-second connect timeout. */
    public static HttpClient client(URI uri, PinStore pins) {
        return builder(uri, pins).build();
    }

    /** The same, as a builder for callers that set more (an executor, other timeouts). */
    public static HttpClient.Builder builder(URI uri, PinStore pins) {
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10));
        if (secure(uri)) b.sslContext(sslContext(uri, pins));
        return b;
    }

    /** Whether {@code uri} asks for TLS (https or wss). */
    public static boolean secure(URI uri) {
        String s = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        return s.equals("https") || s.equals("wss");
    }

    /** A TLS context whose only trust is {@code pins}; {@code uri} names the daemon when the handshake does not. */
    public static SSLContext sslContext(URI uri, PinStore pins) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new Pinning(uri, pins)}, new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS in this JDK: " + e, e);
        }
    }

    /**
     * A one-line reason for a failed connection when TLS caused it: a pin that does not match,
     * or a daemon that does not speak TLS. Null when {@code failure} is something else.
     */
    public static String explain(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PinMismatchException p) return p.getMessage();
        }
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLException s) {
                String m = String.valueOf(s.getMessage());
                if (m.contains("Unsupported or unrecognized SSL message") || m.contains("plaintext")) {
                    return "the daemon does not speak TLS there: use an http:// URL";
                }
                return "TLS with the daemon failed: " + m;
            }
        }
        return null;
    }

    /** Trusts a server certificate by its fingerprint alone: no authorities, names or dates. */
    private static final class Pinning extends X509ExtendedTrustManager {
        private final URI uri;
        private final PinStore pins;

        Pinning(URI uri, PinStore pins) {
            this.uri = uri;
            this.pins = pins;
        }

        private void check(X509Certificate[] chain, String host, int port) throws CertificateException {
            if (chain == null || chain.length == 0) throw new CertificateException("the daemon presented no certificate");
            String key = host != null && port > 0 ? PinStore.key(host, port) : PinStore.key(uri);
            pins.check(key, Fingerprint.of(chain[0]));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            check(chain, engine == null ? null : engine.getPeerHost(), engine == null ? -1 : engine.getPeerPort());
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            check(chain, null, -1);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            check(chain, null, -1);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
            throw new CertificateException("a client trust manager only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
            throw new CertificateException("a client trust manager only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("a client trust manager only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }

}
