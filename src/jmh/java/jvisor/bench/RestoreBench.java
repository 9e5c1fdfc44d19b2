package jvisor.bench;

import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jvisor.machine.Machine;
import jvisor.machine.Snapshot;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Restoring a snapshot inside a JVM that is already running, as the host daemon does: from
 * opening the file to the guest's harts running again (restore, then resume). bench/snapshot.sh
 * saves a booted Debian guest and passes its file as {@code snapshot}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class RestoreBench {
    @Param("")
    public String snapshot;

    private Machine machine;
    private Thread runner;

    /** Restores, resumes and starts the harts (hart 0 runs on a thread of its own, as in the daemon). */
    @Benchmark
    public Machine restoreToRunning() throws Exception {
        Machine m = Snapshot.restore(Path.of(snapshot), OutputStream.nullOutputStream(), Map.of());
        m.resume();
        runner = Thread.ofPlatform().start(m::run);
        machine = m;
        return m;
    }

    @TearDown(Level.Invocation)
    public void close() throws InterruptedException {
        if (machine != null) {
            machine.powerOff(0);
            runner.join();
            machine.close();
        }
        machine = null;
    }
}
