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
    /** One end of a link of two pipes: it writes into one and reads the other's answers. */
    private static java.nio.channels.ByteChannel end(java.nio.channels.WritableByteChannel out,
                                                     java.nio.channels.ReadableByteChannel in) {
        return new java.nio.channels.ByteChannel() {
            @Override public int read(java.nio.ByteBuffer dst) throws java.io.IOException { return in.read(dst); }
            @Override public int write(java.nio.ByteBuffer src) throws java.io.IOException { return out.write(src); }
            @Override public boolean isOpen() { return out.isOpen(); }
            @Override public void close() throws java.io.IOException {
                out.close();
                in.close();
            }
        };
    }

    /**
     * Migrates {@code from} through a pipe (its sink as {@code link} makes it; the answers come
     * back through another) into a new machine, received on another thread; returns that
     * machine, paused.
     */
    private static Machine send(Machine from, java.util.function.UnaryOperator<java.nio.channels.WritableByteChannel> link,
                                Duration downtime, List<Migration.Progress> progress) throws Exception {
        return send(from, link, downtime, progress, () -> { });
    }

    /** As above, running {@code beforeStop} between the pre-copy rounds and the final stop. */
    private static Machine send(Machine from, java.util.function.UnaryOperator<java.nio.channels.WritableByteChannel> link,
                                Duration downtime, List<Migration.Progress> progress, Runnable beforeStop) throws Exception {
        Pipe stream = Pipe.open(), answers = Pipe.open();
        CompletableFuture<Machine> received = CompletableFuture.supplyAsync(() -> {
            try (var in = end(answers.sink(), stream.source())) {
                return Migration.receive(in, "the pipe", new ByteArrayOutputStream(), Map.of(), Machine.JitMode.EAGER);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        try (var out = end(link.apply(stream.sink()), answers.source())) {
            Migration mig = new Migration(from, out, downtime, progress::add);
            mig.precopy();
            beforeStop.run();
            mig.finish();
        }
        return received.get(60, TimeUnit.SECONDS);
    }

    /** Moves running {@code from} to a new machine and returns it, running; {@code from} is closed. */
    private static Machine migrate(Machine from, Thread runner, Duration downtime, List<Migration.Progress> progress)
            throws Exception {
        Machine to = send(from, sink -> sink, downtime, progress);
        from.close();
        runner.join();
        long stood = to.continueClock();
        assertTrue(stood > 0 && stood < 10_000_000_000L, "the guest stood still " + stood + " ns");
        to.resume();
        return to;
    }

    /** A channel that carries {@code bytesPerSecond} at most: a slow link. */
    private static java.nio.channels.WritableByteChannel slow(java.nio.channels.WritableByteChannel out, long bytesPerSecond) {
        return new java.nio.channels.WritableByteChannel() {
            private long free = System.nanoTime(); // when the link has carried all so far (idle time is no credit)

            @Override
            public int write(java.nio.ByteBuffer src) throws java.io.IOException {
                int n = out.write(src);
                free = Math.max(free, System.nanoTime()) + n * 1_000_000_000L / bytesPerSecond;
                long wait = free - System.nanoTime();
                if (wait > 0) java.util.concurrent.locks.LockSupport.parkNanos(wait);
                return n;
            }

            @Override public boolean isOpen() { return out.isOpen(); }
            @Override public void close() throws java.io.IOException { out.close(); }
        };
    }

    /**
     * Writes one word (the sweep number plus the page number) into each of 1024 pages, with some
     * work between two pages, sweep after sweep until {@code stop} is set; then stores the number
     * of sweeps and the sum of the buffer and exits. Unslowed it writes far more than 32 MB/s of
     * pages.
     */
    static final String DIRTY = """
              la s1, buf
              la s2, stop
              li s3, 0
            1:li t0, 0
              mv t1, s1
            2:add t2, s3, t0
              sd t2, 0(t1)
              li t4, 10000
            4:addi t4, t4, -1
              bnez t4, 4b
              li t3, 4096
              add t1, t1, t3
              addi t0, t0, 1
              li t3, 1024
              bne t0, t3, 2b
              addi s3, s3, 1
              ld t4, 0(s2)
              beqz t4, 1b
              la t0, sweeps
              sd s3, 0(t0)
              li a0, 0
              mv t1, s1
              li t0, 1024
            3:ld t2, 0(t1)
              add a0, a0, t2
              li t3, 4096
              add t1, t1, t3
              addi t0, t0, -1
              bnez t0, 3b
              la t0, result
              sd a0, 0(t0)
              EXIT 0
              .data
              .align 12
            buf: .zero 4194304
            stop: .dword 0
            sweeps: .dword 0
            result: .dword 0
            """;

    @Test
    void aGuestThatWritesFasterThanTheLinkIsSlowedUntilTheRoundsConverge() throws Exception {
        java.nio.file.Path prog = jvisor.testing.Assembler.assemble(jvisor.testing.Guest.PROLOGUE + DIRTY
                + jvisor.testing.Guest.EPILOGUE);
        ElfImage elf = ElfImage.read(prog);
        Machine m = jvisor.testing.Guest.newMachine(1, new ByteArrayOutputStream());
        m.loadHtifProgram(elf);
        AtomicReference<Machine.Outcome> outcome = new AtomicReference<>();
        Thread t = SnapshotTest.start(m, outcome);
        Thread.sleep(300);
        List<Migration.Progress> progress = new ArrayList<>();
        // 32 MB/s: unslowed, the guest dirties its 4 MiB many times a second.
        Machine to = send(m, sink -> slow(sink, 32 << 20), Duration.ofMillis(50), progress);
        m.close();
        t.join();
        outcome.set(null);
        to.continueClock();
        to.resume();
        Thread t2 = SnapshotTest.start(to, outcome);
        Thread.sleep(200);
        to.ram().putLong(elf.symbol("stop") - to.ram().base(), 1);
        t2.join(120_000);
        assertEquals(0, outcome.get().status());
        long sweeps = to.ram().getLong(elf.symbol("sweeps") - to.ram().base());
        long sum = 0;
        for (int p = 0; p < 1024; p++) sum += sweeps - 1 + p; // the last sweep's words
        assertEquals(sum, to.ram().getLong(elf.symbol("result") - to.ram().base()), "the buffer after " + sweeps + " sweeps");
        Migration.Progress last = progress.stream().filter(p -> p.phase().equals("pre-copy")).reduce((a, b) -> b).orElseThrow();
        assertTrue(progress.stream().anyMatch(p -> p.throttlePercent() >= 20), "auto-converge slowed the guest: " + progress);
        assertTrue(last.expectedDowntimeMs() >= 0 && last.expectedDowntimeMs() <= 50, "the rounds converged: " + last);
        to.close();
    }

    /** Calls {@code value} (alone in its page) again and again, storing what it returns, until told to stop. */
    static final String CALLS = """
              la s1, result
              la s2, stop
            1:call value
              sd a0, 0(s1)
              ld t0, 0(s2)
              beqz t0, 1b
              EXIT 0
              .align 12
            value:
              li a0, 1
              ret
              .space 64
              .data
              .align 3
            stop: .dword 0
            result: .dword 0
            """;

    /**
     * The destination decodes the code the guest ran at the source before the guest arrives (the
     * "code" section), with the regions compiled for it; a page the final stop sends again,
     * rewritten meanwhile, is decoded afresh from its new bytes.
     */
    @Test
    void codeDecodedAheadAtTheDestinationGivesWayToItsRewrittenBytes() throws Exception {
        ElfImage elf = ElfImage.read(jvisor.testing.Assembler.assemble(jvisor.testing.Guest.PROLOGUE + CALLS
                + jvisor.testing.Guest.EPILOGUE));
        Machine m = jvisor.testing.Guest.newMachine(1, new ByteArrayOutputStream());
        m.setJit(Machine.JitMode.EAGER);
        m.loadHtifProgram(elf);
        long result = elf.symbol("result"), value = elf.symbol("value");
        AtomicReference<Machine.Outcome> outcome = new AtomicReference<>();
        Thread t = SnapshotTest.start(m, outcome);
        for (int i = 0; i < 1000 && m.ram().getLong(result - m.ram().base()) != 1; i++) Thread.sleep(10);
        assertEquals(1, m.ram().getLong(result - m.ram().base()), "the guest runs");
        Machine to = send(m, sink -> sink, Duration.ofMillis(50), new ArrayList<>(), () -> {
            m.pause();
            // value: li a0, 2; ret (32-bit forms), written as a device would; and no result yet
            byte[] code = {0x13, 0x05, 0x20, 0x00, 0x67, (byte) 0x80, 0x00, 0x00};
            m.ram().load(value, code, 0, code.length);
            m.ram().load(result, new byte[8], 0, 8);
        });
        m.close();
        t.join();
        assertTrue(to.jit().shared() > 0, "the destination installed regions before the guest ran there");
        outcome.set(null);
        to.continueClock();
        to.resume();
        Thread t2 = SnapshotTest.start(to, outcome);
        long v = 0;
        for (int i = 0; i < 1000 && (v = to.ram().getLong(result - to.ram().base())) == 0; i++) Thread.sleep(10);
        assertEquals(2, v, "the guest ran the rewritten function");
        to.ram().putLong(elf.symbol("stop") - to.ram().base(), 1);
        t2.join(60_000);
        assertEquals(0, outcome.get().status());
        to.close();
    }

    /** A "code" section that lists pages outside RAM, out of order, or more than RAM holds is refused whole. */
    @Test
    void aBadCodeSectionIsRefused() {
        Machine m = jvisor.testing.Guest.newMachine(1, new ByteArrayOutputStream()); // 16 MiB: pages 0-4095
        try {
            for (int[] bad : new int[][] {{4096}, {-1}, {5, 5}, {7, 3}}) {
                jvisor.state.StateWriter w = new jvisor.state.StateWriter().i64(0).i32(bad.length);
                for (int p : bad) w.i32(p);
                var e = org.junit.jupiter.api.Assertions.assertThrows(jvisor.state.StateException.class,
                        () -> m.prepareCode(new jvisor.state.StateReader("code", 1, w.toByteArray())));
                assertTrue(e.getMessage().contains("code page"), e.getMessage());
            }
            jvisor.state.StateWriter tooMany = new jvisor.state.StateWriter().i64(0).i32(4097);
            var e = org.junit.jupiter.api.Assertions.assertThrows(jvisor.state.StateException.class,
                    () -> m.prepareCode(new jvisor.state.StateReader("code", 1, tooMany.toByteArray())));
            assertTrue(e.getMessage().contains("number of code pages"), e.getMessage());
            jvisor.state.StateWriter negativeTime = new jvisor.state.StateWriter().i64(-1).i32(0);
            org.junit.jupiter.api.Assertions.assertThrows(jvisor.state.StateException.class,
                    () -> m.prepareCode(new jvisor.state.StateReader("code", 1, negativeTime.toByteArray())));
        } finally {
            m.close();
        }
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
