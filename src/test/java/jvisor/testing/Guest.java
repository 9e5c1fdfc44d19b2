package jvisor.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import jvisor.cpu.Hart;
import jvisor.firmware.ElfImage;
import jvisor.machine.Boot;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;

/**
 * Runs a bare-metal test program in-process and returns the final state. The program text is
 * placed after a prologue that starts at {@code _start} in M-mode; {@code EXIT code} ends the run
 * through HTIF (exit status = code), {@code PUTC reg} prints a character. An epilogue ends
 * programs that fall off their end with status 0. Unexpected traps land in {@code __trap}, which
 * exits with {@code 0x400 + mcause} (interrupts: {@code 0x600 + cause}), with mepc in t6 and
 * mtval in t5.
 */
public final class Guest {
    private Guest() {}

    public static final long MAX_INSTRUCTIONS = 50_000_000L;

    public static final String PROLOGUE = """
            .macro EXIT code
              li t0, ((\\code) << 1) | 1
              la t1, tohost
              sd t0, 0(t1)
            1: j 1b
            .endm
            .macro PUTC reg
              li t0, 0x0101000000000000
              or t0, t0, \\reg
              la t1, tohost
              sd t0, 0(t1)
            .endm
              .section .text.init
              .globl _start
            _start:
              la t0, __trap
              csrw mtvec, t0
            """;

    public static final String EPILOGUE = """

              EXIT 0
              .align 2
            __trap:
              csrr t6, mepc
              csrr t5, mtval
              csrr t0, mcause
              bltz t0, 1f
              addi a0, t0, 0x400
              j 2f
            1:slli t0, t0, 1
              srli t0, t0, 1
              addi a0, t0, 0x600
            2:slli a0, a0, 1
              ori a0, a0, 1
              la t1, tohost
              sd a0, 0(t1)
            3:j 3b
            """ + Guest.TOHOST;

    /** The HTIF mailboxes, in a section of their own. */
    public static final String TOHOST = """

              .section .tohost, "aw", @progbits
              .align 6
              .globl tohost
            tohost: .dword 0
              .align 6
              .globl fromhost
            fromhost: .dword 0
            """;

    /** The outcome: exit status, console text and the hart to inspect. */
    public record Result(int status, String console, Hart hart, Machine machine) {
        public long x(int reg) { return hart.x[reg]; }
        public long pc() { return hart.pc; }
    }

    /** Assembles {@code body} with the prologue and epilogue and runs it with 16 MiB of RAM. */
    public static Result run(String body) {
        return runSource(PROLOGUE + body + EPILOGUE);
    }

    /** Runs a complete assembly source (it must define _start, tohost and fromhost). */
    public static Result runSource(String source) {
        try {
            return runElf(Assembler.assemble(source));
        } catch (Exception e) {
            throw new AssertionError("could not build or run the test program: " + e.getMessage(), e);
        }
    }

    public static Result runElf(Path elfFile) throws Exception {
        return runElf(elfFile, null);
    }

    /** Runs an ELF; {@code setup} (may be null) adjusts the machine after loading, before the run. */
    public static Result runElf(Path elfFile, Consumer<Machine> setup) throws Exception {
        return runElf(elfFile, 1, setup);
    }

    /**
     * Runs an ELF on {@code cpus} harts, which all start at its entry in M-mode with a0 = hart id
     * (as on Spike); the run ends when any of them exits through HTIF.
     */
    public static Result runElf(Path elfFile, int cpus, Consumer<Machine> setup) throws Exception {
        ElfImage elf = ElfImage.read(elfFile);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Machine m = newMachine(cpus, console);
        m.loadHtifProgram(elf);
        if (setup != null) setup.accept(m);
        return finish(m, m.run(MAX_INSTRUCTIONS), console, elfFile);
    }

    /**
     * Runs an ELF as the kernel of the built-in SBI on {@code cpus} harts: hart 0 starts in
     * S-mode at its entry (a0 = 0, a1 = device tree), the others wait in HSM STOPPED.
     */
    public static Result runWithSbi(Path elfFile, int cpus) throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Machine m = newMachine(cpus, console);
        m.load(new Boot(Boot.Bios.BUILTIN, null, null, Files.readAllBytes(elfFile), elfFile.toString(), null, ""));
        return finish(m, m.run(MAX_INSTRUCTIONS), console, elfFile);
    }

    /**
     * A 16 MiB machine whose JIT mode comes from the system property {@code jvisor.test.jit}
     * (off, on or eager; default eager, so every test program also exercises the JIT).
     */
    public static Machine newMachine(int cpus, ByteArrayOutputStream console) {
        Machine m = new Machine(new MachineConfig(16L << 20, cpus), console);
        m.setJit(Machine.JitMode.valueOf(System.getProperty("jvisor.test.jit", "eager").toUpperCase(java.util.Locale.ROOT)));
        return m;
    }

    private static Result finish(Machine m, Machine.Outcome outcome, ByteArrayOutputStream console, Path elfFile) {
        if (outcome == null) {
            m.close(); // stops the other harts
            throw new AssertionError("guest did not exit within " + MAX_INSTRUCTIONS + " instructions; pc=0x"
                    + Long.toHexString(m.hart(0).pc) + " (" + elfFile + ")");
        }
        return new Result(outcome.status(), console.toString(StandardCharsets.UTF_8), m.hart(0), m);
    }
}
