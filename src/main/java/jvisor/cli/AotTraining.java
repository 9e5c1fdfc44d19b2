package jvisor.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jvisor.api.ApiServer;
import jvisor.host.Host;
import jvisor.host.StateDir;
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
 * file and runs the program to its end; with the argument {@code host} (the cache of
 * {@code serve} and {@code vm}) it first drives two daemons with the {@code vm} verbs. Method
 * profiles are not recorded ({@code -XX:-AOTRecordTraining}): a training run's profile would
 * steer HotSpot's compiles of the instruction loop for every later guest.
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

    private static byte[] code(int[] words) {
        ByteBuffer code = ByteBuffer.allocate(words.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int word : words) code.putInt(word);
        return code.array();
    }

    /**
     * Two daemons in this JVM and the CLI's {@code vm} verbs against them, as a user scripts them:
     * a VM created, listed, migrated from one to the other and removed. The classes of the HTTP
     * server and client, JSON, WebSockets and migration then come from the cache: a cold
     * {@code jvisor vm list} took 1.25 s without them, 0.92 s with them.
     */
    private static void daemons() throws IOException {
        Path work = Files.createTempDirectory("jvisor-training");
        try {
            Path kernel = Files.write(work.resolve("idle.bin"), jvisor.host.MigrationWarmUp.idleGuest());
            Path known = work.resolve("known-hosts"); // where an https daemon's pin would go: not the user's
            StateDir a = new StateDir(work.resolve("a")), b = new StateDir(work.resolve("b"));
            try (Host hostA = Host.open(a, 1L << 30, NO_IMAGES); Host hostB = Host.open(b, 1L << 30, NO_IMAGES);
                 ApiServer apiA = serve(hostA, a); ApiServer apiB = serve(hostB, b)) {
                verb(a, known, "create", "t", "--kernel", kernel.toString(), "--bios", "none", "--memory", "16M");
                verb(a, known, "list");
                verb(a, known, "stats", "t");
                verb(a, known, "migrate", "t", "--to", apiB.uri().toString(), "--to-token-file",
                        b.root().resolve("token").toString());
                verb(b, known, "stop", "t");
                verb(b, known, "rm", "t");
            }
        } finally {
            try (var files = Files.walk(work)) {
                for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
            }
        }
    }

    private static final jvisor.machine.BootSpec.ImageSource NO_IMAGES = name -> {
        throw new IOException("no catalog images in the training run");
    };

    private static ApiServer serve(Host host, StateDir dir) throws IOException {
        ApiServer api = ApiServer.start(host, dir.token(), new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        dir.write(dir.root().resolve("address"), api.uri() + "\n");
        return api;
    }

    /** Runs {@code jvisor vm ARGS} against the daemon of {@code dir}. */
    private static void verb(StateDir dir, Path knownHosts, String... args) {
        List<String> cmd = new ArrayList<>(List.of("vm", "--state", dir.root().toString(), "--known-hosts", knownHosts.toString()));
        cmd.addAll(List.of(args));
        String[] line = cmd.toArray(String[]::new);
        int status = Main.execute(line);
        if (status != 0) throw new IllegalStateException("training: jvisor " + String.join(" ", line) + " ended with " + status);
    }

    public static void main(String[] args) throws IOException {
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            for (String command : new String[] {"run", "restore", "images", "serve", "vm"}) Main.execute(command, "--help");
            if (args.length == 1 && args[0].equals("host")) daemons();
        } finally {
            System.setOut(out);
        }
        Path snapshot = Files.createTempFile("jvisor-training", ".snapshot");
        try {
            try (Machine m = new Machine(new MachineConfig(64L << 20, 1), OutputStream.nullOutputStream())) {
                m.load(new Boot(Boot.Bios.NONE, null, null, code(PROGRAM), "training program", null, ""));
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
