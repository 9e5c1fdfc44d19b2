package jvisor.host;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jvisor.devices.virtio.VirtioBlock;
import jvisor.devices.virtio.VirtioDevice;
import jvisor.devices.virtio.VirtioNet;
import jvisor.jit.RegionCompiler;
import jvisor.machine.Boot;
import jvisor.machine.BootSpec;
import jvisor.machine.DeviceSpec;
import jvisor.machine.Devices;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;
import jvisor.machine.Snapshot;

/**
 * One VM of the host and its lifecycle (DESIGN §6). Transitions run under this object's lock;
 * readers see the volatile fields without it. While running, the boot hart runs on a thread of
 * its own (the runner) and the other harts on theirs; the runner sees every way a run ends (the
 * guest powers off, stop, save, a host exception) and settles the VM's state in {@link #ended}.
 * A host exception ends this VM as CRASHED and touches no other VM.
 */
public final class Vm {
    /** What a VM is, for the API: its definition and where it is in its life. */
    public record Info(String name, String state, String reason, VmDefinition definition, String snapshot,
                       Long startedAt) {}

    /** Why the current run is ending, when the host ended it. */
    private enum Ending { STOP, SAVE, EXIT, MIGRATED }

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private final Host host;
    private final String name;
    private final ConsoleBuffer console = new ConsoleBuffer();
    private final VmLog log;
    private volatile VmDefinition definition;
    private volatile VmState state;
    private volatile String reason;
    /** Where the VM is saved (SAVED only), and whether to resume it there after a managed save. */
    private volatile Path snapshot;
    private volatile String resumeAs;
    private volatile Machine machine;
    private volatile long startedAt, startNanos;
    private Thread runner;
    /** The VM's gdb stub while it runs, when its definition asks for one (as {@code jvisor run --gdb}). */
    private jvisor.gdb.GdbServer gdb;
    private Ending ending;
    /** The live migration of this VM to another host while one goes on (or failed last: see its status). */
    private volatile OutgoingMigration migration;
    private volatile OutgoingMigration lastMigration;
    private String migratedMessage;
    private long sampleInsns, sampleNanos; // for MIPS between stats calls; guarded by this

    Vm(Host host, VmDefinition definition, VmState state, String reason, Path snapshot, String resumeAs) {
        this.host = host;
        this.name = definition.name();
        this.definition = definition;
        this.state = state;
        this.reason = reason;
        this.snapshot = snapshot;
        this.resumeAs = resumeAs;
        this.log = new VmLog(host.logFile(name), console);
    }

    public String name() { return name; }
    public VmDefinition definition() { return definition; }
    public VmState state() { return state; }
    public String reason() { return reason; }
    Path snapshot() { return snapshot; }
    String resumeAs() { return resumeAs; }
    public ConsoleBuffer console() { return console; }

    public Info info() {
        Path s = snapshot;
        return new Info(name, state.label(), reason, definition, s == null ? null : s.toString(),
                state.active() ? startedAt : null);
    }

    /** Types bytes on the VM's serial console (dropped unless it runs). */
    public void type(byte[] bytes) {
        Machine m = machine;
        if (m != null) for (byte b : bytes) m.typed(b);
    }

    // ---- definition ----

    synchronized void update(VmDefinition d) {
        if (!state.startable()) {
            throw HostException.conflict(name + " is " + state.label() + "; stop it before changing its definition");
        }
        definition = d;
        host.persist(this);
        host.event(this, "definition updated");
    }

    synchronized void delete() throws IOException {
        if (state == VmState.INCOMING) throw HostException.conflict(name + " is arriving by live migration; it can be deleted once it runs");
        if (state.active()) throw HostException.conflict(name + " is " + state.label() + "; stop it before deleting it");
        dropSnapshot();
        log.delete();
        console.close();
    }

    // ---- lifecycle ----

    /** Boots the VM afresh: defined, stopped or crashed → running. */
    public synchronized void start() {
        if (!state.startable()) {
            throw HostException.conflict(name + " is " + state.label() + (state == VmState.SAVED
                    ? "; restore it, or stop it to discard the saved state" : "; it can start when stopped"));
        }
        VmDefinition d = definition;
        d.check();
        MachineConfig config = d.config();
        host.reserve(name, config.memoryBytes());
        List<VirtioDevice> devices = List.of();
        try {
            jvisor.images.CachedImage img = d.image() == null ? null : image(d.image());
            Boot boot = d.bootSpec().resolve(n -> img);
            List<DeviceSpec> specs = withSystemDisk(d, img);
            devices = Devices.open(specs);
            Machine m = build(config, boot, specs, devices);
            launch(m, "started");
        } catch (BootSpec.Invalid e) {
            throw abandon(devices, HostException.invalid(e.field(), e.getMessage()));
        } catch (IllegalArgumentException e) {
            throw abandon(devices, HostException.invalid(null, e.getMessage()));
        } catch (IOException | RuntimeException e) {
            throw abandon(devices, e instanceof HostException h ? h
                    : HostException.failed("cannot start " + name + ": " + e.getMessage(), e));
        }
    }

    /**
     * The definition's devices, after a system image's disk (vda): the VM's own persistent
     * overlay in the state directory, made on its first start.
     */
    private List<DeviceSpec> withSystemDisk(VmDefinition d, jvisor.images.CachedImage img) throws IOException {
        if (img == null || img.disk() == null) return d.devices();
        Path disk = host.stateDir().diskFile(name);
        jvisor.images.SystemDisk.prepare(img, disk, 0, false);
        List<DeviceSpec> specs = new java.util.ArrayList<>(d.devices());
        specs.addFirst(DeviceSpec.disk(disk + ",format=qcow2"));
        return specs;
    }

    /** A catalog image for this VM: for a system image, the build its disk was made over (its kernel has the disk's modules). */
    private jvisor.images.CachedImage image(String imageName) throws IOException {
        jvisor.images.CachedImage img = host.images().image(imageName);
        return img.disk() == null ? img : jvisor.images.SystemDisk.imageOf(host.stateDir().diskFile(name), img);
    }

    private HostException abandon(List<VirtioDevice> devices, HostException e) {
        for (VirtioDevice d : devices) d.close();
        host.release(name);
        return e;
    }

    /** A new machine with {@code devices} attached and {@code boot} loaded; closes it if loading fails. */
    private Machine build(MachineConfig config, Boot boot, List<DeviceSpec> specs, List<VirtioDevice> devices) {
        Machine m = new Machine(config, console);
        try {
            for (int i = 0; i < devices.size(); i++) m.attach(specs.get(i), devices.get(i));
            m.setJit(definition.jitMode());
            definition.cpuFeatures().applyTo(m);
            m.load(boot);
            return m;
        } catch (IOException e) {
            m.close();
            throw HostException.invalid(null, e.getMessage());
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Runs {@code m} on a new runner thread; the VM becomes running (or paused if {@code m} is). */
    private void launch(Machine m, String why) {
        debug(m);
        machine = m;
        ending = null;
        reason = null;
        startedAt = System.currentTimeMillis();
        startNanos = sampleNanos = System.nanoTime();
        sampleInsns = 0;
        runner = Thread.ofPlatform().name("jvisor-vm-" + name).start(() -> run(m));
        setState(m.paused() ? VmState.PAUSED : VmState.RUNNING, why);
    }

    /** The runner: runs the machine, and a new one after each guest reboot, until the run ends. */
    private void run(Machine first) {
        Machine m = first;
        Machine.Outcome outcome = null;
        Throwable failure = null;
        try {
            while (true) {
                outcome = m.run();
                if (outcome == null || !outcome.reboot() || endRequested()) break;
                m = reboot(m);
            }
        } catch (Throwable t) {
            failure = t;
        }
        ended(m, outcome, failure);
    }

    private synchronized boolean endRequested() { return ending != null; }

    /**
     * Hands {@code m} to the VM's gdb stub, listening first if it is not yet. A port that cannot
     * be had leaves the VM running without a stub, and its log says why.
     */
    private synchronized void debug(Machine m) {
        if (definition.gdb() == null) return;
        if (gdb == null) {
            try {
                gdb = new jvisor.gdb.GdbServer(jvisor.gdb.GdbServer.parseAddress(definition.gdb()));
            } catch (IOException e) {
                console.note("gdb " + definition.gdb() + ": cannot listen (" + e.getMessage() + "); no gdb stub");
                return;
            }
            console.note("gdb stub on port " + gdb.port());
        }
        gdb.serve(m, false);
    }

    private synchronized void closeGdb() {
        if (gdb != null) gdb.close();
        gdb = null;
    }

    /** A guest reboot: the same devices on a fresh machine that boots the definition again. */
    private Machine reboot(Machine old) throws IOException {
        MachineConfig config = new MachineConfig(old.ram().size(), old.hartCount());
        List<DeviceSpec> specs = old.deviceSpecs();
        List<VirtioDevice> devices = old.devices();
        machine = null;
        old.close();
        Boot boot = definition.bootSpec().resolve(this::image);
        Machine m = build(config, boot, specs, devices);
        debug(m);
        console.note("the guest rebooted");
        synchronized (this) {
            machine = m;
            if (ending != null) m.powerOff(0); // stopped or saved meanwhile
        }
        return m;
    }

    /** Settles the state after a run: stopped, saved, crashed, or unchanged when the daemon exits. */
    private synchronized void ended(Machine m, Machine.Outcome outcome, Throwable failure) {
        List<VirtioDevice> devices = List.of();
        try {
            devices = m.devices();
            m.close();
        } catch (Throwable t) {
            if (failure == null) failure = t;
        }
        for (VirtioDevice d : devices) {
            try {
                d.close();
            } catch (RuntimeException e) {
                console.note("closing " + d.name() + " failed: " + e);
            }
        }
        machine = null;
        runner = null;
        closeGdb();
        host.release(name);
        if (failure != null) {
            StringWriter trace = new StringWriter();
            failure.printStackTrace(new PrintWriter(trace));
            console.note("host exception in this VM:\r\n" + trace.toString().replace("\n", "\r\n"));
            reason = "host exception: " + failure;
            setState(VmState.CRASHED, reason);
        } else if (ending == Ending.SAVE) {
            setState(VmState.SAVED, "saved to " + snapshot);
        } else if (ending == Ending.MIGRATED) {
            state = VmState.STOPPED; // gone from this host: nothing to record
            ending = null;
            host.migratedAway(this, migration, migratedMessage);
            migration = null;
            return;
        } else if (ending == Ending.EXIT) {
            state = VmState.STOPPED; // the daemon is exiting: not recorded, the next one finds it stopped
        } else if (ending == Ending.STOP) {
            setState(VmState.STOPPED, "stopped by the host");
        } else {
            String why = outcome == null ? "the run ended" : "the guest powered off (status " + outcome.status() + ")";
            setState(VmState.STOPPED, why);
        }
        ending = null;
    }

    /** Powers the VM off (running, paused), or discards its saved state (saved) → stopped. */
    public void stop() {
        synchronized (this) {
            if (state == VmState.SAVED) {
                dropSnapshot();
                setState(VmState.STOPPED, "saved state discarded");
                return;
            }
            requireActive("stop");
            ending = Ending.STOP;
            machine.powerOff(0);
        }
        awaitEnd();
    }

    /** Resets a running guest, as if it rebooted itself. */
    public synchronized void reboot() {
        if (state != VmState.RUNNING || ending != null || migration != null) throw HostException.conflict(name + " is " + describe() + "; only a running VM can reboot");
        machine.reboot();
        host.event(this, "reboot requested");
    }

    public synchronized void pause() {
        if (state != VmState.RUNNING || ending != null || migration != null) throw HostException.conflict(name + " is " + describe() + "; only a running VM can pause");
        machine.pause();
        setState(VmState.PAUSED, "paused");
    }

    public synchronized void resume() {
        if (state != VmState.PAUSED || ending != null || migration != null) throw HostException.conflict(name + " is " + describe() + "; only a paused VM can resume");
        machine.resume();
        setState(VmState.RUNNING, "resumed");
    }

    /**
     * Saves a running or paused VM to {@code file} (default: in the state directory) and ends
     * its run → saved. A failed save loses nothing: the VM goes on as it was.
     */
    public void save(Path file) { save(file, false); }

    void save(Path file, boolean managed) {
        synchronized (this) {
            requireActive("save");
            Path target = file != null ? file : host.savedFile(name);
            boolean wasRunning = state == VmState.RUNNING;
            machine.pause();
            try {
                Snapshot.save(machine, target, null);
            } catch (IOException | RuntimeException e) {
                if (wasRunning) machine.resume();
                throw HostException.failed("could not save " + name + " to " + target + ": " + e.getMessage()
                        + "; it goes on " + state.label(), e);
            }
            snapshot = target;
            resumeAs = managed ? state.label() : null;
            ending = Ending.SAVE;
            machine.powerOff(0);
        }
        awaitEnd();
    }

    /**
     * Continues a saved VM from its snapshot, or from {@code file} (a VM that is not running).
     * A VM saved while paused by a managed save comes back paused.
     */
    public synchronized void restore(Path file) {
        Path from = file != null ? file : snapshot;
        if (state.active() || (file == null && state != VmState.SAVED)) {
            throw HostException.conflict(name + " is " + describe() + (state.active()
                    ? "; stop or save it before restoring" : "; only a saved VM can restore (or give a snapshot file)"));
        }
        long memory;
        try {
            memory = Snapshot.info(from).config().memory();
        } catch (IOException e) {
            throw HostException.invalid("file", "cannot restore " + name + ": " + e.getMessage());
        }
        host.reserve(name, memory);
        Machine m;
        try {
            // The saved harts carry whether they have H (hart state version 2), as the guest was
            // told at its boot: the definition's cpu applies again only when the guest reboots.
            m = Snapshot.restore(from, console, Map.of());
            m.setJit(definition.jitMode());
        } catch (IOException | RuntimeException e) {
            host.release(name);
            throw HostException.failed("cannot restore " + name + " from " + from + ": " + e.getMessage(), e);
        }
        boolean own = from.equals(host.savedFile(name));
        if (!"paused".equals(resumeAs)) m.resume();
        snapshot = null;
        resumeAs = null;
        launch(m, "restored from " + from);
        // The RAM stays mapped from the file, which Linux keeps until the mapping goes.
        if (own) deleteQuietly(from);
    }

    /** The daemon is exiting: a managed save of a running or paused VM, else nothing. */
    void exit() {
        if (state.active()) {
            try {
                save(null, true);
                return;
            } catch (HostException e) {
                System.err.println("jvisor: " + e.getMessage() + "; it is powered off");
            }
        }
        synchronized (this) {
            if (state.active()) {
                ending = Ending.EXIT;
                machine.powerOff(0);
            }
        }
        awaitEnd();
    }

    /** Deletes the log and wakes console readers (the VM left this host). */
    void discardLog() {
        try {
            log.delete();
        } catch (IOException e) {
            console.note("could not delete the log: " + e.getMessage());
        }
        console.close();
    }

    /** Closes the log and wakes console readers (the daemon is exiting). */
    void closeLog() {
        log.close();
        console.close();
    }

    /** Makes this VM's console fail on its next write, as a broken device would: for tests of isolation. */
    public void injectFault(String what) { console.failNextWrite(new IllegalStateException(what)); }

    private void requireActive(String verb) {
        if (!state.active() || ending != null || migration != null) {
            throw HostException.conflict(name + " is " + describe() + "; only a running or paused VM can " + verb);
        }
    }

    private String describe() {
        if (ending == null && migration != null && state.active()) return "being migrated to " + migration.target();
        return ending == null || !state.active() ? state.label() : switch (ending) {
            case STOP -> "stopping";
            case SAVE -> "being saved";
            case EXIT -> "shutting down";
            case MIGRATED -> "leaving for " + migration.target();
        };
    }

    /** Waits (bounded) for the runner to settle the state. */
    private void awaitEnd() {
        Thread r;
        synchronized (this) { r = runner; }
        if (r == null) return;
        try {
            r.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void dropSnapshot() {
        Path s = snapshot;
        if (s != null && s.equals(host.savedFile(name))) deleteQuietly(s);
        snapshot = null;
        resumeAs = null;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            // a stale file in the state directory, not a failure of the request
        }
    }

    private void setState(VmState s, String why) {
        state = s;
        if (s != VmState.CRASHED) reason = s == VmState.STOPPED ? why : null;
        if (s != VmState.RUNNING && s != VmState.PAUSED) console.note(name + " " + s.label() + ": " + why);
        host.persist(this);
        host.event(this, why);
    }

    // ---- live migration ----

    /**
     * Starts moving this running or paused VM to another host (the work goes on in the
     * background; {@link #migrationStatus} and the events follow it).
     */
    public synchronized OutgoingMigration.Status migrate(OutgoingMigration.Request request) {
        if (state == VmState.INCOMING) throw HostException.conflict(name + " is arriving here by live migration");
        requireActive("migrate");
        migration = new OutgoingMigration(host, this, request);
        migration.start();
        return migration.status();
    }

    /** Where the current (or last failed) migration is; 404 if there was none. */
    public OutgoingMigration.Status migrationStatus() {
        OutgoingMigration m = migration != null ? migration : lastMigration;
        if (m == null) throw HostException.notFound(name + " has not been migrated from this host");
        return m.status();
    }

    /** Cancels a migration that has not handed the VM over yet: it keeps running here. */
    public void cancelMigration() {
        OutgoingMigration m = migration;
        if (m == null) throw HostException.conflict(name + " is not being migrated");
        m.cancel();
    }

    /** The machine a migration sends; null unless active. */
    Machine machine() { return machine; }

    /** The migration failed or was cancelled: the VM goes on here as it was ({@code resume}: it ran before). */
    synchronized void migrationFailed(OutgoingMigration m, boolean resume, String why) {
        lastMigration = m;
        migration = null;
        if (machine != null) {
            machine.reclaim(); // what the hand-over let go
            if (resume) machine.resume();
        }
        host.event(this, why);
    }

    /**
     * The migration's outcome is unknown (the connection broke after hand-over and the
     * destination could not be asked): the VM stays here, paused, until a person looks.
     */
    synchronized void migrationUnknown(OutgoingMigration m, String why) {
        lastMigration = m;
        migration = null;
        reason = why;
        setState(VmState.PAUSED, why);
    }

    /** The destination runs the VM: this copy ends, and the VM leaves this host ({@code message} says how it went). */
    void migrated(String message) {
        synchronized (this) {
            migratedMessage = message;
            ending = Ending.MIGRATED;
            machine.powerOff(0);
        }
        awaitEnd();
    }

    /**
     * A VM arrived by live migration: runs {@code m} (received with this VM's JIT mode; paused if
     * it was paused at the source), its clock moved on by the time it stood still; returns that
     * time in nanoseconds.
     */
    synchronized long arrived(Machine m, boolean paused) {
        if (state != VmState.INCOMING) throw new IllegalStateException(name + " is " + state.label() + ", not incoming");
        long stood = m.continueClock();
        if (!paused) m.resume();
        launch(m, String.format("arrived by live migration (stood still %.1f ms)", stood / 1e6));
        return stood;
    }

    // ---- log and stats ----

    /** The log so far (console output and the host's notes), and where on the console it ends. */
    public VmLog.Contents logContents() throws IOException { return log.contents(); }

    public synchronized VmStats stats() {
        Machine m = machine;
        long mem = definition.config().memoryBytes();
        if (m == null) return new VmStats(name, state.label(), null, null, null, null, null, null, null, mem, null, null, null);
        long now = System.nanoTime();
        long insns = 0, compiled = 0;
        List<Double> cpu = new ArrayList<>();
        for (int i = 0; i < m.hartCount(); i++) {
            insns += m.hart(i).instret();
            compiled += m.hart(i).regionRetired();
            Thread t = m.hartThread(i);
            long ns = t == null ? -1 : CPU.getThreadCpuTime(t.threadId());
            cpu.add(ns < 0 ? 0.0 : ns / 1e9);
        }
        double mips = now == sampleNanos ? 0 : (insns - sampleInsns) * 1e3 / (now - sampleNanos);
        sampleInsns = insns;
        sampleNanos = now;
        List<VmStats.Disk> disks = new ArrayList<>();
        List<VmStats.Nic> nics = new ArrayList<>();
        for (VirtioDevice d : m.devices()) {
            if (d instanceof VirtioBlock b) {
                disks.add(new VmStats.Disk(b.disk().name(), b.readBytes(), b.reads(), b.writtenBytes(), b.writes()));
            } else if (d instanceof VirtioNet n) {
                nics.add(new VmStats.Nic(n.mac().toString(), n.rxBytes(), n.rxPackets(), n.txBytes(), n.txPackets(), n.dropped()));
            }
        }
        RegionCompiler jit = m.jit();
        return new VmStats(name, state.label(), (now - startNanos) / 1e9, insns, Math.max(0, mips), cpu,
                insns == 0 ? 0.0 : (double) compiled / insns, jit == null ? null : jit.compiled(),
                jit == null ? null : jit.shared(), m.ram().size(), m.ram().residentBytes(),
                disks, nics);
    }
}
