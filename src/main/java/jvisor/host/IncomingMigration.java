package jvisor.host;

import java.nio.ByteBuffer;
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
    }

    /** Largest binary message of the stream: the server must accept frames this big. */
    public static final int CHUNK = MigrationChannels.CHUNK;

    private final Host host;
    private final String name;
    private final Link link;
    private final MigrationChannels.Receiving stream = new MigrationChannels.Receiving();
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

    /** A part of the state stream. */
    public void binary(ByteBuffer data) {
        try {
            stream.arrived(data);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The connection ended (either side, any reason). */
    public void closed() {
        stream.end();
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
        Thread.ofPlatform().name("jvisor-incoming-" + name).start(() -> receive(moved, paused));
        link.send(MigrationMessage.of(MigrationMessage.ACCEPTED).json());
    }

    /** Reads the stream and runs the VM; drops it on any failure before. */
    private void receive(Map<Path, Path> moved, boolean paused) {
        Machine m = null;
        long stood;
        try {
            m = Migration.receive(stream, "the migration stream", vm.console(), moved);
            stood = vm.arrived(m, paused);
        } catch (Exception e) {
            drop(m, e.getMessage());
            return;
        }
        try { // it runs here now, whether or not the source hears it
            link.send(new MigrationMessage(MigrationMessage.RUNNING, null, null, null, null, stood / 1e6).json());
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
