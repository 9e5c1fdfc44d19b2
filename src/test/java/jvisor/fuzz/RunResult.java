package jvisor.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How one environment ran a program: the DATA and DUMP bytes it ended with, or why it did not
 * finish. jvisor's runs also give how many instructions retired (exact, so the same in every
 * JIT mode), how many of them in compiled code, and in U-mode the leaf page table entries, whose
 * A and D bits the page walker set.
 */
record RunResult(String env, byte[] state, String failure, long instructions, long compiled, long[] ptes) {
    static RunResult failed(String env, String why) { return new RunResult(env, null, why, 0, 0, null); }

    boolean ok() { return failure == null; }

    boolean sameAs(RunResult o) {
        if (!ok() || !o.ok()) return ok() == o.ok();
        boolean jvisor = instructions > 0 && o.instructions > 0;
        return Arrays.equals(state, o.state) && (!jvisor || instructions == o.instructions && Arrays.equals(ptes, o.ptes));
    }

    private long word(int off) {
        return ByteBuffer.wrap(state).order(ByteOrder.LITTLE_ENDIAN).getLong(off);
    }

    /** Differing registers first, then differing data words, at most {@code max} lines. */
    List<String> diff(RunResult o, int max) {
        List<String> out = new ArrayList<>();
        if (!ok() || !o.ok()) {
            out.add(env + ": " + (ok() ? "finished" : failure) + "; " + o.env + ": " + (o.ok() ? "finished" : o.failure));
            return out;
        }
        if (instructions > 0 && o.instructions > 0 && instructions != o.instructions) {
            out.add(String.format("instret %s=%d %s=%d", env, instructions, o.env, o.instructions));
        }
        for (int i = 0; ptes != null && o.ptes != null && i < ptes.length && out.size() < max; i++) {
            if (ptes[i] != o.ptes[i]) out.add(String.format("pte %d %s=%x %s=%x", i, env, ptes[i], o.env, o.ptes[i]));
        }
        int dump = Program.DATA_SIZE;
        for (int i = 0; i < 65 && out.size() < max; i++) {
            int off = dump + 8 * i;
            if (word(off) != o.word(off)) {
                String name = i < 32 ? "x" + i : i < 64 ? "f" + (i - 32) : "fcsr";
                out.add(String.format("%-5s %s=%016x %s=%016x", name, env, word(off), o.env, o.word(off)));
            }
        }
        for (int off = 0; off < state.length && out.size() < max; off += 8) {
            if (off == dump) off += 65 * 8; // the registers, shown above
            if (word(off) != o.word(off)) {
                out.add(String.format("mem 0x%x %s=%016x %s=%016x", Program.DATA + off, env, word(off), o.env, o.word(off)));
            }
        }
        return out;
    }
}
