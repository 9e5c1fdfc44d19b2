package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import jvisor.testing.Assembler;
import jvisor.testing.Guest;
import org.junit.jupiter.api.Test;

/**
 * Raw binaries (neither ELF nor Linux Image) load where QEMU's virt board loads them: at the RAM
 * base with --bios none, 2 MiB above it behind the built-in SBI. The program reports where it
 * runs: it fails through the test device with 16 + its offset from the RAM base in MiB.
 */
class RawBinaryTest {
    private static final String WHERE_AM_I = """
              .globl _start
            _start:
              auipc t0, 0
              li t2, 0x80000000
              sub t0, t0, t2
              srli t0, t0, 20
              addi t0, t0, 16
              slli t0, t0, 16
              li t3, 0x3333
              or t0, t0, t3
              li t1, 0x100000
              sw t0, 0(t1)
            1: j 1b
            """ + Guest.TOHOST;

    private static int run(Boot.Bios bios, int cpus) throws Exception {
        byte[] bin = Assembler.flatBinary(Assembler.assemble(WHERE_AM_I));
        try (Machine m = Guest.newMachine(cpus, new ByteArrayOutputStream())) {
            m.load(new Boot(bios, null, null, java.util.Arrays.copyOf(bin, 64), "raw.bin", null, ""));
            return m.run(Guest.MAX_INSTRUCTIONS).status();
        }
    }

    @Test
    void atTheRamBaseWithBiosNoneOnEveryHart() throws Exception {
        assertEquals(16, run(Boot.Bios.NONE, 2));
    }

    @Test
    void twoMegabytesUpBehindTheBuiltinSbi() throws Exception {
        assertEquals(18, run(Boot.Bios.BUILTIN, 1));
    }
}
