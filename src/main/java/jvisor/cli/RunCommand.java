package jvisor.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import jvisor.images.CachedImage;
import jvisor.images.SystemDisk;
import jvisor.machine.Boot;
import jvisor.machine.BootSpec;
import jvisor.machine.CpuFeatures;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jvisor run}: boots one VM in the foreground with its serial console on this terminal. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a virtual machine in the foreground; its serial console is this terminal.",
                "Boots a catalog IMAGE (e.g. 'jvisor run debian', fetched and cached on first use) or --kernel.",
                "On a terminal, Ctrl-A X quits, Ctrl-A S saves the VM to a file and exits, Ctrl-A H lists the keys.",
                "The exit status is the guest's: 0 when it powers off."})
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "IMAGE",
            description = {"Catalog image to boot: debian (a shell in RAM) or debian-system (Debian on a persistent disk;",
                    "see 'jvisor images'). Give IMAGE or --kernel."})
    String image;

    @Option(names = "--kernel", paramLabel = "FILE",
            description = "Linux Image or ELF kernel; with --bios none, a bare-metal ELF program.")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "Initial ramdisk (cpio, optionally compressed).")
    Path initrd;

    @Option(names = "--append", paramLabel = "CMDLINE", defaultValue = "",
            description = {"Kernel command line (default: console=ttyS0);",
                    "with IMAGE, added to the image's (console=ttyS0)."})
    String append;

    @Option(names = "--bios", paramLabel = "builtin|none|opensbi|FILE", defaultValue = "builtin",
            description = {"builtin: jvisor answers SBI calls itself, no firmware runs (default);",
                    "none: run --kernel directly in M-mode (bare-metal programs, HTIF tests);",
                    "opensbi: with IMAGE, the image's OpenSBI fw_dynamic.bin;",
                    "FILE: M-mode firmware such as OpenSBI fw_dynamic.bin or fw_jump.bin."})
    String bios;

    @Mixin ImageOptions imageOptions;

    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", converter = Sizes.class,
            description = "Guest RAM, e.g. 512M or 2G (default: 512M; debian-system: 1G).")
    Long memory;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "1", description = "Number of harts, 1 to 32 (default: ${DEFAULT-VALUE}).")
    int cpus;

    @Option(names = "--dump-dtb", paramLabel = "FILE", description = "Write the generated device tree blob to FILE and exit.")
    Path dumpDtb;

    @Mixin DeviceOptions devices; // virtio devices (issue 6)

    @Option(names = "--disk-size", paramLabel = "SIZE", converter = Sizes.class,
            description = {"With a system image: the size of your disk, e.g. 16G (default: the image's, 8G);",
                    "an existing disk grows to it and the guest grows its filesystem at boot."})
    Long diskSize;

    @Option(names = "--fresh", description = "With a system image: start over with a new disk (your old one is deleted).")
    boolean fresh;

    @Option(names = "--ssh-key", paramLabel = "FILE",
            description = {"With a system image: an ssh public key root accepts (repeatable;",
                    "default: your ~/.ssh/id_*.pub). ssh takes no passwords."})
    List<Path> sshKeys = new ArrayList<>();

    @Option(names = "--jit", paramLabel = "on|off|eager", defaultValue = "on",
            description = {"on: compile hot guest code to JVM bytecode (default); off: interpret everything;",
                    "eager: compile almost everything at once (for testing the JIT)."})
    String jit;

    @Mixin GdbOptions gdb;

    @Option(names = "--cpu", paramLabel = "h=on|off", defaultValue = "h=on",
            description = {"CPU features: h=off hides the hypervisor extension (KVM in the guest) from the guest",
                    "(default: ${DEFAULT-VALUE})."})
    String cpu;

    @Option(names = "--stats", description = "Print instructions retired, run time and MIPS to stderr at exit.")
    boolean stats;

    @Option(names = "--save-to", paramLabel = "FILE",
            description = {"Where Ctrl-A S saves the VM (default: a timestamped file under",
                    "$XDG_DATA_HOME/jvisor/snapshots); 'jvisor restore FILE' continues it."})
    Path saveTo;

    @Override
    public Integer call() throws IOException {
        BootSpec spec = bootSpec();
        CachedImage img = image == null ? null : imageOptions.images().obtain(image);
        if (img != null && img.disk() != null) {
            Path disk = SystemDisk.path(SystemDisk.directory(System.getenv()), img.name());
            if (!fresh) img = SystemDisk.imageOf(disk, img); // a disk boots with the kernel of its own image
            attachSystemDisk(img, disk);
            spec = bootSpec(); // with the seed's parameter
        } else if (diskSize != null || fresh || !sshKeys.isEmpty()) {
            throw new Main.UsageError("--disk-size, --fresh and --ssh-key go with a system image, e.g. 'jvisor run debian-system'");
        }
        MachineConfig config;
        CpuFeatures features;
        try {
            long ram = memory != null ? memory : img != null && img.memory() > 0 ? img.memory() : MachineConfig.DEFAULT_MEMORY;
            config = new MachineConfig(ram, cpus);
            features = CpuFeatures.parse(cpu);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError(e.getMessage());
        }
        Boot boot = boot(spec, img);
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        Console console = Console.open(out);
        try {
            while (true) {
                try (Machine machine = new Machine(config, console.output())) {
                    devices.attachTo(machine, console.output());
                    features.applyTo(machine);
                    if (dumpDtb != null) {
                        Files.write(dumpDtb, machine.describe(boot.cmdline()));
                        return 0;
                    }
                    machine.setJit(jitMode(jit));
                    machine.load(boot);
                    gdb.serve(machine);
                    Machine.Outcome outcome = new Foreground(console, saveTo, stats).run(machine);
                    if (!outcome.reboot()) return outcome.status();
                }
            }
        } finally {
            gdb.close();
            devices.close();
            console.close();
        }
    }

    static Machine.JitMode jitMode(String jit) {
        return switch (jit) {
            case "on" -> Machine.JitMode.ON;
            case "off" -> Machine.JitMode.OFF;
            case "eager" -> Machine.JitMode.EAGER;
            default -> throw new Main.UsageError("--jit " + jit + ": expected on, off or eager");
        };
    }

    private BootSpec bootSpec() {
        try {
            String args = append.isBlank() && image == null ? devices.defaultConsole() : append;
            BootSpec spec = new BootSpec(image, kernel, initrd, args, bios);
            spec.check();
            return spec;
        } catch (BootSpec.Invalid e) {
            throw new Main.UsageError(e.getMessage());
        }
    }

    private Boot boot(BootSpec spec, CachedImage img) throws IOException {
        try {
            return spec.resolve(name -> img);
        } catch (BootSpec.Invalid e) {
            throw new Main.UsageError(e.getMessage());
        }
    }

    /**
     * A system image boots from the user's persistent disk (vda, before any --disk), with a
     * network card unless --net says otherwise, and the seed share that gives root the user's
     * ssh keys.
     */
    private void attachSystemDisk(CachedImage img, Path disk) throws IOException {
        if (fresh && Files.exists(disk)) System.err.println("jvisor: starting over: " + disk + " is replaced by a new disk");
        SystemDisk.prepare(img, disk, diskSize == null ? 0 : diskSize, fresh);
        devices.disks.addFirst(disk + ",format=qcow2");
        if (devices.nets.isEmpty()) devices.nets.add("user");
        List<Path> keys = sshKeys.isEmpty() ? SystemDisk.defaultKeys() : sshKeys;
        if (keys.isEmpty()) System.err.println("jvisor: no ~/.ssh/id_*.pub: ssh to the guest needs --ssh-key FILE (root logs in on the console)");
        devices.shares.add(SystemDisk.seed(disk, keys) + ",tag=" + SystemDisk.SEED_TAG + ",readonly=on");
        append = (append + " " + SystemDisk.SEED_PARAMETER).strip();
    }
}
