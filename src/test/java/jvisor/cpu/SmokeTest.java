package jvisor.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
