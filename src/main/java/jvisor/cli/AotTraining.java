package jvisor.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import jvisor.machine.Boot;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;
import jvisor.machine.Snapshot;

/**
 * The run recorded into the JVM's AOT cache ({@code -XX:AOTCacheOutput}, JDK 25) once per
 * build of the jar ({@code aot_cache} in tools/jdk.sh, for the launcher and the benchmarks): the classes a start of jvisor loads and links, kept ready in the
 * cache so that the next starts skip that work (a cold {@code jvisor restore} spent most of its
 * time there, and in linking its first native calls). It parses the commands, boots a small
 * bare-metal program until its loop is hot enough to compile, saves the machine, restores the
 * file and runs the program to its end. Method profiles are not recorded
 * ({@code -XX:-AOTRecordTraining}): a training run's profile would steer HotSpot's compiles of
 * the instruction loop for every later guest.
 */
public final class AotTraining {
    private AotTraining() {}

    /** M-mode at the RAM base: count down 4M times, then write PASS to the test device (power off). */
    private static final int[] PROGRAM = {
        0x004002b7, // lui  t0, 0x400
        0xfff28293, // loop: addi t0, t0, -1
        0xfe029ee3, // bnez t0, loop
        0x00100337, // lui  t1, 0x100        (the test device)
        0x000053b7, // lui  t2, 0x5
        0x55538393, // addi t2, t2, 0x555    (PASS: power off, status 0)
        0x00732023, // sw   t2, 0(t1)
        0x0000006f, // j    .
    };

    public static void main(String[] args) throws IOException {
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            for (String command : new String[] {"run", "restore", "images", "serve", "vm"}) Main.execute(command, "--help");
        } finally {
            System.setOut(out);
        }
        ByteBuffer code = ByteBuffer.allocate(PROGRAM.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int word : PROGRAM) code.putInt(word);
        Path snapshot = Files.createTempFile("jvisor-training", ".snapshot");
        try {
            try (Machine m = new Machine(new MachineConfig(64L << 20, 1), OutputStream.nullOutputStream())) {
                m.load(new Boot(Boot.Bios.NONE, null, null, code.array(), "training program", null, ""));
                if (m.run(2_000_000) != null) throw new IllegalStateException("the training program ended early");
                m.pause();
                Snapshot.save(m, snapshot, null);
            }
            try (Machine m = Snapshot.restore(snapshot, OutputStream.nullOutputStream(), Map.of())) {
                m.resume();
                Machine.Outcome end = m.run();
                if (end.status() != 0) throw new IllegalStateException("the training program failed: " + end.status());
            }
        } finally {
            Files.deleteIfExists(snapshot);
        }
    }
}
