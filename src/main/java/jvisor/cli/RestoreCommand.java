package jvisor.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import jvisor.machine.Machine;
import jvisor.machine.Snapshot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code jvisor restore FILE}: continues a saved VM in the foreground, with the same console. */
@Command(name = "restore", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Continue a VM saved with Ctrl-A S (or by the host daemon) in the foreground.",
                "Its disks and shares must be where they were (or given with --path) and unchanged.",
                "Ctrl-A S saves it again, Ctrl-A X quits. The exit status is the guest's."})
final class RestoreCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "The snapshot file.")
    Path file;

    @Option(names = "--path", paramLabel = "OLD=NEW",
            description = {"A disk image or shared directory that moved since the save: the path it was saved", "with and where it is now; repeatable."})
    List<String> moves = List.of();

    @Option(names = "--save-to", paramLabel = "FILE",
            description = "Where Ctrl-A S saves the VM again (default: a timestamped file under $XDG_DATA_HOME/jvisor/snapshots).")
    Path saveTo;

    @Option(names = "--jit", paramLabel = "on|off|eager", defaultValue = "on",
            description = "How guest code runs, as for 'jvisor run' (default: ${DEFAULT-VALUE}).")
    String jit;

    @Option(names = "--stats", description = "Print the restore time, instructions retired and MIPS to stderr.")
    boolean stats;

    /** {@code --path OLD=NEW} options as a map (restore here, migrate in {@code jvisor vm}). */
    static Map<Path, Path> pathMap(java.util.List<String> options) {
        Map<Path, Path> moved = new LinkedHashMap<>();
        for (String m : options) {
            int eq = m.indexOf('=');
            if (eq <= 0 || eq == m.length() - 1) throw new Main.UsageError("--path " + m + ": give OLD=NEW");
            moved.put(Path.of(m.substring(0, eq)), Path.of(m.substring(eq + 1)));
        }
        return moved;
    }

    @Override
    public Integer call() throws IOException {
        Machine.JitMode mode = RunCommand.jitMode(jit);
        Map<Path, Path> moved = pathMap(moves);
        Console console = Console.open(new FileOutputStream(FileDescriptor.out));
        try {
            long start = System.nanoTime();
            try (Machine machine = Snapshot.restore(file, console.output(), moved)) {
                machine.setJit(mode);
                if (stats) System.err.printf("jvisor: restored %s in %.1f ms%n", file, (System.nanoTime() - start) / 1e6);
                machine.resume();
                Machine.Outcome outcome = new Foreground(console, saveTo, stats).run(machine);
                if (outcome.reboot()) {
                    console.message("jvisor: the guest rebooted; a restored VM cannot boot its kernel again: start it with 'jvisor run'");
                    return 0;
                }
                return outcome.status();
            }
        } finally {
            console.close();
        }
    }
}
