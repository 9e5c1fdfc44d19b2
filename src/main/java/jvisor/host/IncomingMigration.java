package jvisor.host;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import jvisor.machine.Machine;
import jvisor.machine.Migration;

/**
 * The destination's side of a live migration, one per connection: takes the definition, reads
 * the state stream into a paused machine and, once it has read all of it (its end section),
 * runs the VM and says {@code running}. If the stream breaks off or anything fails before, the
 * incoming VM and its memory are dropped, so the source's copy stays the only one (the source
 * never resumes it after its final stop without asking this host: see {@link OutgoingMigration}).
 */
public final class IncomingMigration {
    /** The connection back to the source, as the API gives it. */
    public interface Link {
        void send(String text);

        void close(int code, String reason);

        /** This host's address as the source reached it: the data connection listens there. */
        java.net.InetAddress localAddress();

        /** The daemon's TLS context when the API speaks HTTPS (the data connection then does too), else null. */
        javax.net.ssl.SSLContext tls();
    }

    private final Host host;
    private final String name;
    private final Link link;
    /** The data connection's listener, then the connection; closed when the WebSocket ends. */
    private volatile MigrationData.Listener listener;
    private volatile java.nio.channels.ByteChannel data;
    private volatile Vm vm;
    private volatile boolean started;

    IncomingMigration(Host host, String name, Link link) {
        this.host = host;
        this.name = name;
        this.link = link;
    }

    /** A text message from the source. */
    public void text(String json) {
        MigrationMessage m;
        try {
            m = MigrationMessage.parse(json);
        } catch (IllegalArgumentException e) {
            fail(e.getMessage());
            return;
        }
        switch (m.type()) {
            case MigrationMessage.DEFINE -> define(m);
            default -> fail("unexpected migration message '" + m.type() + "'");
        }
    }

    /** The connection ended (either side, any reason): so does the data connection, and a read waiting on it. */
    public void closed() {
        closeQuietly(listener);
        closeQuietly(data);
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            if (c != null) c.close();
        } catch (java.io.IOException e) {
            // closing anyway
        }
    }

    private void define(MigrationMessage m) {
        if (started || m.definition() == null) {
            fail(started ? "defined twice" : "define without a definition");
            return;
        }
        started = true;
        VmDefinition d = m.definition().named(name);
        Map<Path, Path> moved = new HashMap<>();
        if (m.paths() != null) m.paths().forEach((from, to) -> moved.put(Path.of(from), Path.of(to)));
        try {
            vm = host.defineIncoming(d.withPaths(moved));
        } catch (HostException e) {
            fail(e.getMessage());
            return;
        }
        boolean paused = Boolean.TRUE.equals(m.paused());
        try {
            listener = new MigrationData.Listener(link.localAddress(), link.tls());
        } catch (java.io.IOException e) {
            drop(null, "cannot listen for the data connection: " + e.getMessage());
            return;
        }
        Thread.ofPlatform().name("jvisor-incoming-" + name).start(() -> receive(moved, paused));
        link.send(MigrationMessage.accepted(listener.port(), listener.key()).json());
    }

    /** Reads the stream and runs the VM; drops it on any failure before. */
    private void receive(Map<Path, Path> moved, boolean paused) {
        Machine m = null;
        long stood;
        try {
            try (var in = data = listener.accept()) {
                m = Migration.receive(in, "the migration stream", vm.console(), moved, vm.definition().jitMode());
            }
            stood = vm.arrived(m, paused);
        } catch (Exception e) {
            drop(m, e.getMessage());
            return;
        }
        try { // it runs here now, whether or not the source hears it
            link.send(MigrationMessage.running(stood / 1e6).json());
            link.close(1000, "migrated");
        } catch (RuntimeException e) {
            vm.console().note("the source did not hear that the VM arrived: " + e.getMessage());
        }
    }

    private void drop(Machine m, String why) {
        if (m != null) m.close();
        host.dropIncoming(vm, why);
        fail(why);
    }

    private void fail(String message) {
        try {
            link.send(MigrationMessage.error(message).json());
        } catch (RuntimeException e) {
            // the source is gone already
        }
        link.close(1011, "migration failed");
    }
}
