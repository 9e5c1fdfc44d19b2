package jvisor.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jvisor.images.CachedImage;
import jvisor.machine.Boot;
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
                "On a terminal, Ctrl-A X quits and Ctrl-A H lists the console keys.",
                "The exit status is the guest's: 0 when it powers off."})
final class RunCommand implements Callable<Integer> {
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    @Parameters(index = "0", arity = "0..1", paramLabel = "IMAGE",
            description = "Catalog image to boot: debian (see 'jvisor images'). Give IMAGE or --kernel.")
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

    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", defaultValue = "512M", converter = Sizes.class,
            description = "Guest RAM, e.g. 512M or 2G (default: ${DEFAULT-VALUE}).")
    long memory;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "1", description = "Number of harts, 1 to 32 (default: ${DEFAULT-VALUE}).")
    int cpus;

    @Option(names = "--dump-dtb", paramLabel = "FILE", description = "Write the generated device tree blob to FILE and exit.")
    Path dumpDtb;

    @Mixin DeviceOptions devices; // virtio devices (issue 6)

    @Option(names = "--jit", paramLabel = "on|off|eager", defaultValue = "on",
            description = {"on: compile hot guest code to JVM bytecode (default); off: interpret everything;",
                    "eager: compile almost everything at once (for testing the JIT)."})
    String jit;

    @Mixin GdbOptions gdb;

    @Option(names = "--stats", description = "Print instructions retired, run time and MIPS to stderr at exit.")
    boolean stats;

    @Override
    public Integer call() throws IOException {
        MachineConfig config;
        try {
            config = new MachineConfig(memory, cpus);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError(e.getMessage());
        }
        Boot boot = boot();
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        Console console = Console.open(out);
        try {
            while (true) {
                try (Machine machine = new Machine(config, console.output())) {
                    devices.attachTo(machine, console.output());
                    if (dumpDtb != null) {
                        Files.write(dumpDtb, machine.describe(boot.cmdline()));
                        return 0;
                    }
                    machine.setJit(jitMode());
                    machine.load(boot);
                    gdb.serve(machine);
                    console.attach(machine);
                    long start = System.nanoTime();
                    long cpuStart = CPU.getCurrentThreadCpuTime();
                    Machine.Outcome outcome = machine.run();
                    long nanos = System.nanoTime() - start;
                    long cpuNanos = CPU.getCurrentThreadCpuTime() - cpuStart;
                    console.detach();
                    if (stats) printStats(machine, nanos, cpuNanos);
                    if (!outcome.reboot()) return outcome.status();
                }
            }
        } finally {
            gdb.close();
            devices.close();
            console.close();
        }
    }

    private Machine.JitMode jitMode() {
        return switch (jit) {
            case "on" -> Machine.JitMode.ON;
            case "off" -> Machine.JitMode.OFF;
            case "eager" -> Machine.JitMode.EAGER;
            default -> throw new Main.UsageError("--jit " + jit + ": expected on, off or eager");
        };
    }

    private Boot boot() throws IOException {
        if ((image == null) == (kernel == null)) {
            throw new Main.UsageError(image == null
                    ? "give an IMAGE to boot (e.g. 'jvisor run debian') or --kernel FILE"
                    : "give IMAGE or --kernel, not both");
        }
        Path kernelFile = kernel, initrdFile = initrd, firmware = null;
        String cmdline = append.isBlank() ? devices.defaultConsole() : append;
        if (image != null) {
            CachedImage img = imageOptions.images().obtain(image);
            kernelFile = img.kernel();
            if (initrdFile == null) initrdFile = img.initrd();
            firmware = img.firmware();
            cmdline = (img.cmdline() + " " + append).strip();
        }
        byte[] kernelBytes = read(kernelFile, "--kernel");
        byte[] initrdBytes = initrdFile == null ? null : read(initrdFile, "--initrd");
        String name = kernelFile.toString();
        return switch (bios) {
            case "builtin" -> new Boot(Boot.Bios.BUILTIN, null, null, kernelBytes, name, initrdBytes, cmdline);
            case "none" -> new Boot(Boot.Bios.NONE, null, null, kernelBytes, name, initrdBytes, cmdline);
            default -> {
                Path fw = bios.equals("opensbi") && image != null ? firmware : Path.of(bios);
                if (fw == null) throw new Main.UsageError("image " + image + " has no OpenSBI firmware; pull it again");
                yield new Boot(Boot.Bios.FILE, read(fw, "--bios"), fw.toString(), kernelBytes, name, initrdBytes,
                        cmdline);
            }
        };
    }

    private static byte[] read(Path file, String option) throws IOException {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new Main.UsageError(option + " " + file + ": no such readable file");
        }
        return Files.readAllBytes(file);
    }

    /** The --stats lines: instructions retired by all harts, speed, and how much ran compiled. */
    private static void printStats(Machine machine, long nanos, long cpuNanos) {
        long insns = 0, boot = machine.hart(0).instret(), runs = 0, compiled = 0;
        for (int i = 0; i < machine.hartCount(); i++) {
            jvisor.cpu.Hart h = machine.hart(i);
            insns += h.instret();
            runs += h.regionRuns();
            compiled += h.regionRetired();
        }
        System.err.printf("jvisor: %d instructions in %.3f s: %.1f MIPS (boot hart: %d instructions, %.3f s of"
                + " thread CPU, %.1f MIPS per CPU second)%n", insns, nanos / 1e9, insns * 1e3 / nanos, boot,
                cpuNanos / 1e9, boot * 1e3 / cpuNanos);
        if (runs > 0) {
            System.err.printf("jvisor: %.1f%% of instructions in %d compiled-region runs (%.1f per run), %d regions"
                    + " compiled%n", 100.0 * compiled / insns, runs, (double) compiled / runs,
                    jvisor.jit.RegionCompiler.compiledCount());
        }
    }
}
