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
        Config c = m.stateConfig();
        StateStreamWriter out = new StateStreamWriter(channel, alignRam, progress);
        out.section("header", 1, new StateWriter().string(MACHINE_KIND).i64(System.currentTimeMillis())
                .string(hostDescription()).string(version()));
        StateWriter config = new StateWriter();
        writeConfig(config, c);
        out.section("machine", 1, config);
        for (int i = 0; i < c.devices().size(); i++) {
            Path overlay = m.temporaryOverlay(i);
            if (overlay != null) out.section("overlay." + i, 1, overlay);
        }
        out.ram(m.ram(), 1);
        m.saveState(out);
        out.section("end", 1, new StateWriter());
    }

    private static void writeConfig(StateWriter w, Config c) throws IOException {
        w.i64(c.memory()).i32(c.cpus()).u8(c.bios().ordinal()).string(c.cmdline()).i64(c.tohost()).i64(c.fromhost());
        w.i32(c.devices().size());
        for (DeviceSpec d : c.devices()) {
            w.u8(d.kind().ordinal()).string(d.value());
            if (d.kind() == DeviceSpec.Kind.DISK) {
                DiskIdentity id = DiskIdentity.of(d.path());
                w.i64(id.size()).i64(id.modifiedMillis()).i64(id.fingerprint());
            }
        }
    }

    /**
     * Reads a whole stream and returns the machine it describes, paused, or throws with a
     * message (and leaves nothing open). {@code moved} maps disk and share paths as saved to
     * where they are now.
     */
    static Machine read(StateStreamReader in, OutputStream console, Map<Path, Path> moved) throws IOException {
        header(in);
        Config c = config(in, moved, true);
        List<VirtioDevice> devices = openDevices(c, console, overlays(in, c));
        Machine m = null;
        try {
            m = Machine.rebuild(c, devices, console);
            expect(in, "ram");
            in.ram(m.ram(), 1);
            List<String> sections = new ArrayList<>(List.of("clock"));
            for (int i = 0; i < c.cpus(); i++) sections.add("hart." + i);
            sections.addAll(List.of("plic", "uart", "rtc"));
            for (int i = 0; i < c.devices().size(); i++) sections.add("virtio." + i);
            for (String name : sections) {
                expect(in, name);
                m.loadSection(name, in.payload(name.startsWith("hart.") ? jvisor.cpu.Hart.STATE_VERSION : 1));
            }
            expect(in, "end");
            in.payload(1).end();
            return m;
        } catch (IOException | RuntimeException e) {
            if (m != null) m.close(); // closes the devices too
            else for (VirtioDevice d : devices) d.close();
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
        Config c = config(in, Map.of(), false); // the disks may be elsewhere now: info only reads
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
    private static Config config(StateStreamReader in, Map<Path, Path> moved, boolean check) throws IOException {
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

    /**
     * Reads the "overlay.N" sections, the temporary overlays of snapshot=on disks, each into a
     * new temporary file that the reopened disk takes over.
     */
    private static Map<Integer, Path> overlays(StateStreamReader in, Config c) throws IOException {
        Map<Integer, Path> files = new java.util.HashMap<>();
        try {
            for (int i = 0; i < c.devices().size(); i++) {
                DeviceSpec d = c.devices().get(i);
                if (d.kind() != DeviceSpec.Kind.DISK || !jvisor.storage.DiskSpec.parse(d.value()).snapshot()) continue;
                expect(in, "overlay." + i);
                Path f = Files.createTempFile("jvisor-snapshot-", ".qcow2");
                files.put(i, f);
                in.payloadTo(f, 1);
            }
            return files;
        } catch (IOException | RuntimeException e) {
            for (Path f : files.values()) Files.deleteIfExists(f);
            throw e;
        }
    }

    private static List<VirtioDevice> openDevices(Config c, OutputStream console, Map<Integer, Path> overlays)
            throws IOException {
        try {
            return Devices.open(c.devices(), console, overlays);
        } catch (IOException | RuntimeException e) {
            for (Path f : overlays.values()) Files.deleteIfExists(f);
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
