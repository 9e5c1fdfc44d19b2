package jvisor.cpu.isa;

import static jvisor.cpu.isa.IsaTesting.assertHex;
import static jvisor.cpu.isa.IsaTesting.hex;
import static jvisor.cpu.isa.IsaTesting.imm;
import static jvisor.cpu.isa.IsaTesting.runOk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jvisor.cpu.isa.IntegerOpsTest.RegOp;
import org.junit.jupiter.api.Test;

/**
 * Every RV64C instruction (unprivileged spec, "C" chapter, tables 26.4-26.6), written with
 * explicit {@code c.} mnemonics so the assembler encodes them and jvisor must decode them. The
 * immediates cover each bit of their scattered fields and both ends of their ranges; results
 * are checked against the 32-bit instruction each one expands to. Reserved encodings must raise
 * illegal-instruction with the 16-bit encoding in mtval; HINTs must execute as no-ops.
 */
class CompressedTest {
    static final long[] VALUES = {
        0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL, 0x1234_5678_9abc_def0L,
    };

    /** 512 bytes of test data, byte i = (i * 0x4b + 0x93) mod 256 (sign bits vary). */
    static int dataByte(int i) { return (i * 0x4b + 0x93) & 0xff; }

    static long dataWord(int off, int size, boolean signed) {
        long v = 0;
        for (int k = size - 1; k >= 0; k--) v = v << 8 | dataByte(off + k);
        return size == 4 && signed ? (int) v : v;
    }

    static String dataBlock() {
        StringBuilder s = new StringBuilder(".pushsection .data\n.balign 8\nbuf:\n");
        for (int i = 0; i < 512; i += 8) s.append(".dword ").append(imm(dataWord(i, 8, false))).append('\n');
        return s.append("sbuf: .space 512\n.popsection\n").toString();
    }

    // ---- quadrant 0 and the sp-relative loads and stores ----

    static final int[] LW = {0, 4, 8, 16, 32, 64, 124}, LD = {0, 8, 16, 32, 64, 128, 248};
    static final int[] LWSP = {0, 4, 8, 16, 32, 64, 128, 252}, LDSP = {0, 8, 16, 32, 64, 128, 256, 504};

    @Test
    void loads() {
        StringBuilder p = new StringBuilder(".option rvc\nla a0, buf\nla sp, buf\nli t0, 0x2000\ncsrs mstatus, t0\n");
        for (int off : LW) p.append("c.lw a1, ").append(off).append("(a0)\nSAVE a1\n");
        for (int off : LD) p.append("c.ld a5, ").append(off).append("(a0)\nSAVE a5\n");
        for (int off : LD) p.append("c.fld fa2, ").append(off).append("(a0)\nfmv.x.d a1, fa2\nSAVE a1\n");
        for (int off : LWSP) p.append("c.lwsp ra, ").append(off).append("(sp)\nSAVE ra\n");
        for (int off : LDSP) p.append("c.ldsp t6, ").append(off).append("(sp)\nSAVE t6\n");
        for (int off : LDSP) p.append("c.fldsp ft0, ").append(off).append("(sp)\nfmv.x.d a1, ft0\nSAVE a1\n");
        p.append("c.lw a0, 8(a0)\nSAVE a0\n"); // rd' == rs1'
        var r = runOk(p.append(dataBlock()).toString());
        int k = 0;
        for (int off : LW) assertHex(dataWord(off, 4, true), r.saved(k++), "c.lw " + off);
        for (int off : LD) assertHex(dataWord(off, 8, true), r.saved(k++), "c.ld " + off);
        for (int off : LD) assertHex(dataWord(off, 8, true), r.saved(k++), "c.fld " + off);
        for (int off : LWSP) assertHex(dataWord(off, 4, true), r.saved(k++), "c.lwsp " + off);
        for (int off : LDSP) assertHex(dataWord(off, 8, true), r.saved(k++), "c.ldsp " + off);
        for (int off : LDSP) assertHex(dataWord(off, 8, true), r.saved(k++), "c.fldsp " + off);
        assertHex(dataWord(8, 4, true), r.saved(k), "c.lw a0, 8(a0)");
    }

    static final long STORED = 0x8765_4321_1234_5678L;

    @Test
    void stores() {
        StringBuilder p = new StringBuilder(".option rvc\nla a0, sbuf\nla sp, sbuf\nli t0, 0x2000\ncsrs mstatus, t0\n")
                .append("li a1, ").append(imm(STORED)).append("\nfmv.d.x fa3, a1\nfmv.d.x ft5, a1\nmv t2, a1\n");
        // each store goes to a freshly zeroed dword, read back whole
        for (int off : LW) {
            p.append("sd zero, ").append(off & ~7).append("(a0)\nc.sw a1, ").append(off).append("(a0)\n")
                    .append("ld a2, ").append(off & ~7).append("(a0)\nSAVE a2\n");
        }
        for (int off : LD) {
            p.append("sd zero, ").append(off).append("(a0)\nc.sd a1, ").append(off).append("(a0)\n")
                    .append("ld a2, ").append(off).append("(a0)\nSAVE a2\n");
            p.append("sd zero, ").append(off).append("(a0)\nc.fsd fa3, ").append(off).append("(a0)\n")
                    .append("ld a2, ").append(off).append("(a0)\nSAVE a2\n");
        }
        for (int off : LWSP) {
            p.append("sd zero, ").append(off & ~7).append("(sp)\nc.swsp t2, ").append(off).append("(sp)\n")
                    .append("ld a2, ").append(off & ~7).append("(sp)\nSAVE a2\n");
        }
        for (int off : LDSP) {
            p.append("sd zero, ").append(off).append("(sp)\nc.sdsp t2, ").append(off).append("(sp)\n")
                    .append("ld a2, ").append(off).append("(sp)\nSAVE a2\n");
            p.append("sd zero, ").append(off).append("(sp)\nc.fsdsp ft5, ").append(off).append("(sp)\n")
                    .append("ld a2, ").append(off).append("(sp)\nSAVE a2\n");
        }
        var r = runOk(p.append(dataBlock()).toString());
        int k = 0;
        for (int off : LW) assertHex((STORED & 0xffff_ffffL) << 8 * (off & 7), r.saved(k++), "c.sw " + off);
        for (int off : LD) {
            assertHex(STORED, r.saved(k++), "c.sd " + off);
            assertHex(STORED, r.saved(k++), "c.fsd " + off);
        }
        for (int off : LWSP) assertHex((STORED & 0xffff_ffffL) << 8 * (off & 7), r.saved(k++), "c.swsp " + off);
        for (int off : LDSP) {
            assertHex(STORED, r.saved(k++), "c.sdsp " + off);
            assertHex(STORED, r.saved(k++), "c.fsdsp " + off);
        }
    }

    @Test
    void stackPointerAdjustments() {
        int[] spn = {4, 8, 16, 32, 64, 128, 256, 512, 1020};
        int[] sp16 = {16, 32, 64, 128, 256, 496, -16, -32, -512};
        long base = 0x1000_0000L;
        StringBuilder p = new StringBuilder(".option rvc\n");
        for (int i : spn) p.append("li sp, ").append(base).append("\nc.addi4spn s0, sp, ").append(i).append("\nSAVE s0\n");
        p.append("li sp, ").append(base).append("\nc.addi4spn a5, sp, 1020\nSAVE a5\n");
        for (int i : sp16) p.append("li sp, ").append(base).append("\nc.addi16sp sp, ").append(i).append("\nSAVE sp\n");
        var r = runOk(p.toString());
        int k = 0;
        for (int i : spn) assertHex(base + i, r.saved(k++), "c.addi4spn " + i);
        assertHex(base + 1020, r.saved(k++), "c.addi4spn a5");
        for (int i : sp16) assertHex(base + i, r.saved(k++), "c.addi16sp " + i);
    }

    // ---- quadrant 1 and 2 arithmetic ----

    static final int[] IMM6 = {0, 1, -1, 31, -32, 21, -11};

    @Test
    void loadImmediates() {
        String[] rds = {"a0", "t1", "s9", "ra"};
        int[] luis = {1, 16, 31, 0xfffe0, 0xfffef, 0xfffff};
        StringBuilder p = new StringBuilder(".option rvc\n");
        for (String rd : rds) {
            for (int i : IMM6) p.append("c.li ").append(rd).append(", ").append(i).append("\nSAVE ").append(rd).append('\n');
            for (int i : luis) p.append("c.lui ").append(rd).append(", ").append(i).append("\nSAVE ").append(rd).append('\n');
        }
        var r = runOk(p.toString());
        int k = 0;
        for (String rd : rds) {
            for (int i : IMM6) assertHex(i, r.saved(k++), "c.li " + rd + ", " + i);
            for (int i : luis) assertHex((long) (i << 12), r.saved(k++), "c.lui " + rd + ", " + hex(i));
        }
    }

    @Test
    void immediateArithmetic() {
        int[] shamts = {1, 5, 31, 32, 63};
        int[] addis = {1, -1, 31, -32, 10};
        StringBuilder p = new StringBuilder(".option rvc\n");
        for (long v : VALUES) {
            for (int i : addis) p.append("li t0, ").append(imm(v)).append("\nc.addi t0, ").append(i).append("\nSAVE t0\n");
            for (int i : IMM6) p.append("li a3, ").append(imm(v)).append("\nc.addiw a3, ").append(i).append("\nSAVE a3\n");
            for (int i : IMM6) p.append("li s1, ").append(imm(v)).append("\nc.andi s1, ").append(i).append("\nSAVE s1\n");
            for (int s : shamts) {
                p.append("li a4, ").append(imm(v)).append("\nc.srli a4, ").append(s).append("\nSAVE a4\n")
                        .append("li a4, ").append(imm(v)).append("\nc.srai a4, ").append(s).append("\nSAVE a4\n")
                        .append("li t5, ").append(imm(v)).append("\nc.slli t5, ").append(s).append("\nSAVE t5\n");
            }
        }
        var r = runOk(p.toString());
        int k = 0;
        for (long v : VALUES) {
            for (int i : addis) assertHex(v + i, r.saved(k++), "c.addi " + hex(v) + ", " + i);
            for (int i : IMM6) assertHex(RegOp.ADDW.model.applyAsLong(v, i), r.saved(k++), "c.addiw " + hex(v) + ", " + i);
            for (int i : IMM6) assertHex(v & i, r.saved(k++), "c.andi " + hex(v) + ", " + i);
            for (int s : shamts) {
                assertHex(v >>> s, r.saved(k++), "c.srli " + hex(v) + ", " + s);
                assertHex(v >> s, r.saved(k++), "c.srai " + hex(v) + ", " + s);
                assertHex(v << s, r.saved(k++), "c.slli " + hex(v) + ", " + s);
            }
        }
    }

    @Test
    void registerArithmetic() {
        RegOp[] ops = {RegOp.SUB, RegOp.XOR, RegOp.OR, RegOp.AND, RegOp.SUBW, RegOp.ADDW};
        StringBuilder p = new StringBuilder(".option rvc\n");
        for (RegOp op : ops) {
            for (long a : VALUES) {
                for (long b : VALUES) {
                    p.append("li s0, ").append(imm(a)).append("\nli a5, ").append(imm(b)).append('\n')
                            .append("c.").append(op.name().toLowerCase()).append(" s0, a5\nSAVE s0\n");
                }
            }
        }
        for (long a : VALUES) {
            for (long b : VALUES) {
                p.append("li t0, ").append(imm(a)).append("\nli s4, ").append(imm(b)).append('\n')
                        .append("c.add t0, s4\nSAVE t0\nc.mv t0, s4\nSAVE t0\n");
            }
        }
        p.append("li a2, 21\nc.add a2, a2\nSAVE a2\nc.sub a2, a2\nSAVE a2\n");
        var r = runOk(p.toString());
        int k = 0;
        for (RegOp op : ops) {
            for (long a : VALUES) {
                for (long b : VALUES) {
                    assertHex(op.model.applyAsLong(a, b), r.saved(k++), "c." + op.name().toLowerCase() + " " + hex(a) + ", " + hex(b));
                }
            }
        }
        for (long a : VALUES) {
            for (long b : VALUES) {
                assertHex(a + b, r.saved(k++), "c.add " + hex(a) + ", " + hex(b));
                assertHex(b, r.saved(k++), "c.mv " + hex(b));
            }
        }
        assertHex(42, r.saved(k++), "c.add a2, a2");
        assertHex(0, r.saved(k), "c.sub a2, a2");
    }

    // ---- control transfer ----

    @Test
    void branchesTakenAndNotTaken() {
        long[] vs = {0, 1, -1, Long.MIN_VALUE, 0x1_0000_0000L};
        StringBuilder p = new StringBuilder(".option rvc\n");
        for (long v : vs) {
            p.append("li a0, ").append(imm(v)).append('\n')
                    .append("li a2, 1\nc.beqz a0, 1f\nli a2, 0\n1: SAVE a2\n")
                    .append("li a2, 1\nc.bnez a0, 1f\nli a2, 0\n1: SAVE a2\n")
                    // backward
                    .append("c.j 2f\n1: li a2, 1\nc.j 3f\n2: li a2, 0\nc.beqz a0, 1b\n3: SAVE a2\n")
                    .append("c.j 2f\n1: li a2, 1\nc.j 3f\n2: li a2, 0\nc.bnez a0, 1b\n3: SAVE a2\n");
        }
        var r = runOk(p.toString());
        int k = 0;
        for (long v : vs) {
            assertEquals(v == 0 ? 1 : 0, r.saved(k++), "c.beqz " + hex(v));
            assertEquals(v != 0 ? 1 : 0, r.saved(k++), "c.bnez " + hex(v));
            assertEquals(v == 0 ? 1 : 0, r.saved(k++), "c.beqz backward " + hex(v));
            assertEquals(v != 0 ? 1 : 0, r.saved(k++), "c.bnez backward " + hex(v));
        }
    }

    @Test
    void jumpsAtTheEndsOfTheirRanges() {
        // c.j: -2048..+2046; c.beqz/c.bnez: -256..+254. The zero padding is never executed.
        var r = runOk("""
                .option rvc
                .option norelax
                li s0, 0
            j0: c.j jfwd
                .space j0 + 2046 - .
            jfwd:
                c.addi s0, 1
                c.j jback_src
            jback_dst:
                c.addi s0, 10
                c.j branches
                .space jback_dst + 2048 - .
            jback_src:
                c.j jback_dst
            branches:
                SAVE s0
                li s1, 0
            b0: c.beqz s1, bfwd
                .space b0 + 254 - .
            bfwd:
                c.addi s1, 1
                c.j bback_src
            bback_dst:
                c.addi s1, 10
                c.j done
                .space bback_dst + 256 - .
            bback_src:
                c.bnez s1, bback_dst
            done:
                SAVE s1
                """);
        assertHex(11, r.saved(0), "c.j +2046 and -2048");
        assertHex(11, r.saved(1), "c.beqz +254 and c.bnez -256");
    }

    @Test
    void registerJumps() {
        var r = runOk("""
                .option rvc
                la a0, t1
                c.jalr a0
            back1:
                la ra, t2
                c.jalr ra               # rs1 == ra: jumps to the old ra, then links
            back2:
                la a3, t3
                c.jr a3
            back3:
                j done
                .balign 4
                c.nop
            t1: SAVE ra                 # t1 is 2 mod 4
                la a1, back1
                SAVE a1
                c.jr ra
            t2: SAVE ra
                la a1, back2
                SAVE a1
                ret
            t3: li a1, 0x33
                SAVE a1
                c.j back3
            done:
                la a1, t1
                SAVE a1
                """);
        assertHex(r.saved(1), r.saved(0), "c.jalr links pc + 2");
        assertHex(r.saved(3), r.saved(2), "c.jalr ra");
        assertHex(0x33, r.saved(4), "c.jr");
        assertEquals(2, r.saved(5) & 3, "t1 is only 2-byte aligned");
    }

    @Test
    void ebreakAndNop() {
        var r = runOk("""
                .option rvc
                RECORD_TRAPS
                li a0, 5
                c.nop
                la a5, 1f
                SAVE a5
            1:  c.ebreak
                SAVE a0
                """);
        long pc = r.saved(0);
        IsaTesting.Trap t = r.trap(1);
        assertEquals(3, t.cause(), "c.ebreak: breakpoint");
        assertHex(pc, t.epc(), "mepc");
        assertTrue(t.tval() == 0 || t.tval() == pc, "mtval is 0 or the pc: " + hex(t.tval()));
        assertHex(5, r.saved(4), "resumed after the 2-byte c.ebreak");
    }

    @Test
    void instructionSharingBytesWithAnother() {
        // 0x45150593 is addi a1, a0, 0x451; its upper half 0x4515 is c.li a0, 5. The decode cache
        // keeps one slot per halfword, so both readings must work.
        var r = runOk("""
                .option rvc
                li s1, 0
                li a0, 0x100
                la a2, 1f
            1:  .word 0x45150593
                SAVE a1
                SAVE a0
                bnez s1, 2f
                li s1, 1
                addi a2, a2, 2
                jr a2
            2:
                """);
        assertHex(0x551, r.saved(0), "addi a1, a0, 0x451");
        assertHex(0x100, r.saved(1), "a0 before");
        assertHex(0x551, r.saved(2), "a1 unchanged by c.li");
        assertHex(5, r.saved(3), "c.li a0, 5 from the upper half");
    }

    @Test
    void thirtyTwoBitInstructionAcrossAPageBoundary() {
        var r = runOk("""
                .option rvc
                .option norelax
                li a1, 0
                li a2, 3
                j cross
                .balign 4096
                .space 4094
            cross:
                .option norvc
                addi a1, a1, 100        # bytes 0xffe..0x1001
                .option rvc
                c.addi a2, -1
                c.bnez a2, cross
                SAVE a1
                la a3, cross
                SAVE a3
                """);
        assertHex(300, r.saved(0), "executed three times");
        assertHex(0xffe, r.saved(1) & 0xfff, "placement");
    }

    // ---- HINTs and reserved encodings ----

    @Test
    void hintsExecuteAsNoOps() {
        int[] hints = {
            0x0015, // c.nop with imm 5
            0x0501, // c.addi a0, 0
            0x4015, // c.li x0, 5
            0x6005, // c.lui x0, 1
            0x802a, // c.mv x0, a0
            0x902a, // c.add x0, a0
            0x0006, // c.slli x0, 1
            0x0502, // c.slli a0, 0
            0x8101, // c.srli a0, 0
            0x8501, // c.srai a0, 0
        };
        StringBuilder p = new StringBuilder(".option rvc\nli a0, 0x1234\n");
        for (int h : hints) p.append(".half ").append(hex(h)).append("\nSAVE a0\nSAVE zero\n");
        var r = runOk(p.toString());
        for (int k = 0; k < hints.length; k++) {
            assertHex(0x1234, r.saved(2 * k), "a0 after HINT " + hex(hints[k]));
            assertHex(0, r.saved(2 * k + 1), "x0 after HINT " + hex(hints[k]));
        }
    }

    @Test
    void reservedEncodingsAreIllegal() {
        int[] reserved = {
            0x0000, // all zeros: defined illegal
            0x001c, // c.addi4spn a5, sp, 0
            0x0004, // c.addi4spn s1, sp, 0
            0x4002, // c.lwsp x0, 0(sp)
            0x507e, // c.lwsp x0 with every offset bit set
            0x6002, // c.ldsp x0, 0(sp)
            0x707e, // c.ldsp x0 with every offset bit set
            0x8002, // c.jr x0
            0x2001, // c.addiw x0, 0
            0x2005, // c.addiw x0, 1
            0x3001, // c.addiw x0, -32
            0x6501, // c.lui a0, 0
            0x6001, // c.lui x0, 0
            0x6101, // c.addi16sp sp, 0
            0x8000, // quadrant 0, funct3 = 4
            0x9ffc, // quadrant 0, funct3 = 4, other bits set
            0x9c41, // c.subw/c.addw group, funct2 = 2
            0x9c61, // funct2 = 3
            0x9fdd, // funct2 = 2 with rd' = rs2' = a5
            0x9ffd, // funct2 = 3 with rd' = rs2' = a5
        };
        StringBuilder p = new StringBuilder(".option rvc\nRECORD_TRAPS\n");
        for (int c : reserved) p.append("la a5, 1f\nSAVE a5\n1: .half ").append(hex(c)).append('\n');
        p.append("li a0, 1\n"); // execution resumed after the last one
        var r = runOk(p.toString());
        for (int k = 0; k < reserved.length; k++) {
            long pc = r.saved(4 * k);
            IsaTesting.Trap t = r.trap(4 * k + 1);
            String what = "reserved " + hex(reserved[k]);
            assertEquals(2, t.cause(), what + ": illegal instruction");
            assertHex(reserved[k], t.tval(), what + ": mtval");
            assertHex(pc, t.epc(), what + ": mepc");
        }
        assertEquals(4 * reserved.length, r.saved().length, "one trap each");
    }

    @Test
    void floatingPointFormsAreIllegalWithFpuOff() {
        // mstatus.FS = Off (the reset value) disables c.fld/c.fsd/c.fldsp/c.fsdsp too.
        var r = runOk("""
                .option rvc
                RECORD_TRAPS
                li t0, 0x6000
                csrc mstatus, t0
                la a0, 2f
                la sp, 2f
                la a5, 1f
                SAVE a5
            1:  c.fld fa0, 8(a0)
                c.fsd fa0, 8(a0)
                c.fldsp fa0, 16(sp)
                c.fsdsp fa0, 16(sp)
                .pushsection .data
                .balign 8
            2:  .space 32
                .popsection
                """);
        long pc = r.saved(0);
        String[] names = {"c.fld", "c.fsd", "c.fldsp", "c.fsdsp"};
        int[] encodings = {0x2508, 0xa508, 0x2542, 0xa82a};
        for (int k = 0; k < 4; k++) {
            IsaTesting.Trap t = r.trap(1 + 3 * k);
            assertEquals(2, t.cause(), names[k] + " with FS = Off");
            assertHex(pc + 2 * k, t.epc(), names[k] + ": mepc");
            assertHex(encodings[k], t.tval(), names[k] + ": mtval");
        }
    }
}
