package jvisor.host;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import jvisor.machine.Boot;
import jvisor.machine.DeviceSpec;
import jvisor.machine.Devices;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;
import jvisor.machine.Migration;
import jvisor.memory.GuestRam;

/**
 * Readies a daemon's JVM for live migration before a VM needs it: moves a throwaway machine (one
 * hart idling in wfi behind the built-in SBI, an rng device, a few MiB of RAM) from itself to
 * itself over a loopback data connection, again and again, on a background thread.
 *
 * <p>Why: the stop-and-copy path (stopping the harts, the last pages, the CPU and device
 * sections, building and resuming the destination's machine) runs once per migration, so in a
 * fresh daemon it runs in HotSpot's bytecode interpreter, at tenths of a millisecond a step,
 * until the daemon has taken part in some twenty migrations. Every step is the same code for
 * this machine as for a real guest's, so after these moves a daemon's first real migration
 * stops its guest about as briefly as its fiftieth.
 */
public final class MigrationWarmUp {
    private MigrationWarmUp() {}

    /** Enough moves that HotSpot's first compiler takes every method that runs once per move. */
    static final int MOVES = 40;
    private static final long MEMORY = 8L << 20;
    /** Pages in use, spread over RAM, and how far apart the ones written before each stop lie. */
    private static final int PAGES_IN_USE = 256, LAST_PAGE_STRIDE = 7;
    /** The guest's code, {@code 1: wfi; j 1b}: it idles until stopped, in any privilege mode. */
    private static final byte[] IDLE = {0x73, 0x00, 0x50, 0x10, 0x6f, (byte) 0xf0, (byte) 0xdf, (byte) 0xff};

    /** A raw kernel that idles until it is stopped: the warm-up's guest, for other throwaway machines. */
    public static byte[] idleGuest() { return IDLE.clone(); }
    /** Pages written between pre-copy and the stop, as an idle Linux guest leaves some 30 to the stop. */
    private static final int LAST_PAGES = 32;

    /** Starts the moves on a daemon thread; a failure is told on stderr and changes nothing else. */
    public static Thread start() {
        return Thread.ofPlatform().daemon().name("jvisor-migration-warm-up").start(() -> {
            try {
                run(MOVES);
            } catch (Exception e) {
                System.err.println("jvisor: the migration warm-up failed (migrations still work, a little slower at first): " + e);
            }
        });
    }

    /** Moves a throwaway machine {@code moves} times, each to a new machine, and closes the last. */
    static void run(int moves) throws Exception {
        Machine m = throwaway();
        long stride = MEMORY / PAGES_IN_USE;
        for (int i = 0; i < PAGES_IN_USE; i++) write(m, i * stride + stride / 2, i); // clear of the code at 2 MiB
        Thread runner = launch(m);
        try {
            for (int i = 0; i < moves; i++) {
                Machine next = move(m);
                m.close();
                runner.join();
                m = next;
                runner = launch(m);
            }
        } finally {
            m.close();
            runner.join();
        }
    }

    private static Machine throwaway() throws IOException {
        List<DeviceSpec> specs = List.of(DeviceSpec.rng());
        var devices = Devices.open(specs);
        Machine m = new Machine(new MachineConfig(MEMORY, 1), OutputStream.nullOutputStream());
        try {
            m.attach(specs.getFirst(), devices.getFirst());
            m.load(new Boot(Boot.Bios.BUILTIN, null, null, IDLE, "the migration warm-up's guest", null, ""));
            return m;
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Writes a word into the page at RAM offset {@code offset} as a device would (the dirty log sees it). */
    private static void write(Machine m, long offset, int value) {
        byte[] word = {(byte) value, (byte) (value >> 8), 1, 0};
        m.ram().load(m.ram().base() + offset, word, 0, word.length);
    }

    private static Thread launch(Machine m) {
        return Thread.ofPlatform().daemon().name("jvisor-migration-warm-up-vm").start(m::run);
    }

    /** One migration of running {@code from} as the daemons do it; returns the new machine, running. */
    private static Machine move(Machine from) throws Exception {
        try (var listener = new MigrationData.Listener(InetAddress.getLoopbackAddress(), null)) {
            CompletableFuture<Machine> received = new CompletableFuture<>();
            Thread.ofPlatform().daemon().name("jvisor-migration-warm-up-in").start(() -> {
                try (var in = listener.accept()) {
                    received.complete(Migration.receive(in, "the warm-up stream", OutputStream.nullOutputStream(), Map.of(),
                            Machine.JitMode.ON));
                } catch (Throwable e) {
                    received.completeExceptionally(e);
                }
            });
            try (var out = MigrationData.connect(InetAddress.getLoopbackAddress().getHostAddress(), listener.port(),
                    listener.key(), null)) {
                Migration mig = new Migration(from, out, Duration.ofMillis(50), p -> { });
                mig.precopy();
                for (int i = 0; i < LAST_PAGES; i++) write(from, i * LAST_PAGE_STRIDE * GuestRam.PAGE_SIZE, i);
                mig.finish();
            }
            Machine to;
            try {
                to = received.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                received.thenAccept(Machine::close); // should it arrive after all
                throw e;
            }
            to.continueClock();
            to.resume();
            return to;
        }
    }
}
