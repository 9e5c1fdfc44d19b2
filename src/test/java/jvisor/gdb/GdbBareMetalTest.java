package jvisor.gdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jvisor.firmware.ElfImage;
import jvisor.jit.RegionCompiler;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;
import jvisor.testing.Assembler;
import jvisor.testing.GdbBatch;
import jvisor.testing.Guest;
import org.junit.jupiter.api.Test;

/**
 * Debian's gdb against a bare-metal program on two harts with the JIT on: hart 0 counts in a loop
 * until gdb writes a non-zero exit status into {@code go}, hart 1 counts on its own. gdb attaches
 * to the running machine after the loop has been compiled, so the breakpoint, the steps and the
 * watchpoint all land in code that was running compiled.
 */
class GdbBareMetalTest {
    private static final String PROGRAM = Guest.PROLOGUE + """
              csrr a0, mhartid
              bnez a0, secondary
              li s0, 0
              la s1, counter
              la s2, go
            loop:
              addi s0, s0, 1
              sd s0, 0(s1)
              ld t3, 0(s2)
              beqz t3, loop
              slli t3, t3, 1
              ori t3, t3, 1
              la t1, tohost
              sd t3, 0(t1)
            1: j 1b
            secondary:
              la s1, counter1
            2: ld t0, 0(s1)
              addi t0, t0, 1
              sd t0, 0(s1)
              j 2b
              .data
              .align 3
              .globl counter, counter1, go, scratch
            counter: .dword 0
            counter1: .dword 0
            go: .dword 0
            scratch: .dword 0
            """ + Guest.EPILOGUE;

    @Test
    void breakStepWatchInterruptAndDetachOnTwoHartsWithTheJit() throws Exception {
        GdbBatch.assumeAvailable();
        Path elf = Assembler.assemble(PROGRAM);
        Machine m = new Machine(new MachineConfig(16L << 20, 2), new ByteArrayOutputStream());
        m.setJit(Machine.JitMode.ON);
        m.loadHtifProgram(ElfImage.read(elf));
        try (GdbServer server = new GdbServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            server.serve(m, false);
            CompletableFuture<Machine.Outcome> run = CompletableFuture.supplyAsync(m::run);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (m.hart(0).regionRuns() == 0 && System.nanoTime() < deadline) Thread.sleep(10);
            assertTrue(m.hart(0).regionRuns() > 0, () -> "the loop should run compiled before gdb attaches; hart 0 retired "
                    + m.hart(0).instret() + ", hart 1 ran " + m.hart(1).regionRuns() + " regions, the process compiled "
                    + RegionCompiler.compiledCount() + " regions, " + RegionCompiler.backlog() + " compilations wait; "
                    + otherThreads());

            String out = GdbBatch.run(elf, server.port(), List.of(
                    "info threads",
                    "break *loop",
                    "continue",
                    "p/x $pc",
                    "delete",
                    "p $minstret",
                    "stepi 100",
                    "p $minstret",
                    "set $s0 = 5000",
                    "stepi 2",
                    "p *(long*)&counter",
                    "set var *(long*)&scratch = 0x1234abcd",
                    "x/gx &scratch",
                    "watch *(long*)&counter",
                    "continue",
                    "delete",
                    "thread 2",
                    "p $mhartid",
                    "p $priv",
                    "thread 1",
                    "echo INTERRUPT\\n",
                    "continue",
                    "p/x $pc",
                    "set var *(long*)&go = 7",
                    "detach"), Duration.ofMinutes(2));

            assertTrue(out.contains("Thread 1 (hart 0)") && out.contains("Thread 2 (hart 1)"), out);
            assertTrue(out.contains("Breakpoint 1, 0x") && out.contains(" in loop ()"), out);
            long loop = ElfImage.read(elf).symbol("loop");
            assertTrue(out.contains("= 0x" + Long.toHexString(loop)), "pc at the breakpoint:\n" + out);
            long[] counts = minstrets(out);
            assertEquals(100, counts[1] - counts[0], "stepi 100 retires 100 instructions:\n" + out);
            assertTrue(out.contains("$4 = 5001"), "a register write shows in memory after two steps:\n" + out);
            assertTrue(out.contains(":\t0x000000001234abcd"), "memory write and read back:\n" + out);
            assertTrue(out.contains("Hardware watchpoint 2") && out.contains("Old value = 5001")
                    && out.contains("New value = 5002"), "the watchpoint hits:\n" + out);
            assertTrue(out.contains("= 1\n"), "thread 2 is hart 1:\n" + out);
            assertTrue(out.contains("received signal SIGINT"), "Ctrl-C stops the guest:\n" + out);
            assertTrue(out.contains("Detaching") || out.contains("detached"), out);

            Machine.Outcome outcome = run.get(30, TimeUnit.SECONDS);
            assertNotNull(outcome);
            assertEquals(7, outcome.status(), "the guest runs on after detach and sees gdb's write");
        } finally {
            m.close();
        }
    }

    /** The two values printed by the "p $minstret" commands around "stepi 100". */
    private static long[] minstrets(String out) {
        Matcher m = Pattern.compile("\\$\\d+ = (\\d+)\\n").matcher(out);
        long[] v = new long[2];
        int n = 0;
        while (m.find() && n < 2) {
            long x = Long.parseLong(m.group(1));
            if (x > 1000) v[n++] = x; // skip small values printed before
        }
        return v;
    }

    /**
     * For a failure: what else this test JVM runs. Hart threads left running by earlier tests
     * take the cores and fill the process's JIT queue; the JIT thread's stack says what it does.
     */
    private static String otherThreads() {
        StringBuilder b = new StringBuilder();
        int harts = 0;
        for (var e : Thread.getAllStackTraces().entrySet()) {
            String name = e.getKey().getName();
            if (name.startsWith("jvisor-hart-")) harts++;
            if (name.equals("jvisor-jit")) {
                b.append("the JIT thread is ").append(e.getKey().getState());
                for (int i = 0; i < Math.min(6, e.getValue().length); i++) b.append(" at ").append(e.getValue()[i]);
                b.append("; ");
            }
        }
        return b.append(harts).append(" hart threads alive in this JVM (2 are this test's)").toString();
    }
}
