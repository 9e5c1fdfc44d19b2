package jvisor.machine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jvisor.devices.virtio.VirtioDevice;
import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

/**
 * The machine state stream, section by section (docs/SNAPSHOT-FORMAT.md):
 *
 * <pre>
 *   header    machine kind, when and where saved, jvisor version
 *   machine   the configuration: RAM, harts, boot path, kernel command line, HTIF, devices
 *             (as their command-line specs) and the identity of each disk image
 *   ram       the pages that are not all zero
 *   clock     guest time (mtime) when paused
 *   hart.N    each hart: HSM state, registers, CSRs, reservation, interrupts, wfi
 *   plic, uart, rtc
 *   virtio.N  each transport, its queues and its device's own state
 *   end
 * </pre>
 *
 * RAM comes before the devices because a restored device may go back to work on its queues as
 * soon as its state is in; a migration sends RAM in rounds first and the rest when the guest
 * has stopped, in the same order. The CLINT keeps no state of its own (mtimecmp and msip are
 * the harts'); neither does the test device.
 */
public final class MachineState {
    private MachineState() {}

    public static final String MACHINE_KIND = "riscv64-virt";

    /** What the "machine" section says: enough to build the same board again. */
    public record Config(long memory, int cpus, Boot.Bios bios, String cmdline, long tohost, long fromhost,
                         List<DeviceSpec> devices) {}

    /** What a snapshot holds, for {@code jvisor snapshot info}. */
    public record Info(int format, String machineKind, Instant savedAt, String savedOn, String jvisorVersion,
                       Config config, long ramBytesSaved) {}

    /** Writes the whole state of a paused machine. */
    static void write(Machine m, WritableByteChannel channel, boolean alignRam, StateStreamWriter.Progress progress) throws IOException {
        m.flushDevices();
        StateStreamWriter out = new StateStreamWriter(channel, alignRam, progress);
        Config c = writeHead(m, out);
        writeOverlays(m, out, c);
        out.ram(m.ram(), 1, null);
        m.saveState(out);
        out.section("end", 1, new StateWriter());
    }

    /** The "header" and "machine" sections. */
    static Config writeHead(Machine m, StateStreamWriter out) throws IOException {
        Config c = m.stateConfig();
        out.section("header", 1, new StateWriter().string(MACHINE_KIND).i64(System.currentTimeMillis())
                .string(hostDescription()).string(version()));
        StateWriter config = new StateWriter();
        writeConfig(config, c);
        out.section("machine", 1, config);
        return c;
    }

    /** The temporary overlays of snapshot=on disks, as "overlay.N" sections; the machine is paused and flushed. */
    static void writeOverlays(Machine m, StateStreamWriter out, Config c) throws IOException {
        for (int i = 0; i < c.devices().size(); i++) {
            Path overlay = m.temporaryOverlay(i);
            if (overlay != null) out.section("overlay." + i, 1, overlay);
        }
    }

    /**
     * A migration's "disks" section: each disk's identity once the source has flushed it (the
     * "machine" section's identities date from when the migration began, and the guest has
     * written since).
     */
    static void writeDisks(Config c, StateStreamWriter out) throws IOException {
        StateWriter w = new StateWriter();
        for (DeviceSpec d : c.devices()) {
            if (d.kind() == DeviceSpec.Kind.DISK) writeIdentity(w, DiskIdentity.of(d.path()));
        }
        out.section("disks", 1, w);
    }

    private static void writeIdentity(StateWriter w, DiskIdentity id) throws IOException {
        w.i64(id.size()).i64(id.modifiedMillis()).i64(id.fingerprint());
    }

    private static void checkDisks(StateReader r, Config c) throws IOException {
        for (DeviceSpec d : c.devices()) {
            if (d.kind() != DeviceSpec.Kind.DISK) continue;
            checkDisk(d, d.path(), new DiskIdentity(r.i64(), r.i64(), r.i64()));
        }
        r.end();
    }

    private static void writeConfig(StateWriter w, Config c) throws IOException {
        w.i64(c.memory()).i32(c.cpus()).u8(c.bios().ordinal()).string(c.cmdline()).i64(c.tohost()).i64(c.fromhost());
        w.i32(c.devices().size());
        for (DeviceSpec d : c.devices()) {
            w.u8(d.kind().ordinal()).string(d.value());
            if (d.kind() == DeviceSpec.Kind.DISK) {
                writeIdentity(w, DiskIdentity.of(d.path()));
            }
        }
    }

    /**
     * Reads a whole snapshot stream and returns the machine it describes, paused, or throws with
     * a message (and leaves nothing open). {@code moved} maps disk and share paths as saved to
     * where they are now.
     */
    static Machine read(StateStreamReader in, OutputStream console, Map<Path, Path> moved) throws IOException {
        return read(in, console, moved, null, null);
    }

    /** How a migration's destination answers a "sync" section: everything before it is applied. */
    @FunctionalInterface
    interface Sync {
        void acknowledge() throws IOException;
    }

    /**
     * Reads a stream as {@link #read(StateStreamReader, OutputStream, Map)} does; for a live
     * migration ({@code sync} not null) the RAM comes in rounds, each answered through
     * {@code sync} (the "sync" sections), the disks are checked only once the source has flushed
     * them (the "disks" section), and the code the guest ran at the source is decoded ahead (the
     * "code" section) with the JIT {@code jit} (null: none yet, the caller sets it); the caller
     * moves the guest's clock on ({@link Machine#continueClock}) when it resumes the machine.
     *
     * <p>Sections after "machine", before "clock": "ram" (one in a snapshot, a round each in a
     * migration, later ones overwriting pages), "overlay.N" and, in a migration, "disks" and
     * "code", in any order; devices open only once they are all in.
     */
    static Machine read(StateStreamReader in, OutputStream console, Map<Path, Path> moved, Sync sync,
                        Machine.JitMode jit) throws IOException {
        boolean migration = sync != null;
        header(in);
        Config c = config(in, moved, !migration, migration);
        Machine m = Machine.rebuild(c, console);
        if (jit != null) m.setJit(jit);
        Map<Integer, Path> overlays = new java.util.HashMap<>();
        List<VirtioDevice> devices = List.of();
        boolean ram = false, disksChecked = !migration;
        try {
            String name;
            while (!(name = in.next()).equals("clock")) {
                if (name.equals("ram")) {
                    in.ram(m.ram(), 1);
                    ram = true;
                } else if (name.startsWith("overlay.")) {
                    overlay(in, c, name, overlays);
                } else if (name.equals("disks") && migration) {
                    checkDisks(in.payload(1), c);
                    disksChecked = true;
                } else if (name.equals(Machine.CODE) && migration) {
                    m.prepareCode(in.payload(1));
                } else if (name.equals(Migration.SYNC) && migration) {
                    in.payload(1).end();
                    sync.acknowledge();
                } else {
                    throw in.corrupt("found section '" + name + "' where 'ram' or 'clock' belongs");
                }
            }
            if (!ram) throw in.corrupt("it holds no 'ram' section");
            if (!disksChecked) throw in.corrupt("it holds no 'disks' section");
            for (int i = 0; i < c.devices().size(); i++) {
                if (isTemporaryDisk(c.devices().get(i)) && !overlays.containsKey(i)) {
                    throw in.corrupt("it holds no 'overlay." + i + "' section for disk " + i);
                }
            }
            devices = openDevices(c, console, overlays);
            m.attachRestored(c.devices(), devices);
            devices = List.of(); // the machine owns them now
            List<String> sections = new ArrayList<>();
            for (int i = 0; i < c.cpus(); i++) sections.add("hart." + i);
            sections.addAll(List.of("plic", "uart", "rtc"));
            for (int i = 0; i < c.devices().size(); i++) sections.add("virtio." + i);
            m.loadSection("clock", in.payload(2));
            for (String s : sections) {
                expect(in, s);
                m.loadSection(s, in.payload(s.startsWith("hart.") ? jvisor.cpu.Hart.STATE_VERSION : 1));
            }
            expect(in, "end");
            in.payload(1).end();
            return m;
        } catch (IOException | RuntimeException e) {
            m.close(); // closes the devices it owns
            for (VirtioDevice d : devices) d.close();
            for (Path f : overlays.values()) Files.deleteIfExists(f); // unused, or taken over by a closed disk
            if (e instanceof IllegalArgumentException || e instanceof IndexOutOfBoundsException) {
                throw new StateException(in.source() + " is corrupted: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /** Reads the header and configuration only. */
    static Info info(StateStreamReader in) throws IOException {
        StateReader h = header(in);
        long savedAt = h.i64();
        String savedOn = h.string(1024, "host");
        String version = h.string(256, "version");
        Config c = config(in, Map.of(), false, false); // the disks may be elsewhere now: info only reads
        String name;
        while ((name = in.next()).startsWith("overlay.")) in.skip();
        if (!name.equals("ram")) throw in.corrupt("found section '" + name + "' where 'ram' belongs");
        return new Info(StateStreamWriter.FORMAT_VERSION, MACHINE_KIND, Instant.ofEpochMilli(savedAt), savedOn,
                version, c, in.length());
    }

    private static StateReader header(StateStreamReader in) throws IOException {
        expect(in, "header");
        StateReader h = in.payload(1);
        String kind = h.string(64, "machine kind");
        if (!MACHINE_KIND.equals(kind)) {
            throw new StateException(in.source() + " holds a " + kind + " machine; this jvisor runs " + MACHINE_KIND);
        }
        return h;
    }

    private static void expect(StateStreamReader in, String name) throws IOException {
        String got = in.next();
        if (!got.equals(name)) throw in.corrupt("found section '" + got + "' where '" + name + "' belongs");
    }

    /** Reads the configuration; with {@code check}, refuses disks that are missing or changed. */
    private static Config config(StateStreamReader in, Map<Path, Path> moved, boolean check, boolean migration)
            throws IOException {
        expect(in, "machine");
        StateReader r = in.payload(1);
        long memory = r.i64(1 << 20, 1L << 40, "RAM size");
        r.check((memory & 0xfff) == 0, "holds a RAM size that is not a multiple of 4 KiB");
        int cpus = r.i32(1, 32, "hart count");
        Boot.Bios bios = Boot.Bios.values()[r.u8(Boot.Bios.values().length - 1, "boot path")];
        String cmdline = r.string(1 << 16, "kernel command line");
        long tohost = r.i64(), fromhost = r.i64();
        int n = r.i32(0, VirtMap.VIRTIO_SLOTS, "device count");
        List<DeviceSpec> devices = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            DeviceSpec.Kind kind = DeviceSpec.Kind.values()[r.u8(DeviceSpec.Kind.values().length - 1, "device kind")];
            DeviceSpec spec = new DeviceSpec(kind, r.string(1 << 16, "device spec"));
            Path saved = spec.path();
            if (saved != null && moved.containsKey(saved)) spec = spec.withPath(moved.get(saved));
            if (kind == DeviceSpec.Kind.DISK) {
                DiskIdentity expected = new DiskIdentity(r.i64(), r.i64(), r.i64());
                if (check) checkDisk(spec, saved, expected);
                else if (migration && !Files.isRegularFile(spec.path())) {
                    throw new StateException("disk " + spec.path() + " is not reachable here; a migration needs the VM's disks"
                            + " on shared storage (or give a path mapping for where this host sees " + saved + ")");
                }
            }
            devices.add(spec);
        }
        r.end();
        return new Config(memory, cpus, bios, cmdline == null ? "" : cmdline, tohost, fromhost, devices);
    }

    private static void checkDisk(DeviceSpec spec, Path saved, DiskIdentity expected) throws IOException {
        Path now = spec.path();
        String move = "; if it moved, give --path " + saved + "=NEWPATH";
        if (!Files.isRegularFile(now)) throw new StateException("disk " + now + " of the snapshot is missing" + move);
        String diff = expected.difference(DiskIdentity.of(now));
        if (diff != null) throw new StateException("disk " + now + " is not the one the snapshot was taken with: " + diff);
    }

    private static boolean isTemporaryDisk(DeviceSpec d) {
        return d.kind() == DeviceSpec.Kind.DISK && jvisor.storage.DiskSpec.parse(d.value()).snapshot();
    }

    /**
     * Reads an "overlay.N" section, the temporary overlay of snapshot=on disk N, into a new
     * temporary file that the reopened disk takes over.
     */
    private static void overlay(StateStreamReader in, Config c, String name, Map<Integer, Path> files) throws IOException {
        int slot;
        try {
            slot = Integer.parseInt(name.substring("overlay.".length()));
        } catch (NumberFormatException e) {
            slot = -1;
        }
        if (slot < 0 || slot >= c.devices().size() || !isTemporaryDisk(c.devices().get(slot)) || files.containsKey(slot)) {
            throw in.corrupt("section '" + name + "' belongs to no temporary disk of the machine");
        }
        Path f = Files.createTempFile("jvisor-snapshot-", ".qcow2");
        files.put(slot, f);
        in.payloadTo(f, 1);
    }

    private static List<VirtioDevice> openDevices(Config c, OutputStream console, Map<Integer, Path> overlays)
            throws IOException {
        try {
            return Devices.open(c.devices(), console, overlays);
        } catch (IOException | RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw new StateException("a device of the snapshot cannot be opened: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /** Which host saved the stream, for people (no name lookup: that can take seconds). */
    private static String hostDescription() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) host = System.getenv("COMPUTERNAME");
        if (host == null || host.isBlank()) {
            try {
                host = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            } catch (IOException | RuntimeException e) {
                host = "a host";
            }
        }
        return host + " (" + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", Java "
                + Runtime.version().feature() + ")";
    }

    /** jvisor's version, as {@code jvisor --version} gives it. */
    private static String version() {
        java.util.Properties p = new java.util.Properties();
        try (var in = MachineState.class.getResourceAsStream("/jvisor/version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            // unknown
        }
        return p.getProperty("version", "unknown");
    }
}
