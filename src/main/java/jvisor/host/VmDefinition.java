package jvisor.host;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import jvisor.machine.BootSpec;
import jvisor.machine.CpuFeatures;
import jvisor.machine.DeviceSpec;
import jvisor.machine.Devices;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;

/**
 * A VM as defined through the API: the options of {@code jvisor run} with the same names and
 * value syntax ({@code memory: "512M"}, {@code disks: ["/srv/vda.qcow2,readonly=on"]}). Files are
 * absolute paths, since the daemon's working directory means nothing to its clients. Stored as
 * JSON in the state directory.
 */
public record VmDefinition(String name, String image, String kernel, String initrd, String append, String bios,
                           String memory, Integer cpus, List<String> disks, List<String> nets, List<String> shares,
                           Boolean rng, String jit, String cpu, String gdb) {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    /** Fills in the defaults of {@code jvisor run}. */
    public VmDefinition {
        append = append == null ? "" : append;
        bios = bios == null || bios.isBlank() ? "builtin" : bios;
        memory = memory == null || memory.isBlank() ? ByteSize.format(MachineConfig.DEFAULT_MEMORY) : memory;
        cpus = cpus == null ? 1 : cpus;
        disks = disks == null ? List.of() : List.copyOf(disks);
        nets = nets == null ? List.of() : List.copyOf(nets);
        shares = shares == null ? List.of() : List.copyOf(shares);
        rng = rng != null && rng;
        jit = jit == null || jit.isBlank() ? "on" : jit;
        cpu = cpu == null || cpu.isBlank() ? CpuFeatures.DEFAULT.toString() : cpu;
        gdb = gdb == null || gdb.isBlank() ? null : gdb;
    }

    /** The same definition under another name (the name in a request's path wins). */
    public VmDefinition named(String newName) {
        return new VmDefinition(newName, image, kernel, initrd, append, bios, memory, cpus, disks, nets, shares, rng, jit,
                cpu, gdb);
    }

    /**
     * Checks every field and the files it names; throws {@link HostException} (INVALID, naming
     * the field) with what to fix.
     */
    public void check() {
        if (name == null || !NAME.matcher(name).matches()) {
            throw HostException.invalid("name", "name: give 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit"
                    + (name == null ? "" : " (got '" + name + "')"));
        }
        try {
            config();
        } catch (IllegalArgumentException e) {
            throw HostException.invalid(e.getMessage().startsWith("--cpus") ? "cpus" : "memory", e.getMessage());
        }
        jitMode();
        cpuFeatures();
        if (gdb != null) {
            try {
                jvisor.gdb.GdbServer.parseAddress(gdb);
            } catch (IllegalArgumentException e) {
                throw HostException.invalid("gdb", e.getMessage());
            }
        }
        absolute("kernel", kernel);
        absolute("initrd", initrd);
        if (!List.of("builtin", "none", "opensbi").contains(bios)) absolute("bios", bios);
        try {
            bootSpec().check();
        } catch (BootSpec.Invalid e) {
            throw HostException.invalid(e.field(), e.getMessage());
        }
        for (DeviceSpec d : devices()) {
            Path p = d.path();
            if (p != null && !p.isAbsolute()) {
                throw HostException.invalid(field(d), d.kind().option() + " " + p + ": give an absolute path");
            }
            try {
                Devices.check(List.of(d));
            } catch (IllegalArgumentException e) {
                throw HostException.invalid(field(d), e.getMessage());
            }
        }
        try {
            Devices.check(devices());
        } catch (IllegalArgumentException e) {
            throw HostException.invalid("disks", e.getMessage());
        }
    }

    private static String field(DeviceSpec d) {
        return switch (d.kind()) {
            case DISK -> "disks";
            case NET -> "nets";
            case SHARE -> "shares";
            case RNG -> "rng";
            case CONSOLE -> "console";
        };
    }

    private static void absolute(String field, String file) {
        if (file != null && !Path.of(file).isAbsolute()) {
            throw HostException.invalid(field, "--" + field + " " + file + ": give an absolute path");
        }
    }

    public MachineConfig config() {
        long bytes;
        try {
            bytes = ByteSize.parse(memory);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--memory " + e.getMessage());
        }
        return new MachineConfig(bytes, cpus);
    }

    public Machine.JitMode jitMode() {
        return switch (jit) {
            case "on" -> Machine.JitMode.ON;
            case "off" -> Machine.JitMode.OFF;
            case "eager" -> Machine.JitMode.EAGER;
            default -> throw HostException.invalid("jit", "--jit " + jit + ": expected on, off or eager");
        };
    }

    /** The harts' features; a start and a guest reboot apply them, a restore keeps the saved harts' own. */
    public CpuFeatures cpuFeatures() {
        try {
            return CpuFeatures.parse(cpu);
        } catch (IllegalArgumentException e) {
            throw HostException.invalid("cpu", e.getMessage());
        }
    }

    public BootSpec bootSpec() {
        return new BootSpec(image, kernel == null ? null : Path.of(kernel), initrd == null ? null : Path.of(initrd),
                append, bios);
    }

    /**
     * The same definition with files at other paths ({@code moved}: as given → as this host sees
     * them), for a VM that migrated to a host that mounts its shared storage elsewhere.
     */
    public VmDefinition withPaths(java.util.Map<Path, Path> moved) {
        if (moved.isEmpty()) return this;
        java.util.function.UnaryOperator<String> file = f -> f == null ? null : moved.getOrDefault(Path.of(f), Path.of(f)).toString();
        java.util.function.Function<List<String>, List<String>> specs = list -> list.stream().map(v -> {
            DeviceSpec d = DeviceSpec.disk(v);
            Path p = d.path();
            return moved.containsKey(p) ? d.withPath(moved.get(p)).value() : v;
        }).toList();
        String biosFile = List.of("builtin", "none", "opensbi").contains(bios) ? bios : file.apply(bios);
        return new VmDefinition(name, image, file.apply(kernel), file.apply(initrd), append, biosFile, memory, cpus,
                specs.apply(disks), nets, specs.apply(shares), rng, jit, cpu, gdb);
    }

    /** The virtio devices in slot order, as {@code jvisor run} orders them: disks, nets, shares, rng. */
    public List<DeviceSpec> devices() { return DeviceSpec.of(disks, nets, shares, rng); }
}
