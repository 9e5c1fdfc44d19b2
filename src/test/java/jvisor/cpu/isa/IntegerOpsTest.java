package jvisor.cpu.isa;

import static jvisor.cpu.isa.IsaTesting.assertHex;
import static jvisor.cpu.isa.IsaTesting.hex;
import static jvisor.cpu.isa.IsaTesting.imm;
import static jvisor.cpu.isa.IsaTesting.runOk;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.LongBinaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * RV64I computational instructions, lui/auipc, jal/jalr and branches against a reference model
 * written from the unprivileged spec (chapter "RV64I Base Integer Instruction Set"). Every
 * register-register op also runs with its destination aliasing each source.
 */
class IntegerOpsTest {
    /** Operands: zero, ±1, and the 32- and 64-bit signed/unsigned boundaries. */
    static final long[] VALUES = {
        0, 1, -1, 2, -2, Long.MAX_VALUE, Long.MIN_VALUE, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL,
        0xffff_ffff_8000_0000L, 0x1_0000_0000L, 0x1234_5678_9abc_def0L, 0xfedc_ba98_7654_3210L,
        0x0000_0000_ffff_0000L,
    };

    /** Shift amounts: only the low 6 (W forms: 5) bits count. */
    static final long[] SHIFTS = {0, 1, 5, 31, 32, 33, 63, 64, 95, -1, 0x7fff_ffff_ffff_ffe0L};

    static final int[] IMMEDIATES = {0, 1, -1, 2047, -2048, 0x555, -0x556, 16};

    static long sext32(long v) { return (long) (int) v; }

    /** Register-register ops; W forms operate on the low 32 bits and sign-extend the result. */
    enum RegOp {
        ADD((a, b) -> a + b),
        SUB((a, b) -> a - b),
        SLL((a, b) -> a << (b & 63)),
        SLT((a, b) -> a < b ? 1 : 0),
        SLTU((a, b) -> Long.compareUnsigned(a, b) < 0 ? 1 : 0),
        XOR((a, b) -> a ^ b),
        SRL((a, b) -> a >>> (b & 63)),
        SRA((a, b) -> a >> (b & 63)),
        OR((a, b) -> a | b),
        AND((a, b) -> a & b),
        ADDW((a, b) -> sext32(a + b)),
        SUBW((a, b) -> sext32(a - b)),
        SLLW((a, b) -> sext32((a & 0xffff_ffffL) << (b & 31))),
        SRLW((a, b) -> sext32((a & 0xffff_ffffL) >>> (b & 31))),
        SRAW((a, b) -> sext32(sext32(a) >> (b & 31)));

        final LongBinaryOperator model;

        RegOp(LongBinaryOperator model) { this.model = model; }

        boolean isShift() { return java.util.Set.of("SLL", "SRL", "SRA", "SLLW", "SRLW", "SRAW").contains(name()); }
    }

    @ParameterizedTest
    @EnumSource(RegOp.class)
    void registerRegister(RegOp op) {
        long[] bs = op.isShift() ? SHIFTS : VALUES;
        String mn = op.name().toLowerCase();
        StringBuilder p = new StringBuilder(".option norvc\n");
        for (long a : VALUES) {
            for (long b : bs) {
                // rd distinct, rd == rs1, rd == rs2
                p.append("li a0, ").append(imm(a)).append("\nli a1, ").append(imm(b)).append('\n')
                        .append(mn).append(" a2, a0, a1\nSAVE a2\n")
                        .append(mn).append(" a0, a0, a1\nSAVE a0\n")
                        .append("li a0, ").append(imm(a)).append('\n')
                        .append(mn).append(" a1, a0, a1\nSAVE a1\n");
            }
        }
        var r = runOk(p.toString());
        int k = 0;
        for (long a : VALUES) {
            for (long b : bs) {
                long want = op.model.applyAsLong(a, b);
                String what = mn + " " + hex(a) + ", " + hex(b);
                assertHex(want, r.saved(k++), what);
                assertHex(want, r.saved(k++), what + " (rd = rs1)");
                assertHex(want, r.saved(k++), what + " (rd = rs2)");
            }
        }
    }

    @ParameterizedTest
    @EnumSource(RegOp.class)
    void sameSourceTwice(RegOp op) {
        String mn = op.name().toLowerCase();
        StringBuilder p = new StringBuilder(".option norvc\n");
        for (long a : VALUES) p.append("li a0, ").append(imm(a)).append('\n').append(mn).append(" a0, a0, a0\nSAVE a0\n");
        var r = runOk(p.toString());
        for (int k = 0; k < VALUES.length; k++) {
            assertHex(op.model.applyAsLong(VALUES[k], VALUES[k]), r.saved(k), mn + " x, x with x = " + hex(VALUES[k]));
        }
    }

    /** Register-immediate ops; the 12-bit immediate is sign-extended, shift amounts are not. */
    enum ImmOp {
        ADDI(RegOp.ADD, false), SLTI(RegOp.SLT, false), SLTIU(RegOp.SLTU, false),
        XORI(RegOp.XOR, false), ORI(RegOp.OR, false), ANDI(RegOp.AND, false),
        SLLI(RegOp.SLL, true), SRLI(RegOp.SRL, true), SRAI(RegOp.SRA, true),
        ADDIW(RegOp.ADDW, false), SLLIW(RegOp.SLLW, true), SRLIW(RegOp.SRLW, true), SRAIW(RegOp.SRAW, true);

        final RegOp base;
        final boolean shift;

        ImmOp(RegOp base, boolean shift) { this.base = base; this.shift = shift; }

        int[] immediates() {
            if (!shift) return IMMEDIATES;
            return name().endsWith("W") ? new int[] {0, 1, 5, 16, 31} : new int[] {0, 1, 5, 31, 32, 33, 63};
        }
    }

    @ParameterizedTest
    @EnumSource(ImmOp.class)
    void registerImmediate(ImmOp op) {
        String mn = op.name().toLowerCase();
        StringBuilder p = new StringBuilder(".option norvc\n");
        for (long a : VALUES) {
            for (int i : op.immediates()) {
                p.append("li a0, ").append(imm(a)).append('\n')
                        .append(mn).append(" a2, a0, ").append(i).append("\nSAVE a2\n")
                        .append(mn).append(" a0, a0, ").append(i).append("\nSAVE a0\n");
            }
        }
        var r = runOk(p.toString());
        int k = 0;
        for (long a : VALUES) {
            for (int i : op.immediates()) {
                long want = op.base.model.applyAsLong(a, i);
                assertHex(want, r.saved(k++), mn + " " + hex(a) + ", " + i);
                assertHex(want, r.saved(k++), mn + " " + hex(a) + ", " + i + " (rd = rs1)");
            }
        }
    }

    @Test
    void shiftEdgeCasesSpelledOut() {
        // A few results written out by hand so the model above is not the only witness.
        var r = runOk("""
                .option norvc
                li a0, 0x80000000
                sllw a1, a0, zero      # 0x80000000 << 0 sign-extends
                SAVE a1
                li a0, 0xffffffff80000000
                srliw a1, a0, 31       # logical on the low word: 1
                SAVE a1
                srliw a1, a0, 0        # shift by 0 still sign-extends bit 31
                SAVE a1
                li a0, 0x00000000ffffffff
                sraiw a1, a0, 31       # -1
                SAVE a1
                li a0, 1
                slliw a1, a0, 31       # 0xffffffff80000000
                SAVE a1
                li a2, 32
                sllw a1, a0, a2        # shift amount 32 is 0 for W forms: 1
                SAVE a1
                sll a1, a0, a2         # 1 << 32
                SAVE a1
                li a2, 63
                sll a1, a0, a2
                SAVE a1
                li a0, 0x8000000000000000
                sra a1, a0, a2         # -1
                SAVE a1
                srl a1, a0, a2         # 1
                SAVE a1
                li a2, 64              # 64 is 0 for 64-bit shifts
                srl a1, a0, a2
                SAVE a1
                li a0, 0x7fffffff
                addiw a1, a0, 1        # 32-bit overflow wraps and sign-extends
                SAVE a1
                li a0, 0x123456789
                addiw a1, a0, 0        # sext.w
                SAVE a1
                li a0, -1
                sltiu a1, a0, -1       # -1 <u 0xffff...ffff is false
                SAVE a1
                li a0, 0
                sltiu a1, a0, 1        # seqz
                SAVE a1
                li a0, -1
                sltu a1, zero, a0      # snez
                SAVE a1
                li a0, 0x5555555555555555
                xori a1, a0, -1        # not
                SAVE a1
                andi a1, a0, -2048     # immediate sign-extends to 0xffff...f800
                SAVE a1
                """);
        long[] want = {
            0xffff_ffff_8000_0000L, 1, 0xffff_ffff_8000_0000L, -1, 0xffff_ffff_8000_0000L, 1, 1L << 32,
            Long.MIN_VALUE, -1, 1, Long.MIN_VALUE, 0xffff_ffff_8000_0000L, 0x2345_6789L, 0, 1, 1,
            0xaaaa_aaaa_aaaa_aaaaL, 0x5555_5555_5555_5000L,
        };
        for (int k = 0; k < want.length; k++) assertHex(want[k], r.saved(k), "case " + k);
    }

    @Test
    void luiAndAuipc() {
        var r = runOk("""
                .option norvc
                lui a0, 0x80000
                SAVE a0
                lui a0, 0x7ffff
                SAVE a0
                lui a0, 0xfffff
                SAVE a0
                lui a0, 1
                SAVE a0
                lui a0, 0
                SAVE a0
                1: auipc a0, 0
                la a1, 1b
                SAVE a0
                SAVE a1
                2: auipc a0, 0x80000
                la a1, 2b
                sub a0, a0, a1
                SAVE a0
                3: auipc a0, 0x7ffff
                la a1, 3b
                sub a0, a0, a1
                SAVE a0
                4: auipc a0, 0xfffff
                la a1, 4b
                sub a0, a0, a1
                SAVE a0
                """);
        assertHex(0xffff_ffff_8000_0000L, r.saved(0), "lui 0x80000 sign-extends");
        assertHex(0x7fff_f000L, r.saved(1), "lui 0x7ffff");
        assertHex(0xffff_ffff_ffff_f000L, r.saved(2), "lui 0xfffff");
        assertHex(0x1000, r.saved(3), "lui 1");
        assertHex(0, r.saved(4), "lui 0");
        assertHex(r.saved(6), r.saved(5), "auipc 0 gives its own address");
        assertHex(-0x8000_0000L, r.saved(7), "auipc 0x80000 offset");
        assertHex(0x7fff_f000L, r.saved(8), "auipc 0x7ffff offset");
        assertHex(-0x1000L, r.saved(9), "auipc 0xfffff offset");
    }

    @Test
    void jumpAndLink() {
        var r = runOk("""
                .option norvc
                jal ra, 1f
            back1:
                li a0, 0x111
                SAVE a0
                j 2f
            1:  SAVE ra               # link of jal
                la a0, back1
                SAVE a0
                jr ra                 # jalr x0, 0(ra)
            2:
                la a0, t1
                jalr ra, 0(a0)
            back2:
                la a0, t2
                addi a0, a0, 1        # odd target: jalr clears bit 0
                jalr ra, 0(a0)
            back3:
                la a0, t3 - 1
                jalr ra, 1(a0)        # t3 - 1 + 1 = t3, even: no change needed
            back4:
                la a0, t4
                addi a0, a0, -2047
                jalr ra, 2047(a0)     # largest positive offset
            back5:
                la a0, t5
                addi a0, a0, 2047
                addi a0, a0, 1
                jalr ra, -2048(a0)    # most negative offset
            back6:
                la ra, t6
                jalr ra, 0(ra)        # rd == rs1: the target uses the old value
            back7:
                la a0, t7
                addi a0, a0, 3
                jalr zero, 2(a0)      # t7 + 5: bit 0 of the sum is cleared, giving t7 + 4
            back8:
                j done
            t1: SAVE ra
                la a1, back2
                SAVE a1
                jr ra
            t2: SAVE ra
                la a1, back3
                SAVE a1
                jr ra
            t3: SAVE ra
                jr ra
            t4: SAVE ra
                jr ra
            t5: SAVE ra
                jr ra
            t6: SAVE ra
                la a1, back7
                SAVE a1
                jr ra
            t7: .word 0               # illegal: the jalr lands after it
                li a0, 0x777
                SAVE a0
                j back8
            done:
                la a0, back4
                SAVE a0
                la a0, back5
                SAVE a0
                la a0, back6
                SAVE a0
                """);
        int k = 0;
        assertHex(r.saved(k + 1), r.saved(k), "jal link = next instruction");
        k += 2;
        assertHex(0x111, r.saved(k++), "jr ra returned");
        assertHex(r.saved(k + 1), r.saved(k), "jalr link");
        k += 2;
        assertHex(r.saved(k + 1), r.saved(k), "jalr to odd address: link");
        k += 2;
        long back4 = r.saved(k++); // t3's ra
        long back5 = r.saved(k++); // t4's ra
        long back6 = r.saved(k++); // t5's ra
        assertHex(r.saved(k + 1), r.saved(k), "jalr ra, 0(ra) link");
        k += 2;
        assertHex(0x777, r.saved(k++), "jalr with bit 0 set landed on t7 + 4");
        assertHex(r.saved(k++), back4, "jalr 1(rs1) reached t3");
        assertHex(r.saved(k++), back5, "jalr 2047(rs1)");
        assertHex(r.saved(k++), back6, "jalr -2048(rs1)");
    }

    @Test
    void farJumps() {
        // Branches reach -4096..+4094 and jal -1 MiB..+1 MiB-2; in 4-byte code the largest
        // forward offsets are 4092 and 0xffffc. The zero padding (illegal) is never executed.
        var r = runOk("""
                .option norvc
                .option norelax
                li a0, 0
            b0: beq zero, zero, br_fwd
                .space b0 + 4092 - .
            br_fwd:
                addi a0, a0, 1
                j br_back_src
            br_back_dst:
                addi a0, a0, 10
                j jumps
                .space br_back_dst + 4096 - .
            br_back_src:
                bne a0, zero, br_back_dst
            jumps:
                SAVE a0
                li s0, 0
            j0: jal ra, far_fwd        # +0xffffc
            ret1:
                SAVE s0
                la a1, ret1
                SAVE a1
                j done
                .space j0 + 0xffffc - .
            far_fwd:
                mv s0, ra
                nop
                jal zero, ret1         # ret1 - 0x100000
            done:
                """);
        assertHex(11, r.saved(0), "branches at +4092 and -4096");
        assertHex(r.saved(2), r.saved(1), "jal +0xffffc then jal -0x100000");
    }

    enum Branch {
        BEQ((a, b) -> a == b), BNE((a, b) -> a != b), BLT((a, b) -> a < b), BGE((a, b) -> a >= b),
        BLTU((a, b) -> Long.compareUnsigned(a, b) < 0), BGEU((a, b) -> Long.compareUnsigned(a, b) >= 0);

        interface Condition { boolean test(long a, long b); }

        final Condition taken;

        Branch(Condition taken) { this.taken = taken; }
    }

    @ParameterizedTest
    @EnumSource(Branch.class)
    void branches(Branch op) {
        String mn = op.name().toLowerCase();
        StringBuilder p = new StringBuilder(".option norvc\n");
        for (long a : VALUES) {
            for (long b : VALUES) {
                p.append("li a0, ").append(imm(a)).append("\nli a1, ").append(imm(b)).append('\n')
                        // forward
                        .append("li a2, 1\n").append(mn).append(" a0, a1, 1f\nli a2, 0\n1: SAVE a2\n")
                        // backward
                        .append("j 2f\n1: li a2, 1\nj 3f\n2: li a2, 0\n")
                        .append(mn).append(" a0, a1, 1b\n3: SAVE a2\n");
            }
        }
        var r = runOk(p.toString());
        int k = 0;
        for (long a : VALUES) {
            for (long b : VALUES) {
                long want = op.taken.test(a, b) ? 1 : 0;
                assertEquals(want, r.saved(k++), mn + " " + hex(a) + ", " + hex(b) + " forward");
                assertEquals(want, r.saved(k++), mn + " " + hex(a) + ", " + hex(b) + " backward");
            }
        }
    }

    @Test
    void x0StaysZero() {
        var r = runOk("""
                .option norvc
                li a0, 0x2000
                csrs mstatus, a0           # FS = initial, for fmv.x.d
                la a1, data
                li a0, -7
                add zero, a0, a0
                addi zero, a0, 1
                addiw zero, a0, 1
                slli zero, a0, 3
                sub zero, zero, a0
                lui zero, 0x12345
                auipc zero, 1
                lb zero, 0(a1)
                lh zero, 0(a1)
                lw zero, 0(a1)
                ld zero, 0(a1)
                lbu zero, 0(a1)
                lhu zero, 0(a1)
                lwu zero, 0(a1)
                mul zero, a0, a0
                div zero, a0, a0
                remuw zero, a0, a0
                csrr zero, mscratch
                csrrw zero, mscratch, a0
                csrrsi zero, mscratch, 3
                lr.d zero, (a1)
                sc.d zero, a0, (a1)
                amoadd.d zero, a0, (a1)
                lr.w zero, (a1)
                amoswap.w zero, a0, (a1)
                fmv.d.x fa0, a0
                fmv.x.d zero, fa0
                feq.d zero, fa0, fa0
                fcvt.l.d zero, fa0
                jal zero, 1f
            1:  la a2, 2f
                jalr zero, 0(a2)
            2:  SAVE zero
                add a3, zero, zero
                SAVE a3
                mv a3, zero
                SAVE a3
                ld a3, 0(a1)
                SAVE a3
                .pushsection .data
                .align 3
            data: .dword 0x0123456789abcdef
                .popsection
                """);
        assertHex(0, r.x(0), "x0 after writes");
        assertHex(0, r.saved(0), "x0 stored");
        assertHex(0, r.saved(1), "x0 + x0");
        assertHex(0, r.saved(2), "mv from x0");
        // sc.d (after lr.d) stored -7, amoadd.d made it -14, amoswap.w put -7 in the low word
        assertHex(0xffff_ffff_ffff_fff9L, r.saved(3), "memory after SC and AMOs with rd = x0");
    }

    @Test
    void loadToX0StillFaults() {
        var r = IsaTesting.run("""
                li a0, 0x10
                lw zero, 0(a0)          # nothing at 0x10: load access fault
                """);
        assertEquals(0x400 + 5, r.status(), "load access fault");
        assertHex(0x10, r.x(IsaTesting.T5), "mtval");
    }
}
