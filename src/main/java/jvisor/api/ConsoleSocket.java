package jvisor.api;

import io.javalin.websocket.WsConfig;
import io.javalin.websocket.WsContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import jvisor.host.ConsoleBuffer;
import jvisor.host.Host;
import jvisor.host.HostException;
import jvisor.host.Vm;
import org.eclipse.jetty.websocket.api.Callback;

/**
 * A VM's serial console over a WebSocket: what the guest prints goes out as binary messages,
 * what the viewer sends (binary or text) is typed on the console. Any number of viewers at
 * once; each gets the last 64 KiB replayed first (unless {@code ?replay=false}) and its own
 * virtual thread that follows the console, so a slow viewer only delays itself.
 */
final class ConsoleSocket {
    private final Host host;
    private final Map<String, Viewer> viewers = new ConcurrentHashMap<>();

    ConsoleSocket(Host host) { this.host = host; }

    void configure(WsConfig ws) {
        ws.onConnect(ctx -> {
            Vm vm;
            try {
                vm = host.get(ctx.pathParam("name"));
            } catch (HostException e) {
                ctx.closeSession(4404, e.getMessage());
                return;
            }
            ctx.session.setIdleTimeout(java.time.Duration.ZERO);
            boolean replay = !"false".equals(ctx.queryParam("replay"));
            Viewer v = new Viewer(ctx, vm, replay ? 0 : vm.console().position());
            viewers.put(ctx.sessionId(), v);
            v.thread = Thread.ofVirtual().name("jvisor-console-" + vm.name()).start(v::pump);
        });
        ws.onMessage(ctx -> {
            Viewer v = viewers.get(ctx.sessionId());
            if (v != null) v.vm.type(ctx.message().getBytes(StandardCharsets.UTF_8));
        });
        ws.onBinaryMessage(ctx -> {
            Viewer v = viewers.get(ctx.sessionId());
            if (v == null) return;
            ByteBuffer data = ctx.data();
            byte[] b = new byte[data.remaining()];
            data.get(b);
            v.vm.type(b);
        });
        ws.onClose(ctx -> stop(ctx.sessionId()));
        ws.onError(ctx -> stop(ctx.sessionId()));
    }

    private void stop(String session) {
        Viewer v = viewers.remove(session);
        if (v != null && v.thread != null) v.thread.interrupt();
    }

    /** One connected viewer: sends the console from {@code from} on. */
    private static final class Viewer {
        final WsContext ctx;
        final Vm vm;
        final long from;
        volatile Thread thread;

        Viewer(WsContext ctx, Vm vm, long from) {
            this.ctx = ctx;
            this.vm = vm;
            this.from = from;
        }

        void pump() {
            long pos = from;
            ConsoleBuffer console = vm.console();
            try {
                while (ctx.session.isOpen()) {
                    ConsoleBuffer.Chunk c = console.read(pos, 30_000);
                    if (c == null) {
                        ctx.closeSession(1001, vm.name() + " is gone");
                        return;
                    }
                    if (c.data().length > 0) send(c.data());
                    pos = c.next();
                }
            } catch (InterruptedException e) {
                // the viewer left
            } catch (RuntimeException | ExecutionException | TimeoutException e) {
                // the connection broke: the viewer is gone, the VM goes on
            }
        }

        /** Sends and waits until the frame is out, so a slow viewer holds back only its own pump. */
        private void send(byte[] data) throws InterruptedException, ExecutionException, TimeoutException {
            Callback.Completable done = new Callback.Completable();
            ctx.session.sendBinary(ByteBuffer.wrap(data), done);
            done.get(60, TimeUnit.SECONDS);
        }
    }
}
