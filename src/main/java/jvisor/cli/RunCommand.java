package jvisor.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jvisor.machine.Boot;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvisor run}: boots one VM in the foreground with its serial console on this terminal. */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a virtual machine in the foreground; its serial console is this terminal.",
                "On a terminal, Ctrl-A X quits and Ctrl-A H lists the console keys.",
                "The exit status is the guest's: 0 when it powers off."})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--kernel", paramLabel = "FILE", required = true,
            description = "Linux Image or ELF kernel; with --bios none, a bare-metal ELF program.")
    Path kernel;

    @Option(names = "--initrd", paramLabel = "FILE", description = "Initial ramdisk (cpio, optionally compressed).")
    Path initrd;

    @Option(names = "--append", paramLabel = "CMDLINE", defaultValue = "",
            description = "Kernel command line (default: console=ttyS0).")
    String append;

    @Option(names = "--bios", paramLabel = "builtin|none|FILE", defaultValue = "builtin",
            description = {"builtin: jvisor answers SBI calls itself, no firmware runs (default);",
                    "none: run --kernel directly in M-mode (bare-metal programs, HTIF tests);",
                    "FILE: M-mode firmware such as OpenSBI fw_dynamic.bin or fw_jump.bin."})
    String bios;

    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", defaultValue = "512M", converter = Sizes.class,
            description = "Guest RAM, e.g. 512M or 2G (default: ${DEFAULT-VALUE}).")
    long memory;

    @Option(names = "--cpus", paramLabel = "N", defaultValue = "1", description = "Number of harts, 1 to 32 (default: ${DEFAULT-VALUE}).")
    int cpus;

    @Option(names = "--dump-dtb", paramLabel = "FILE", description = "Write the generated device tree blob to FILE and exit.")
    Path dumpDtb;

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
                    if (dumpDtb != null) {
                        Files.write(dumpDtb, machine.describe(boot.cmdline()));
                        return 0;
                    }
                    machine.load(boot);
                    console.attach(machine);
                    long start = System.nanoTime();
                    Machine.Outcome outcome = machine.run();
                    long nanos = System.nanoTime() - start;
                    console.detach();
                    if (stats) {
                        long insns = machine.hart(0).instret();
                        System.err.printf("jvisor: %d instructions in %.3f s: %.1f MIPS%n",
                                insns, nanos / 1e9, insns * 1e3 / nanos);
                    }
                    if (!outcome.reboot()) return outcome.status();
                }
            }
        } finally {
            console.close();
        }
    }

    private Boot boot() throws IOException {
        byte[] kernelBytes = read(kernel, "--kernel");
        byte[] initrdBytes = initrd == null ? null : read(initrd, "--initrd");
        String cmdline = append.isBlank() ? "console=ttyS0" : append;
        return switch (bios) {
            case "builtin" -> new Boot(Boot.Bios.BUILTIN, null, null, kernelBytes, kernel.toString(), initrdBytes, cmdline);
            case "none" -> new Boot(Boot.Bios.NONE, null, null, kernelBytes, kernel.toString(), initrdBytes, cmdline);
            default -> {
                Path fw = Path.of(bios);
                yield new Boot(Boot.Bios.FILE, read(fw, "--bios"), fw.toString(), kernelBytes, kernel.toString(),
                        initrdBytes, cmdline);
            }
        };
    }

    private static byte[] read(Path file, String option) throws IOException {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new Main.UsageError(option + " " + file + ": no such readable file");
        }
        return Files.readAllBytes(file);
    }
}
