package jvisor.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jvisor.machine.Machine;
import jvisor.testing.Assembler;
import jvisor.testing.Guest;
import org.junit.jupiter.api.Test;

/**
 * Jumps through a register that land in the same compiled region stay in it: a switch
 * dispatched through a jump table (a bytecode interpreter's loop) and returns from calls
 * inside the page run without going back to the interpreter at each jump. With the eager JIT
 * whatever the suite's JIT mode, so the programs' warm-up is short.
 */
class IndirectJumpTest {
    /** 200,000 rounds of a 4-way switch through a table of addresses; a0 sums what the cases add. */
    private static final String SWITCH = """
              li s0, 200000
              li a0, 0
              li t1, 0
              la s1, table
            loop:
              andi t0, t1, 3
              slli t0, t0, 3
              add t0, t0, s1
              ld t0, 0(t0)
              jr t0
            case0:
              addi a0, a0, 1
              j next
            case1:
              addi a0, a0, 10
              j next
            case2:
              addi a0, a0, 100
              j next
            case3:
              addi a0, a0, 1000
            next:
              addi t1, t1, 1
              addi s0, s0, -1
              bnez s0, loop
              j done
              .align 3
            table:
              .dword case0, case1, case2, case3
            done:
            """;

    /** 100,000 calls of a leaf function in the same page: each return is a jump through ra. */
    private static final String CALLS = """
              li s0, 100000
              li a0, 0
            loop:
              call leaf
              addi s0, s0, -1
              bnez s0, loop
              j done
            leaf:
              addi a0, a0, 3
              ret
            done:
            """;

    private static Guest.Result run(String body) throws Exception {
        return Guest.runElf(Assembler.assemble(Guest.PROLOGUE + body + Guest.EPILOGUE),
                m -> m.setJit(Machine.JitMode.EAGER));
    }

    @Test
    void switchThroughAJumpTableStaysCompiled() throws Exception {
        Guest.Result r = run(SWITCH);
        try {
            assertEquals(0, r.status());
            assertEquals(50_000L * 1111, r.x(10));
            assertStaysCompiled(r);
        } finally {
            r.machine().close();
        }
    }

    @Test
    void returnsInsideThePageStayCompiled() throws Exception {
        Guest.Result r = run(CALLS);
        try {
            assertEquals(0, r.status());
            assertEquals(300_000L, r.x(10));
            assertStaysCompiled(r);
        } finally {
            r.machine().close();
        }
    }

    /** At least 500 instructions per region run: a region left at every jump would run about 6. */
    private static void assertStaysCompiled(Guest.Result r) {
        long runs = r.hart().regionRuns(), retired = r.hart().instret();
        assertTrue(runs > 0, "the loop ran compiled");
        assertTrue(retired / runs >= 500, retired + " instructions in " + runs + " region runs");
    }
}
