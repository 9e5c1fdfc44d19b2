package jvisor.api;

import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jvisor.host.Host;
import jvisor.host.IncomingMigration;

/**
 * The destination's end of a live migration: {@code /api/v1/vms/NAME/incoming} as a WebSocket,
 * handed to the host's {@link IncomingMigration} (control messages as text; the state stream
 * comes on a data connection the migration opens). One migration per connection.
 */
final class IncomingSocket {
    private final Host host;
    private final Map<String, IncomingMigration> migrations = new ConcurrentHashMap<>();

    private final javax.net.ssl.SSLContext tls;

    IncomingSocket(Host host, javax.net.ssl.SSLContext tls) {
        this.host = host;
        this.tls = tls;
    }

    void configure(WsConfig ws) {
        ws.onConnect(ctx -> {
            ctx.session.setIdleTimeout(java.time.Duration.ofMinutes(5));
            migrations.put(ctx.sessionId(), host.incoming(ctx.pathParam("name"), link(ctx, tls)));
        });
        ws.onMessage(ctx -> {
            IncomingMigration m = migrations.get(ctx.sessionId());
            if (m != null) m.text(ctx.message());
        });
        ws.onClose(ctx -> closed(ctx.sessionId()));
        ws.onError(ctx -> closed(ctx.sessionId()));
    }

    private void closed(String session) {
        IncomingMigration m = migrations.remove(session);
        if (m != null) m.closed();
    }

    private static IncomingMigration.Link link(WsContext ctx, javax.net.ssl.SSLContext tls) {
        return new IncomingMigration.Link() {
            @Override public void send(String text) { ctx.send(text); }

            @Override
            public void close(int code, String reason) {
                if (ctx.session.isOpen()) ctx.closeSession(code, reason);
            }

            @Override
            public javax.net.ssl.SSLContext tls() { return tls; }

            @Override
            public java.net.InetAddress localAddress() {
                return ((java.net.InetSocketAddress) ctx.session.getLocalSocketAddress()).getAddress();
            }
        };
    }
}
