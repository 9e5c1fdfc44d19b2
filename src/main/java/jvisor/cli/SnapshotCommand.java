package jvisor.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import jvisor.machine.DeviceSpec;
import jvisor.machine.MachineState;
import jvisor.machine.Snapshot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code jvisor snapshot info FILE}: what a snapshot file holds. */
@Command(name = "snapshot", mixinStandardHelpOptions = true, description = "Inspect snapshot files.",
        subcommands = SnapshotCommand.Info.class)
final class SnapshotCommand implements Runnable {
    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Say what a snapshot file holds: format, machine, devices, RAM, when and where it was saved.")
    static final class Info implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "FILE", description = "The snapshot file.")
        Path file;

        @Override
        public Integer call() throws IOException {
            MachineState.Info i = Snapshot.info(file);
            MachineState.Config c = i.config();
            System.out.printf("file:       %s (%.1f MB)%n", file, Files.size(file) / 1048576.0);
            System.out.printf("format:     jvisor snapshot format %d, machine %s%n", i.format(), i.machineKind());
            System.out.printf("saved:      %s on %s by jvisor %s%n", i.savedAt(), i.savedOn(), i.jvisorVersion());
            System.out.printf("machine:    %d hart%s, %d MiB RAM (%.1f MB of it saved: the pages the guest touched)%n",
                    c.cpus(), c.cpus() == 1 ? "" : "s", c.memory() >> 20, i.ramBytesSaved() / 1048576.0);
            System.out.printf("boot:       %s%s%n", c.bios().name().toLowerCase(java.util.Locale.ROOT),
                    c.cmdline().isEmpty() ? "" : ", command line: " + c.cmdline());
            if (c.devices().isEmpty()) System.out.println("devices:    none");
            for (int d = 0; d < c.devices().size(); d++) {
                DeviceSpec spec = c.devices().get(d);
                System.out.printf("%s%s%n", d == 0 ? "devices:    " : "            ", spec);
            }
            return 0;
        }
    }
}
