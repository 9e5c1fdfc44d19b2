package jvisor.cpu.isa;

import static jvisor.cpu.isa.IsaTesting.assertHex;
import static jvisor.cpu.isa.IsaTesting.hex;
import static jvisor.cpu.isa.IsaTesting.runOk;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Reserved 32-bit encodings of RV64GC (plus Zicsr and Zifencei) raise illegal-instruction with
 * the instruction bits, zero-extended, in mtval and the instruction's address in mepc; they
 * write no register.
 */
class IllegalInstructionTest {
    /** Encodings that no implemented extension defines, with why. */
    static final int[] RESERVED = {
        0x0000_050b, // custom-0 opcode
        0x0000_057b, // custom-3 opcode
        0x0000_7503, // LOAD funct3 = 7
        0x8000_7503, // the same with bit 31 set: mtval must not be sign-extended
        0x00a5_4023, // STORE funct3 = 4
        0x00a5_7023, // STORE funct3 = 7
        0x04b5_0533, // OP funct7 = 0x02
        0x40b5_1533, // OP funct7 = 0x20 with funct3 = 1
        0x40b5_2533, // OP funct7 = 0x20 with funct3 = 2
        0x0405_1513, // slli with imm[11:6] = 1
        0x4405_5513, // srai-like funct6 = 0x11
        0x0205_151b, // slliw with shamt[5] = 1
        0x0205_551b, // srliw with shamt[5] = 1
        0x4205_551b, // sraiw with shamt[5] = 1
        0x0005_251b, // OP-IMM-32 funct3 = 2
        0x0005_751b, // OP-IMM-32 funct3 = 7
        0x02b5_153b, // OP-32 funct7 = 1, funct3 = 1
        0x02b5_253b, // OP-32 funct7 = 1, funct3 = 2
        0x00b5_253b, // OP-32 funct3 = 2
        0x40b5_153b, // OP-32 funct7 = 0x20, funct3 = 1
        0x0005_1567, // JALR funct3 = 1
        0x00b5_2063, // BRANCH funct3 = 2
        0x00b5_3063, // BRANCH funct3 = 3
        0x0000_700f, // MISC-MEM funct3 = 7
        0x0030_0073, // SYSTEM funct12 = 3 (neither ecall nor ebreak)
        0x0000_00f3, // ecall with rd = x1
        0x3805_252f, // AMO funct5 = 0x07
        0x0005_452f, // AMO funct3 = 4
        0x1015_252f, // lr.w with rs2 != 0
        0x1015_352f, // lr.d with rs2 != 0
    };

    @Test
    void reservedEncodingsTrapWithTheirBits() {
        StringBuilder p = new StringBuilder(".option norvc\nRECORD_TRAPS\n");
        for (int insn : RESERVED) {
            p.append("li a0, 0x5a\nla a5, 1f\nSAVE a5\n1: .word ").append(hex(insn & 0xffff_ffffL)).append("\nSAVE a0\n");
        }
        var r = runOk(p.toString());
        int k = 0;
        for (int insn : RESERVED) {
            String what = "reserved " + hex(insn & 0xffff_ffffL);
            long pc = r.saved(k++);
            IsaTesting.Trap t = r.trap(k);
            k += 3;
            assertEquals(2, t.cause(), what + ": illegal instruction");
            assertHex(insn & 0xffff_ffffL, t.tval(), what + ": mtval");
            assertHex(pc, t.epc(), what + ": mepc");
            assertHex(0x5a, r.saved(k++), what + ": a0 (rd) unchanged");
        }
        assertEquals(k, r.saved().length, "one trap each");
    }

    @Test
    void illegalInstructionAcrossAPageBoundary() {
        // Both halves are fetched for mtval even though they live on different pages.
        var r = runOk("""
                .option rvc
                .option norelax
                RECORD_TRAPS
                j cross
                .balign 4096
                .space 4094
            cross:
                .word 0x80007503
                li a0, 1
                SAVE a0
                la a0, cross
                SAVE a0
                """);
        IsaTesting.Trap t = r.trap(0);
        assertEquals(2, t.cause());
        assertHex(0x8000_7503L, t.tval(), "mtval");
        assertHex(r.saved(4), t.epc(), "mepc");
        assertHex(1, r.saved(3), "resumed after the 4-byte instruction");
    }

    @Test
    void unexpectedIllegalInstructionEndsTheDefaultHandler() {
        var r = IsaTesting.run(".option norvc\n.word 0x0000700f\n");
        assertEquals(0x402, r.status());
        assertHex(0x700f, r.x(IsaTesting.T5), "mtval");
    }
}
