package jvisor.host;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import jvisor.machine.BootSpec;

/**
 * Many VMs in one JVM: the registry by name, definitions and saved VMs in the {@link StateDir},
 * guest RAM accounted against a limit, and the event stream. {@link #open} brings back what the
 * last daemon left (and restores the VMs it saved on its way out); {@link #close} saves every
 * running VM (the managed save) before the daemon exits.
 */
public final class Host implements AutoCloseable {
    /** A VM as stored in vms/NAME.json. */
    record Stored(VmDefinition definition, String state, String reason, String snapshot, String resumeAs) {}

    private final StateDir dir;
    private final long maxMemory;
    private final BootSpec.ImageSource images;
    private final Map<String, Vm> vms = new ConcurrentSkipListMap<>();
    private final Map<String, Long> reserved = new ConcurrentHashMap<>();
    private final List<Consumer<HostEvent>> listeners = new CopyOnWriteArrayList<>();
    /** The migrations that moved VMs away from this host, by VM name, for their status. */
    private final Map<String, OutgoingMigration> departed = new ConcurrentHashMap<>();
    private volatile boolean closing;

    private Host(StateDir dir, long maxMemory, BootSpec.ImageSource images) {
        this.dir = dir;
        this.maxMemory = maxMemory;
        this.images = images;
    }

    /**
     * Opens the state directory, loads the VMs defined there and restores those the last daemon
     * saved when it stopped. A VM that fails to come back is left saved, with the reason logged.
     */
    public static Host open(StateDir dir, long maxMemory, BootSpec.ImageSource images) throws IOException {
        Host h = new Host(dir, maxMemory, images);
        List<Vm> resume = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir.vmsDir(), "*.json")) {
            for (Path f : files) {
                Vm vm = h.load(f);
                if (vm == null) continue;
                h.vms.put(vm.name(), vm);
                if (vm.state() == VmState.SAVED && vm.resumeAs() != null) resume.add(vm);
            }
        }
        for (Vm vm : resume) {
            try {
                vm.restore(null);
            } catch (HostException e) {
                vm.console().note("could not restore after the daemon restarted: " + e.getMessage());
                System.err.println("jvisor: " + e.getMessage());
            }
        }
        return h;
    }

    private Vm load(Path file) {
        try {
            Stored s = Json.MAPPER.readValue(file.toFile(), Stored.class);
            VmState state = VmState.parse(s.state());
            String reason = s.reason();
            if (state.active()) { // the last daemon ended without saving it
                state = VmState.STOPPED;
                reason = "the daemon ended without saving it";
            }
            return new Vm(this, s.definition(), state, reason, s.snapshot() == null ? null : Path.of(s.snapshot()),
                    s.resumeAs());
        } catch (IOException | RuntimeException e) {
            System.err.println("jvisor: skipping " + file + ": " + e.getMessage());
            return null;
        }
    }

    /** Guest RAM the host may give out by default: 3/4 of the host's memory, less the JVM's heap. */
    public static long defaultMaxMemory() {
        long total = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        return Math.max(256L << 20, total / 4 * 3 - Runtime.getRuntime().maxMemory());
    }

    public StateDir dir() { return dir; }
    public long maxMemory() { return maxMemory; }
    public long usedMemory() { return reserved.values().stream().mapToLong(Long::longValue).sum(); }
    BootSpec.ImageSource images() { return images; }

    StateDir stateDir() { return dir; }
    Path savedFile(String name) { return dir.savedFile(name); }
    Path logFile(String name) { return dir.logFile(name); }

    // ---- registry ----

    public List<Vm> list() { return List.copyOf(vms.values()); }

    public Vm get(String name) {
        Vm vm = vms.get(name);
        if (vm == null) throw HostException.notFound("no VM called '" + name + "' (see the list of VMs)");
        return vm;
    }

    /** Adds a VM in state defined; 409 if the name is taken. */
    public Vm define(VmDefinition d) {
        d.check();
        synchronized (vms) {
            if (closing) throw HostException.conflict("the daemon is shutting down");
            if (vms.containsKey(d.name())) {
                throw HostException.conflict("a VM called '" + d.name() + "' exists; pick another name or delete it first");
            }
            Vm vm = new Vm(this, d, VmState.DEFINED, null, null, null);
            vms.put(d.name(), vm);
            departed.remove(d.name());
            persist(vm);
            event(vm, "defined");
            return vm;
        }
    }

    // ---- live migration ----

    /**
     * Where VM {@code name}'s migration from this host is: one going on or failed (the VM is
     * here), or one that moved the VM away (it is not).
     */
    public OutgoingMigration.Status migrationStatus(String name) {
        Vm vm = vms.get(name);
        if (vm != null) return vm.migrationStatus();
        OutgoingMigration m = departed.get(name);
        if (m == null) throw HostException.notFound("no VM called '" + name + "' (see the list of VMs)");
        return m.status();
    }

    /** The destination's side of a migration of VM {@code name} arriving over {@code link}. */
    public IncomingMigration incoming(String name, IncomingMigration.Link link) {
        return new IncomingMigration(this, name, link);
    }

    /**
     * Adds a VM arriving by live migration, incoming: its name taken and its memory accounted,
     * but nothing stored until it runs here ({@link Vm#arrived}).
     */
    Vm defineIncoming(VmDefinition d) {
        d.check();
        synchronized (vms) {
            if (closing) throw HostException.conflict("the daemon is shutting down");
            if (vms.containsKey(d.name())) {
                throw HostException.conflict("a VM called '" + d.name() + "' exists on the destination; delete it or migrate another");
            }
            reserve(d.name(), d.config().memoryBytes());
            Vm vm = new Vm(this, d, VmState.INCOMING, null, null, null);
            vms.put(d.name(), vm);
            event(vm, "arriving by live migration");
            return vm;
        }
    }

    /** Forgets an incoming VM that did not arrive. */
    void dropIncoming(Vm vm, String why) {
        if (vm == null) return;
        synchronized (vms) {
            if (vm.state() != VmState.INCOMING || vms.get(vm.name()) != vm) return;
            vms.remove(vm.name());
        }
        release(vm.name());
        vm.discardLog();
        emit(new HostEvent(System.currentTimeMillis(), vm.name(), "deleted", "the migration did not arrive: " + why));
    }

    /** Forgets a VM that now runs on another host: its definition and log go, as with delete. */
    void migratedAway(Vm vm, OutgoingMigration migration, String message) {
        departed.put(vm.name(), migration);
        vms.remove(vm.name(), vm);
        try {
            Files.deleteIfExists(dir.vmFile(vm.name()));
        } catch (IOException e) {
            System.err.println("jvisor: " + vm.name() + " migrated, but " + dir.vmFile(vm.name()) + " stays: " + e.getMessage());
        }
        vm.discardLog();
        emit(new HostEvent(System.currentTimeMillis(), vm.name(), "migrated", message));
    }

    /** Replaces a stopped VM's definition (the name stays). */
    public Vm update(String name, VmDefinition d) {
        Vm vm = get(name);
        VmDefinition named = d.named(name);
        named.check();
        vm.update(named);
        return vm;
    }

    public void delete(String name) {
        Vm vm = get(name);
        try {
            vm.delete();
            Files.deleteIfExists(dir.vmFile(name));
        } catch (IOException e) {
            throw HostException.failed("could not delete " + name + ": " + e.getMessage(), e);
        }
        vms.remove(name);
        emit(new HostEvent(System.currentTimeMillis(), name, "deleted", "deleted"));
    }

    // ---- resources ----

    /** Accounts {@code bytes} of guest RAM to VM {@code name}; 409 with the numbers if the limit would pass. */
    synchronized void reserve(String name, long bytes) {
        long used = usedMemory() - reserved.getOrDefault(name, 0L);
        if (used + bytes > maxMemory) {
            throw HostException.conflict("not enough memory for " + name + ": it needs " + ByteSize.format(bytes)
                    + ", " + mib(used) + " of the host's " + mib(maxMemory) + " are given to running VMs"
                    + " (stop one, or start the daemon with a larger --max-memory)");
        }
        reserved.put(name, bytes);
    }

    synchronized void release(String name) { reserved.remove(name); }

    private static String mib(long bytes) { return (bytes >> 20) + " MiB"; }

    // ---- state and events ----

    /** Writes a VM's definition and state; a failure is reported, and the VM goes on. */
    void persist(Vm vm) {
        Vm.Info i = vm.info();
        Stored s = new Stored(vm.definition(), i.state(), i.reason(), i.snapshot(), vm.resumeAs());
        try {
            dir.write(dir.vmFile(vm.name()), Json.MAPPER.writeValueAsString(s));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            vm.console().note("could not record its state in " + dir.vmFile(vm.name()) + ": " + e.getMessage());
        }
    }

    void event(Vm vm, String message) {
        emit(new HostEvent(System.currentTimeMillis(), vm.name(), vm.state().label(), message));
    }

    private void emit(HostEvent e) {
        for (Consumer<HostEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                listeners.remove(l); // a listener that fails (a closed stream) stops listening
            }
        }
    }

    /** Calls {@code listener} with every event from now on, until the returned handle closes. */
    public AutoCloseable subscribe(Consumer<HostEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /** The host's own numbers, for the API. */
    public Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vms", vms.size());
        m.put("active", vms.values().stream().filter(v -> v.state().active()).count());
        m.put("maxMemory", maxMemory);
        m.put("usedMemory", usedMemory());
        m.put("stateDir", dir.root().toString());
        return m;
    }

    /**
     * The managed save (SIGTERM): saves every running or paused VM into the state directory, so
     * the next {@link #open} continues them; then closes the logs and the directory.
     */
    @Override
    public void close() throws IOException {
        synchronized (vms) { closing = true; }
        List<Thread> savers = new ArrayList<>();
        for (Vm vm : vms.values()) {
            if (vm.state().active()) savers.add(Thread.ofVirtual().start(vm::exit));
        }
        for (Thread t : savers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Vm vm : vms.values()) vm.closeLog();
        dir.close();
    }
}
