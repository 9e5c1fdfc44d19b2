package jvisor.fuzz;

import java.io.ByteArrayOutputStream;
import jvisor.cpu.Hart;
import jvisor.firmware.ElfImage;
import jvisor.jit.RegionCompiler;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;
import jvisor.memory.GuestRam;

/** Runs a program in-process on a one-hart jvisor machine with the JIT off, eager or on. */
final class JvisorRun {
    private JvisorRun() {}

    /**
     * The JIT settings compared: the machine's off and eager; {@code TIERED} compiles on the hart's
     * thread once a slot reaches a low threshold, so runs switch from interpreter to compiled code
     * at the same points every time; {@code ON} is the machine's on with that threshold (compiles
     * in the background, installing regions while the hart runs).
     */
    enum Jit { OFF, EAGER, TIERED, ON }

    private static final long LEAF = Program.PAGE_TABLES + 0x2000;
    private static final int MCAUSE = 0x342, MEPC = 0x341, MTVAL = 0x343;

    /** Runs {@code p}; a run that has not ended after about {@code maxInstructions} fails. */
    static RunResult run(Program p, Jit jit, int threshold, long maxInstructions) {
        String env = "jit-" + jit.name().toLowerCase(java.util.Locale.ROOT);
        try (Machine m = new Machine(new MachineConfig(4L << 20, 1), new ByteArrayOutputStream())) {
            m.setJit(jit == Jit.OFF ? Machine.JitMode.OFF : jit == Jit.EAGER ? Machine.JitMode.EAGER : Machine.JitMode.ON);
            if (jit == Jit.TIERED || jit == Jit.ON) m.hart(0).jit = new RegionCompiler(m.ram(), threshold, jit == Jit.ON);
            m.loadHtifProgram(ElfImage.parse("fuzz-" + p.seed, p.elf(Program.STUB)));
            if (p.user) pageTables(m.ram());
            Machine.Outcome o = m.run(maxInstructions);
            Hart h = m.hart(0);
            if (o == null) return RunResult.failed(env, "no exit after " + maxInstructions + " instructions, pc " + p.describe(h.pc));
            if (o.status() != 0) {
                return RunResult.failed(env, String.format("trap, mcause %d at %s, mtval 0x%x", h.csr.get(MCAUSE),
                        p.describe(h.csr.get(MEPC)), h.csr.get(MTVAL)));
            }
            byte[] state = new byte[Program.STATE_SIZE];
            m.ram().copyOut(Program.DATA, state, 0, state.length);
            long[] ptes = null;
            if (p.user) {
                ptes = new long[512];
                for (int i = 0; i < 512; i++) ptes[i] = m.ram().getLong(LEAF - m.ram().base() + 8L * i);
            }
            return new RunResult(env, state, null, h.instret(), h.regionRetired(), ptes);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Sv39 tables mapping CODE..END to themselves, 4 KiB pages readable, writable, executable and
     * user-accessible; A and D clear, for the hardware walker to set.
     */
    private static void pageTables(GuestRam ram) {
        long root = Program.PAGE_TABLES, mid = root + 0x1000, leaf = LEAF;
        int v = 1, rwxu = 2 | 4 | 8 | 16;
        ram.putLong(root - ram.base() + 8 * (Program.STUB >>> 30 & 511), (mid >>> 12) << 10 | v);
        ram.putLong(mid - ram.base() + 8 * (Program.STUB >>> 21 & 511), (leaf >>> 12) << 10 | v);
        for (long va = Program.CODE; va < Program.END; va += 0x1000) {
            ram.putLong(leaf - ram.base() + 8 * (va >>> 12 & 511), (va >>> 12) << 10 | v | rwxu);
        }
    }
}
