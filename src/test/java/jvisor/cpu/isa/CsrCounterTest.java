package jvisor.cpu.isa;

import static jvisor.cpu.isa.IsaTesting.assertHex;
import static jvisor.cpu.isa.IsaTesting.hex;
import static jvisor.cpu.isa.IsaTesting.runOk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Zicsr instruction semantics (unprivileged spec, "Zicsr" chapter: which forms read and which
 * write, read-only CSRs, unknown CSRs) and the Zicntr counters, from M-mode.
 */
class CsrCounterTest {
    @Test
    void readModifyWriteForms() {
        var r = runOk("""
                li a0, 0x1234
                csrw mscratch, a0               # csrrw x0
                li a1, 0x00ff00ff
                csrrw a2, mscratch, a1
                SAVE a2                         # 0x1234
                li a1, 0x0f0f
                csrrs a2, mscratch, a1
                SAVE a2                         # 0xff00ff
                csrr a2, mscratch
                SAVE a2                         # 0xff0fff
                li a1, 0xf0
                csrrc a2, mscratch, a1
                SAVE a2                         # 0xff0fff
                csrr a2, mscratch
                SAVE a2                         # 0xff0f0f
                csrrwi a2, mscratch, 31         # uimm is zero-extended
                SAVE a2                         # 0xff0f0f
                csrr a2, mscratch
                SAVE a2                         # 31
                csrrci a2, mscratch, 5
                SAVE a2                         # 31
                csrrsi a2, mscratch, 16
                SAVE a2                         # 26
                csrrsi a2, mscratch, 0          # uimm 0: read only
                SAVE a2                         # 26
                csrrci a2, mscratch, 0
                SAVE a2                         # 26
                csrrs a2, mscratch, zero
                SAVE a2                         # 26
                csrrc a2, mscratch, zero
                SAVE a2                         # 26
                li a1, -1
                csrrw a1, mscratch, a1          # rd == rs1: the old CSR value lands in rd
                SAVE a1                         # 26
                csrr a2, mscratch
                SAVE a2                         # -1
                li a1, 0x8000000000000001
                csrrc a1, mscratch, a1          # rd == rs1 for csrrc
                SAVE a1                         # -1
                csrr a2, mscratch
                SAVE a2                         # 0x7ffffffffffffffe
                csrrw zero, mscratch, zero      # writes zero
                csrr a2, mscratch
                SAVE a2                         # 0
                """);
        long[] want = {
            0x1234, 0xff00ff, 0xff0fff, 0xff0fff, 0xff0f0f, 0xff0f0f, 31, 31, 26, 26, 26, 26, 26, 26, -1, -1,
            0x7fff_ffff_ffff_fffeL, 0,
        };
        for (int k = 0; k < want.length; k++) assertHex(want[k], r.saved(k), "step " + k);
        assertEquals(want.length, r.saved().length);
    }

    @Test
    void readOnlyCsrsCanBeReadWithEveryNonWritingForm() {
        var r = runOk("""
                csrr a0, mvendorid
                SAVE a0
                csrrc a0, marchid, zero
                SAVE a0
                csrrsi a0, mimpid, 0
                SAVE a0
                csrrci a0, mhartid, 0
                SAVE a0
                csrr a0, mconfigptr
                SAVE a0
                csrr a0, cycle
                csrr a0, time
                csrr a0, instret
                csrr a0, hpmcounter3
                SAVE a0
                csrr a0, hpmcounter31
                SAVE a0
                """);
        assertHex(0, r.saved(3), "mhartid of hart 0");
        assertHex(0, r.saved(5), "hpmcounter3 (no events)");
        assertHex(0, r.saved(6), "hpmcounter31");
    }

    /** Runs each instruction with RECORD_TRAPS; returns per instruction {pc, bits, cause, tval, epc, rd after}. */
    static long[][] trapEach(String setup, String[] insns) {
        StringBuilder p = new StringBuilder("RECORD_TRAPS\n").append(setup);
        for (String insn : insns) {
            p.append("la a5, 1f\nSAVE a5\nlwu a4, 0(a5)\nSAVE a4\nli a0, 0x5a\n")
                    .append(".option norvc\n1: ").append(insn).append("\n.option rvc\nSAVE a0\n");
        }
        var r = runOk(p.toString());
        long[][] out = new long[insns.length][];
        int k = 0;
        for (int i = 0; i < insns.length; i++) {
            long pc = r.saved(k), bits = r.saved(k + 1);
            long[] rec = {pc, bits, r.saved(k + 2), r.saved(k + 3), r.saved(k + 4), r.saved(k + 5)};
            out[i] = rec;
            k += 6;
        }
        assertEquals(6 * insns.length, r.saved().length, "every instruction trapped once");
        return out;
    }

    static void assertIllegal(String[] insns, long[][] recs) {
        for (int i = 0; i < insns.length; i++) {
            long[] rec = recs[i];
            assertEquals(2, rec[2], insns[i] + ": illegal instruction");
            assertHex(rec[1], rec[3], insns[i] + ": mtval = instruction bits");
            assertHex(rec[0], rec[4], insns[i] + ": mepc");
            assertHex(0x5a, rec[5], insns[i] + ": rd unchanged");
        }
    }

    @Test
    void writingReadOnlyCsrsIsIllegal() {
        String[] insns = {
            "csrrw a0, mvendorid, a1",
            "csrw cycle, zero",             // rd = x0 and rs1 = x0 still write
            "csrrwi a0, time, 0",
            "csrrs a0, instret, a1",        // rs1 != x0 writes even though a1 holds 0
            "csrrc a0, mhartid, a1",
            "csrrsi a0, marchid, 1",
            "csrrci a0, mimpid, 1",
            "csrw mconfigptr, a1",
            "csrrs a0, hpmcounter3, a1",
        };
        assertIllegal(insns, trapEach("li a1, 0\n", insns));
    }

    @Test
    void unknownCsrsAreIllegal() {
        String[] insns = {
            "csrr a0, 0x7c0",               // custom machine read/write: none here
            "csrw 0x7c0, a1",
            "csrr a0, 0x8ff",               // custom user read/write
            "csrr a0, 0xfff",               // custom machine read-only
            "csrr a0, 0xc80",               // cycleh exists only on RV32
            "csrr a0, 0x3a1",               // pmpcfg1 exists only on RV32
            "csrr a0, 0x7b0",               // dcsr: debug mode only
            "csrr a0, 0x6c0",               // custom hypervisor read/write: none here
            "csrrsi a0, 0x5a8, 0",          // scontext: no Sdtrig context
        };
        assertIllegal(insns, trapEach("li a1, 0\n", insns));
    }

    @Test
    void instretCountsRetiredInstructions() {
        // A CSR read returns the value from before the reading instruction retires.
        var r = runOk("""
                csrr a0, instret
                nop
                c.nop
                csrr a1, instret                # counted: the first csrr, nop, c.nop
                sub a2, a1, a0
                SAVE a2
                csrr a0, minstret
                csrr a1, instret
                sub a2, a1, a0
                SAVE a2
                li a0, 1000
                csrw minstret, a0
                csrr a1, minstret               # the value written is what the next instruction reads
                SAVE a1
                csrr a0, instret                # 1000 + csrr + SAVE (sd, addi) = 1003
                li a3, 0
                li a4, 100
            1:  addi a3, a3, 1
                bne a3, a4, 1b
                csrr a1, instret                # + csrr, li, li, 200 in the loop
                sub a2, a1, a0
                SAVE a0
                SAVE a2
                RECORD_TRAPS
                csrr a0, instret
                .word 0x0000700b                # custom-0: illegal, does not retire
                csrr a1, instret
                sub a2, a1, a0
                SAVE a2
                """);
        assertHex(3, r.saved(0), "instret advance over three instructions");
        assertHex(1, r.saved(1), "minstret and instret are one counter");
        assertHex(1000, r.saved(2), "minstret right after a write");
        assertHex(1003, r.saved(3), "instret counts on from the value written");
        assertHex(203, r.saved(4), "over a 100-iteration loop");
        // Between the two reads only the first csrr and the 17 instructions of the handler for a
        // 4-byte instruction retire (3 x csrr+SAVE, lhu, addi, andi, addi, bnez, addi, csrw, mret).
        assertEquals(2, r.trap(5).cause());
        assertHex(1 + 17, r.saved(8), "an illegal instruction does not retire");
    }

    @Test
    void instretStaysExactWhereCodeOverlapsItself() {
        // The branch (never taken) makes the compiled region also hold the 2-byte instruction
        // hidden in the upper half of the addi, so the addi's successor is not laid out after it.
        // The tests run the JIT eagerly: the backward jump makes 2: a loop head, compiled at once.
        var r = runOk("""
                csrr a0, instret
                j 3f
            2:  li t1, 0
                bnez t1, 1f + 2
            1:  .4byte 0x00050513           # addi a0, a0, 0; its upper half 0x0005 is a c.nop hint
                addi a2, a2, 1
                addi a2, a2, 1
                csrr a1, instret            # counted: csrr, j, j, li, bnez, addi, addi, addi
                sub a2, a1, a0
                SAVE a2
                j 4f
            3:  j 2b
            4:
                """);
        assertHex(8, r.saved(0), "instret over code entered mid-instruction elsewhere");
    }

    @Test
    void cycleAdvancesAndIsIndependentOfInstret() {
        var r = runOk("""
                csrr a0, cycle
                li a3, 0
                li a4, 1000
            1:  addi a3, a3, 1
                bne a3, a4, 1b
                csrr a1, cycle
                SAVE a0
                SAVE a1
                csrr a0, mcycle
                csrw minstret, zero             # must not move mcycle
                csrr a1, mcycle
                SAVE a0
                SAVE a1
                li a0, 0x100000
                csrw mcycle, a0
                csrr a1, mcycle
                SAVE a1
                csrr a1, cycle
                SAVE a1
                """);
        assertTrue(r.saved(1) - r.saved(0) >= 2000, "cycle advanced over 2000 instructions: " + (r.saved(1) - r.saved(0)));
        long before = r.saved(2), after = r.saved(3);
        assertTrue(after > before && after - before < 100, "mcycle kept counting across a minstret write: "
                + hex(before) + " then " + hex(after));
        assertTrue(r.saved(4) >= 0x100000 && r.saved(4) <= 0x100001, "mcycle after a write: " + hex(r.saved(4)));
        assertTrue(r.saved(5) > r.saved(4) && r.saved(5) < 0x100010, "cycle follows mcycle: " + hex(r.saved(5)));
    }

    @Test
    void timeAdvances() {
        // time runs at 10 MHz from the host clock: spin (bounded) until it changes.
        var r = runOk("""
                csrr a0, time
                li a3, 0
                li a4, 5000000
            1:  csrr a1, time
                bltu a1, a0, 2f                 # must never go backwards
                bne a1, a0, 3f
                addi a3, a3, 1
                bne a3, a4, 1b
            2:  li a2, 1
                SAVE a2
                j 4f
            3:  li a2, 0
                SAVE a2
            4:
                """);
        assertHex(0, r.saved(0), "time advanced and never went backwards");
    }
}
