package jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jvisor.testing.Guest;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void arithmeticAndConsole() {
        var r = Guest.run("""
                li a0, 40
                addi a1, a0, 2
                li a2, 'h'
                PUTC a2
                li a2, 'i'
                PUTC a2
                """);
        assertEquals(0, r.status());
        assertEquals(42, r.x(11));
        assertEquals("hi", r.console());
    }

    @Test
    void unexpectedTrapReportsCause() {
        var r = Guest.run("""
                .word 0
                """);
        assertEquals(0x400 + Cause.ILLEGAL_INSN, r.status());
    }

    /** The line a timed-out guest test prints for each hart. */
    @Test
    void interruptStateNamesWhatDecidesInterrupts() {
        var r = Guest.run("""
                li t0, 1 << 7
                csrw mie, t0
                """);
        String state = r.hart().interruptState();
        assertTrue(state.startsWith("hart 0: pc 0x"), state);
        assertTrue(state.contains(" priv 3 virt false ") && state.contains(" mie 0x80 "), state);
        r.machine().close();
    }
}
