package jvisor.cli;

import java.io.IOException;
import jvisor.gdb.GdbServer;
import jvisor.machine.Machine;
import picocli.CommandLine.Option;

/** {@code --gdb} and {@code --gdb-wait} of {@code jvisor run}: QEMU's {@code -gdb} and {@code -S}. */
final class GdbOptions implements AutoCloseable {
    @Option(names = "--gdb", paramLabel = "tcp:[HOST:]PORT",
            description = {"Listen for gdb (target remote :PORT) on PORT, on the loopback address unless HOST",
                    "is given (like QEMU's -gdb; -s is --gdb tcp::1234)."})
    String address;

    @Option(names = "--gdb-wait", description = "Halt before the first instruction until gdb continues (QEMU's -S); needs --gdb.")
    boolean waitForGdb;

    private GdbServer server;
    private boolean first = true;

    /** Opens the listener (once), then hands it {@code machine} before it runs. */
    void serve(Machine machine) throws IOException {
        if (address == null) {
            if (waitForGdb) throw new Main.UsageError("--gdb-wait needs --gdb tcp:[HOST:]PORT");
            return;
        }
        if (server == null) {
            try {
                server = new GdbServer(GdbServer.parseAddress(address));
            } catch (IllegalArgumentException e) {
                throw new Main.UsageError(e.getMessage());
            } catch (IOException e) {
                throw new Main.UsageError("--gdb " + address + ": cannot listen: " + e.getMessage());
            }
            System.err.println("jvisor: gdb stub on port " + server.port()
                    + (waitForGdb ? "; waiting for gdb to continue" : ""));
        }
        server.serve(machine, waitForGdb && first);
        first = false;
    }

    @Override
    public void close() {
        if (server != null) server.close();
    }
}
