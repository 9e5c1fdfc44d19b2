package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import jvisor.firmware.ElfImage;
import org.junit.jupiter.api.Test;

/**
 * Live migration between two machines of this JVM through a pipe: the checksum program of
 * {@link SnapshotTest} (every hart writing memory, FP and atomics) moved back and forth while it
 * computes ends with the checksum of an uninterrupted run.
 */
class MigrationTest {
    /** Moves running {@code from} to a new machine and returns it, running; {@code from} is closed. */
    private static Machine migrate(Machine from, Thread runner, Duration downtime, List<Migration.Progress> progress)
            throws Exception {
        Pipe pipe = Pipe.open();
        CompletableFuture<Machine> received = CompletableFuture.supplyAsync(() -> {
            try (var in = pipe.source()) {
                return Migration.receive(in, "the pipe", new ByteArrayOutputStream(), Map.of());
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try (var out = pipe.sink()) {
            Migration mig = new Migration(from, out, downtime, progress::add);
            mig.precopy();
            mig.finish();
        }
        Machine to = received.get(60, TimeUnit.SECONDS);
        from.close();
        runner.join();
        to.setJit(Machine.JitMode.EAGER);
        long stood = to.continueClock();
        assertTrue(stood > 0 && stood < 10_000_000_000L, "the guest stood still " + stood + " ns");
        to.resume();
        return to;
    }

    @Test
    void aComputingGuestMovedBackAndForthTenTimesEndsWithTheSameChecksum() throws Exception {
        SnapshotTest.build();
        Machine m = SnapshotTest.machine();
        AtomicReference<Machine.Outcome> outcome = new AtomicReference<>();
        Thread t = SnapshotTest.start(m, outcome);
        List<Migration.Progress> progress = new ArrayList<>();
        int moves = 0;
        while (moves < 10) {
            Thread.sleep(10);
            if (outcome.get() != null) break;
            m = migrate(m, t, Duration.ofMillis(50), progress);
            outcome.set(null); // the source's run ended when it closed
            t = SnapshotTest.start(m, outcome);
            moves++;
        }
        t.join(60_000);
        assertTrue(moves >= 5, "only " + moves + " migrations happened before the program ended; make it longer");
        assertEquals(0, outcome.get().status());
        assertEquals(SnapshotTest.expected, SnapshotTest.result(m), "checksum after " + moves + " migrations");
        assertTrue(progress.stream().anyMatch(p -> p.phase().equals("pre-copy") && p.pagesLeft() > 0),
                "the dirty log saw the guest write during a round: " + progress);
        m.close();
    }
}
