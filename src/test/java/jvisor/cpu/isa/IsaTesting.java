package jvisor.cpu.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jvisor.testing.Guest;

/**
 * Shared harness for the instruction-set tests. A test body runs in M-mode (see {@link Guest})
 * with two extra macros:
 * <ul>
 * <li>{@code SAVE reg} appends a register to the result stream (s11 points at its end), which
 *     the Java side reads back as {@link Run#saved()};</li>
 * <li>{@code RECORD_TRAPS} installs a handler that appends mcause, mtval and mepc to the same
 *     stream and resumes after the trapping instruction (2 or 4 bytes, from its low bits).</li>
 * </ul>
 * Bodies must leave s11 (x27), t3 and t4 (x28, x29) alone: the macros and the handler use them.
 * Setting the system property {@code jvisor.isa.dump} to a directory writes every body and the
 * values it saved there, so the user-level ones can be replayed on QEMU ({@code qemu-replay.sh}
 * in this folder).
 */
final class IsaTesting {
    private IsaTesting() {}

    /** Where SAVE writes: 15 MiB into the 16 MiB of guest RAM, far from the program. */
    static final long RESULTS = 0x80F0_0000L;

    static final int S11 = 27, T5 = 30, T6 = 31;

    private static final String PRELUDE = """
            .macro SAVE reg
              sd \\reg, 0(s11)
              addi s11, s11, 8
            .endm
            .macro RECORD_TRAPS
              la t3, record_trap
              csrw mtvec, t3
            .endm
              li s11, 0x80F00000
            """;

    private static final String HANDLER = """

              EXIT 0
              .align 2
            record_trap:
              csrr t3, mcause
              SAVE t3
              csrr t3, mtval
              SAVE t3
              csrr t3, mepc
              SAVE t3
              lhu t4, 0(t3)
              addi t3, t3, 2
              andi t4, t4, 3
              addi t4, t4, -3
              bnez t4, 1f
              addi t3, t3, 2
            1:csrw mepc, t3
              mret
            """;

    /** Final state of a test program: exit status, registers and the SAVEd values. */
    record Run(int status, long[] regs, long pc, long[] saved, String console) {
        long x(int n) { return regs[n]; }

        long saved(int i) {
            if (i >= saved.length) fail("only " + saved.length + " values were saved; wanted index " + i);
            return saved[i];
        }

        /** The trap records starting at saved index {@code i}: mcause, mtval, mepc. */
        Trap trap(int i) { return new Trap(saved(i), saved(i + 1), saved(i + 2)); }
    }

    record Trap(long cause, long tval, long epc) {}

    /** Runs {@code body}; the machine is closed before returning (its RAM is released). */
    static Run run(String body) {
        Guest.Result r = Guest.run(PRELUDE + body + HANDLER);
        try {
            long[] regs = r.hart().x.clone();
            long end = regs[S11];
            List<Long> saved = new ArrayList<>();
            if (end >= RESULTS && end < RESULTS + (1 << 20) && (end & 7) == 0) {
                long base = RESULTS - r.machine().ram().base();
                for (long off = 0; off < end - RESULTS; off += 8) saved.add(r.machine().ram().getLong(base + off));
            }
            Run run = new Run(r.status(), regs, r.pc(), saved.stream().mapToLong(Long::longValue).toArray(), r.console());
            dump(body, run);
            return run;
        } finally {
            r.machine().close();
        }
    }

    /** Runs {@code body} and asserts that it exited with status 0 (no unexpected trap). */
    static Run runOk(String body) {
        Run r = run(body);
        if (r.status() != 0) {
            fail(r.status() >= 0x400
                    ? String.format("unexpected trap: mcause=%d mepc=0x%x mtval=0x%x", r.status() - 0x400, r.x(T6), r.x(T5))
                    : "guest exited with status " + r.status());
        }
        return r;
    }

    /** Asserts two 64-bit values are equal, printing them in hex. */
    static void assertHex(long want, long got, String what) {
        assertEquals(hex(want), hex(got), what);
    }

    static String hex(long v) { return "0x" + Long.toHexString(v); }

    /** A {@code li} operand for any 64-bit value. */
    static String imm(long v) { return "0x" + Long.toHexString(v); }

    /** With -Djvisor.isa.dump=DIR: writes the body and the values it saved, for replay on QEMU. */
    private static void dump(String body, Run run) {
        String dir = System.getProperty("jvisor.isa.dump");
        if (dir == null) return;
        try {
            Path d = Path.of(dir);
            Files.createDirectories(d);
            String name = Integer.toHexString(body.hashCode());
            Files.writeString(d.resolve(name + ".S"), body);
            StringBuilder out = new StringBuilder();
            for (long v : run.saved()) out.append(String.format("%016x%n", v));
            Files.writeString(d.resolve(name + ".out"), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
