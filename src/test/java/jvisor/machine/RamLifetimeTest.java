package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import jvisor.firmware.ElfImage;
import jvisor.testing.Assembler;
import jvisor.testing.Guest;
import org.junit.jupiter.api.Test;

/**
 * Harts reach RAM without its segment's liveness checks, so RAM may be freed only once no thread
 * runs a hart. A machine closed from another thread while both its harts run loads and stores:
 * the harts stop, nothing crashes, and RAM is freed once they have. (Freed at once instead, the
 * JVM died of SIGSEGV in the boot hart's load within these 50 rounds.)
 */
class RamLifetimeTest {
    @Test
    void closingWhileHartsRunFreesRamAfterTheyStop() throws Exception {
        ElfImage program = ElfImage.read(Assembler.assemble(Guest.PROLOGUE + """
                  la s0, buffer
                1:ld t0, 0(s0)
                  addi t0, t0, 1
                  sd t0, 0(s0)
                  sd t0, 8(s0)
                  j 1b
                  .data
                  .align 3
                buffer: .zero 4096
                """ + Guest.EPILOGUE));
        for (int round = 0; round < 50; round++) {
            Machine m = Guest.newMachine(2, new ByteArrayOutputStream());
            m.loadHtifProgram(program);
            Thread runner = Thread.ofPlatform().start(() -> m.run());
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (m.hart(0).instret() < 100_000 && System.nanoTime() < deadline) Thread.sleep(1);
            assertTrue(m.hart(0).instret() >= 100_000, "the guest never ran");
            m.close(); // on this thread, while hart 0 runs on the runner's and hart 1 on its own
            runner.join(10_000);
            assertFalse(runner.isAlive(), "the boot hart did not stop");
            assertThrows(IllegalStateException.class, () -> m.ram().getLong(0), "RAM was not freed");
        }
    }
}
