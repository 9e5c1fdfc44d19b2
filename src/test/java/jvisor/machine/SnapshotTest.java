package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import jvisor.firmware.ElfImage;
import jvisor.testing.Assembler;
import jvisor.testing.Guest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pause, save and restore of bare-metal machines: a computation saved and restored again and
 * again (in this JVM) ends with the checksum of an uninterrupted run, and pausing takes effect
 * within a millisecond on a busy and on an idle machine.
 */
class SnapshotTest {
    static final int HARTS = 2;

    /**
     * Each hart stirs a hash through integer, FP, memory and atomic instructions, in a buffer of
     * its own; hart 0 then folds everything into {@code result} and exits.
     */
    static final String CHECKSUM = """
              li t0, 0x2000
              csrs mstatus, t0
              csrr s0, mhartid
              la s1, buf
              slli t0, s0, 12
              add s1, s1, t0
              li s2, %d
              li s3, 0x9E3779B97F4A7C15
              add s3, s3, s0
              li s4, 6364136223846793005
              li s5, 1442695040888963407
              la s6, counter
              li s7, 1
              fcvt.d.l f0, zero
            1:mul s3, s3, s4
              add s3, s3, s5
              srli t1, s3, 55
              slli t1, t1, 3
              add t2, s1, t1
              ld t3, 0(t2)
              add t3, t3, s3
              sd t3, 0(t2)
              fcvt.d.l f1, t3
              fadd.d f0, f0, f1
              amoadd.d zero, s7, (s6)
              addi s2, s2, -1
              bnez s2, 1b
              fcvt.l.d t4, f0, rtz
              xor s3, s3, t4
              la t0, results
              slli t1, s0, 3
              add t0, t0, t1
              sd s3, 0(t0)
              la t0, done
              amoadd.d zero, s7, (t0)
              bnez s0, park
              li t2, %d
            2:ld t1, 0(t0)
              bne t1, t2, 2b
              ld a0, 0(s6)
              la t0, results
              li t1, %d
            3:ld t3, 0(t0)
              xor a0, a0, t3
              addi t0, t0, 8
              addi t1, t1, -1
              bnez t1, 3b
              la t0, buf
              li t1, %d
            4:ld t3, 0(t0)
              mul a0, a0, s4
              xor a0, a0, t3
              addi t0, t0, 8
              addi t1, t1, -1
              bnez t1, 4b
              la t0, result
              sd a0, 0(t0)
              EXIT 0
            park:
              wfi
              j park
              .data
              .align 12
            buf: .zero %d
            results: .zero %d
            counter: .dword 0
            done: .dword 0
            result: .dword 0
            """;

    static Path program;
    static long expected;

    @BeforeAll
    static void build() throws Exception {
        program = Assembler.assemble(Guest.PROLOGUE + CHECKSUM.formatted(3_000_000, HARTS, HARTS, HARTS * 512,
                HARTS * 4096, HARTS * 8) + Guest.EPILOGUE);
        Machine m = machine();
        assertEquals(0, m.run().status());
        expected = result(m);
        m.close();
    }

    static Machine machine() throws Exception {
        Machine m = Guest.newMachine(HARTS, new ByteArrayOutputStream());
        m.loadHtifProgram(ElfImage.read(program));
        return m;
    }

    static long result(Machine m) throws Exception {
        long at = ElfImage.read(program).symbol("result");
        return m.ram().getLong(at - m.ram().base());
    }

    /** Runs {@code m} on a thread of its own; the reference holds its outcome when it ends. */
    static Thread start(Machine m, AtomicReference<Machine.Outcome> outcome) {
        return Thread.ofPlatform().daemon().start(() -> outcome.set(m.run()));
    }

    @Test
    void savedAndRestoredTenTimesWhileComputingEndsWithTheSameChecksum(@TempDir Path dir) throws Exception {
        Machine m = machine();
        AtomicReference<Machine.Outcome> outcome = new AtomicReference<>();
        Thread t = start(m, outcome);
        int saves = 0;
        while (saves < 10) {
            Thread.sleep(15);
            m.pause();
            if (outcome.get() != null) break; // finished before this save
            Path file = dir.resolve("s" + saves + ".jvs");
            Snapshot.save(m, file, null);
            m.close();
            t.join();
            m = Snapshot.restore(file, new ByteArrayOutputStream(), Map.of());
            m.setJit(Machine.JitMode.EAGER);
            m.resume();
            outcome.set(null);
            t = start(m, outcome);
            saves++;
        }
        t.join(60_000);
        assertTrue(saves >= 5, "only " + saves + " saves happened before the program ended; make it longer");
        assertEquals(0, outcome.get().status());
        assertEquals(expected, result(m), "checksum after " + saves + " save/restore cycles");
        m.close();
    }

    @Test
    void pauseTakesEffectWithinAMillisecondOnBusyAndIdleHarts() throws Exception {
        Machine m = machine();
        AtomicReference<Machine.Outcome> outcome = new AtomicReference<>();
        Thread t = start(m, outcome);
        Thread.sleep(50);
        long[] busy = pauses(m, 1000);
        m.powerOff(0);
        t.join();
        m.close();
        // Idle: the harts park in wfi after the checksum is done (hart 0 too, by a program of its own).
        Path idleProgram = Assembler.assemble(Guest.PROLOGUE + "1: wfi\n j 1b\n" + Guest.EPILOGUE);
        Machine idle = Guest.newMachine(HARTS, new ByteArrayOutputStream());
        idle.loadHtifProgram(ElfImage.read(idleProgram));
        t = start(idle, outcome);
        Thread.sleep(50);
        long[] parked = pauses(idle, 1000);
        idle.powerOff(0);
        t.join();
        idle.close();
        System.out.printf("pause latency, busy harts: median %.0f us, 99th %.0f us, max %.0f us%n",
                busy[500] / 1e3, busy[990] / 1e3, busy[999] / 1e3);
        System.out.printf("pause latency, idle harts: median %.0f us, 99th %.0f us, max %.0f us%n",
                parked[500] / 1e3, parked[990] / 1e3, parked[999] / 1e3);
        assertTrue(busy[500] < 1_000_000, "median pause of a busy machine took " + busy[500] / 1000 + " us");
        assertTrue(parked[500] < 1_000_000, "median pause of an idle machine took " + parked[500] / 1000 + " us");
    }

    /** Pauses and resumes {@code n} times; returns the sorted pause times in nanoseconds. */
    private static long[] pauses(Machine m, int n) throws InterruptedException {
        long[] times = new long[n];
        for (int i = 0; i < n; i++) {
            long start = System.nanoTime();
            m.pause();
            times[i] = System.nanoTime() - start;
            m.resume();
            Thread.sleep(0, 200_000);
        }
        Arrays.sort(times);
        return times;
    }

    @Test
    void aSnapshotOnDiskCarriesItsOverlayAndADiskThatChangedIsRefused(@TempDir Path dir) throws Exception {
        Path base = dir.resolve("base.raw");
        Files.write(base, new byte[1 << 20]);
        Path other = dir.resolve("data.raw");
        Files.write(other, new byte[1 << 20]);
        Machine m = new Machine(new MachineConfig(16L << 20, 1), new ByteArrayOutputStream());
        java.util.List<DeviceSpec> specs = java.util.List.of(DeviceSpec.disk(base + ",snapshot=on"), DeviceSpec.disk(other.toString()));
        java.util.List<jvisor.devices.virtio.VirtioDevice> devices = Devices.open(specs);
        for (int i = 0; i < specs.size(); i++) m.attach(specs.get(i), devices.get(i));
        m.loadHtifProgram(ElfImage.read(program));
        jvisor.storage.Disk disk = ((jvisor.devices.virtio.VirtioBlock) devices.get(0)).disk();
        disk.write(4096, java.nio.ByteBuffer.wrap("written by the guest".getBytes()));
        m.pause();
        Path file = dir.resolve("disk.jvs");
        Snapshot.save(m, file, null);
        m.close();
        for (var d : devices) d.close();

        assertEquals(specs, Snapshot.info(file).config().devices(), "info reads past the overlay section");
        Machine r = Snapshot.restore(file, new ByteArrayOutputStream(), Map.of());
        java.nio.ByteBuffer back = java.nio.ByteBuffer.allocate(20);
        ((jvisor.devices.virtio.VirtioBlock) r.device(0)).disk().read(4096, back);
        assertEquals("written by the guest", new String(back.array()));
        r.close();
        assertTrue(java.util.Arrays.equals(new byte[1 << 20], Files.readAllBytes(base)), "the base image was written");

        Files.write(other, new byte[] {1}, java.nio.file.StandardOpenOption.WRITE); // the guest's disk changed since
        jvisor.state.StateException e = org.junit.jupiter.api.Assertions.assertThrows(jvisor.state.StateException.class,
                () -> Snapshot.restore(file, new ByteArrayOutputStream(), Map.of()));
        assertTrue(e.getMessage().contains("not the one the snapshot was taken with"), e.getMessage());
        Path moved = dir.resolve("moved.raw");
        Files.move(other, moved);
        e = org.junit.jupiter.api.Assertions.assertThrows(jvisor.state.StateException.class,
                () -> Snapshot.restore(file, new ByteArrayOutputStream(), Map.of()));
        assertTrue(e.getMessage().contains("--path " + other + "=NEWPATH"), e.getMessage());
    }
}
