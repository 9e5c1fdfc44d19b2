package jvisor.bench;

import java.io.OutputStream;
import jvisor.machine.Machine;
import jvisor.machine.MachineConfig;

/** A one-hart machine with 16 MiB of RAM at {@link #RAM}, as the benchmarks use it. */
final class BenchMachine {
    private BenchMachine() {}

    static final long RAM = MachineConfig.RAM_BASE;

    static Machine create(Machine.JitMode jit) {
        Machine m = new Machine(new MachineConfig(16L << 20, 1), OutputStream.nullOutputStream());
        m.setJit(jit);
        return m;
    }

    /**
     * Instructions as little-endian bytes: each entry is a 32-bit instruction, or a 16-bit
     * compressed one when its low two bits are not 11.
     */
    static byte[] code(int... insns) {
        byte[] out = new byte[4 * insns.length];
        int n = 0;
        for (int w : insns) {
            int len = (w & 3) == 3 ? 4 : 2;
            for (int k = 0; k < len; k++) out[n++] = (byte) (w >>> 8 * k);
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
