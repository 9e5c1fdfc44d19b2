package jvisor.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How one environment ran a program: the DATA and DUMP bytes it ended with, or why it did not
 * finish, and (jvisor only) how many instructions it retired, how many of them in compiled code.
 */
record RunResult(String env, byte[] state, String failure, long instructions, long compiled) {
    static RunResult failed(String env, String why) { return new RunResult(env, null, why, 0, 0); }

    boolean ok() { return failure == null; }

    boolean sameAs(RunResult o) {
        return ok() && o.ok() ? Arrays.equals(state, o.state) : ok() == o.ok();
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
