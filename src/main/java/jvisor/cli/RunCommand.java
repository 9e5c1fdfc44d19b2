package jvisor.cli;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jvisor.firmware.ElfImage;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvisor run}: boots one VM in the foreground. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Run a virtual machine in the foreground.",
                "With --bios none and an ELF --kernel that has a tohost symbol, runs it bare-metal in M-mode"
                        + " (HTIF test mode) and exits with the status the program reports."})
final class RunCommand implements Callable<Integer> {
    @Option(names = "--kernel", paramLabel = "FILE", required = true, description = "Kernel or bare-metal ELF program to boot.")
    Path kernel;

    @Option(names = "--bios", paramLabel = "none|FILE", defaultValue = "none",
            description = "Firmware: 'none' runs --kernel directly in M-mode (default: ${DEFAULT-VALUE}).")
    String bios;

    @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", defaultValue = "512M", converter = Sizes.class,
            description = "Guest RAM, e.g. 512M or 2G (default: ${DEFAULT-VALUE}).")
    long memory;

    @Option(names = "--stats", description = "Print instructions retired, run time and MIPS to stderr at exit.")
    boolean stats;

    @Override
    public Integer call() throws IOException {
        if (!"none".equals(bios)) {
            throw new Main.UsageError("--bios " + bios + ": only 'none' is supported so far");
        }
        if (!Files.isReadable(kernel)) throw new Main.UsageError("--kernel " + kernel + ": no such readable file");
        MachineConfig config;
        try {
            config = new MachineConfig(memory, 1);
        } catch (IllegalArgumentException e) {
            throw new Main.UsageError("--memory: " + e.getMessage());
        }
        byte[] image = Files.readAllBytes(kernel);
        if (!ElfImage.isElf(image)) throw new Main.UsageError(kernel + ": not an ELF file (--bios none needs an ELF program)");
        ElfImage elf = ElfImage.parse(kernel.toString(), image);
        OutputStream console = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out));
        try (Machine machine = new Machine(config)) {
            machine.loadHtifProgram(elf, console);
            long start = System.nanoTime();
            int status = machine.run();
            long nanos = System.nanoTime() - start;
            console.flush();
            if (stats) {
                long insns = machine.hart(0).instret();
                System.err.printf("jvisor: %d instructions in %.3f s: %.1f MIPS%n",
                        insns, nanos / 1e9, insns * 1e3 / nanos);
            }
            return status;
        }
    }
}
