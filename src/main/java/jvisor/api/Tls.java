package jvisor.api;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.OptionalSslConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import jvisor.net.tls.ServerCertificate;

/**
 * The API's HTTPS connector: Jetty's TLS with the daemon's certificate, HTTP/1.1 inside. A client
 * that speaks plain HTTP to it gets a 400 whose JSON error says to use https, not a reset
 * connection. Clients trust the certificate by its pinned fingerprint, so the host name they
 * use need not be one the certificate names (no SNI host check).
 */
final class Tls {
    private Tls() {}

    static Connector connector(Server server, HttpConfiguration http, ServerCertificate cert, InetAddress addr, int port) {
        char[] password = HexFormat.of().formatHex(new SecureRandom().generateSeed(16)).toCharArray();
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(cert.keyStore(password));
        ssl.setKeyStorePassword(new String(password));
        ssl.setSniRequired(false);
        HttpConfiguration https = new HttpConfiguration(http);
        SecureRequestCustomizer secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        https.addCustomizer(secure);
        SslConnectionFactory tls = new SslConnectionFactory(ssl, "http/1.1");
        ServerConnector c = new ServerConnector(server, new PlainHttpRefused(tls), tls, new HttpConnectionFactory(https));
        c.setHost(addr.getHostAddress());
        c.setPort(port);
        return c;
    }

    /** Lets TLS through, and answers anything else (plain HTTP) with a 400 that says to use https. */
    private static final class PlainHttpRefused extends OptionalSslConnectionFactory {
        PlainHttpRefused(SslConnectionFactory tls) { super(tls, null); }

        @Override
        protected void otherProtocol(ByteBuffer buffer, EndPoint endPoint) {
            String body = "{\"error\":\"this port speaks HTTPS only: use an https:// URL (the daemon prints its"
                    + " certificate's SHA-256 fingerprint at start)\"}\n";
            String response = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\nConnection: close\r\n\r\n" + body;
            endPoint.write(Callback.from(endPoint::close), ByteBuffer.wrap(response.getBytes(StandardCharsets.US_ASCII)));
        }
    }
}
