package jvisor.cpu.isa;

import static jvisor.cpu.isa.IsaTesting.assertHex;
import static jvisor.cpu.isa.IsaTesting.hex;
import static jvisor.cpu.isa.IsaTesting.imm;
import static jvisor.cpu.isa.IsaTesting.runOk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.function.LongBinaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The A extension: every AMO in both widths (rd gets the old value, sign-extended for .w; a .w
 * leaves the neighbouring word alone), LR/SC success and failure, and misaligned addresses.
 */
class AtomicsTest {
    static final long[] VALUES = {
        0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, 0x7fff_ffffL, 0x8000_0000L, 0xffff_ffffL, 0x1_0000_0000L,
        0x1234_5678_9abc_def0L, 0xfedc_ba98_7654_3210L,
    };

    /** Upper word kept next to a .w operand, to see that the AMO leaves it alone. */
    static final long GUARD = 0x5a5a_5a5aL;

    enum Amo {
        AMOSWAP((m, s) -> s), AMOADD((m, s) -> m + s), AMOXOR((m, s) -> m ^ s), AMOAND((m, s) -> m & s),
        AMOOR((m, s) -> m | s), AMOMIN(Math::min), AMOMAX(Math::max),
        AMOMINU((m, s) -> Long.compareUnsigned(m, s) <= 0 ? m : s),
        AMOMAXU((m, s) -> Long.compareUnsigned(m, s) >= 0 ? m : s);

        /** New memory value from old memory and rs2, on 64-bit operands. */
        final LongBinaryOperator model;

        Amo(LongBinaryOperator model) { this.model = model; }

        /** The .w form: 32-bit operands, compared as signed or unsigned 32-bit numbers. */
        long modelW(long mem, long src) {
            boolean unsigned = this == AMOMINU || this == AMOMAXU;
            long m = unsigned ? mem & 0xffff_ffffL : (int) mem, s = unsigned ? src & 0xffff_ffffL : (int) src;
            return model.applyAsLong(m, s) & 0xffff_ffffL;
        }
    }

    @ParameterizedTest
    @EnumSource(Amo.class)
    void amoDouble(Amo op) {
        String mn = op.name().toLowerCase() + ".d";
        StringBuilder p = new StringBuilder(".option norvc\nla a0, slot\n");
        for (long m : VALUES) {
            for (long s : VALUES) {
                p.append("li a3, ").append(imm(m)).append("\nli a1, ").append(imm(s)).append('\n')
                        .append("sd a3, 0(a0)\n").append(mn).append(" a2, a1, (a0)\nSAVE a2\nld a4, 0(a0)\nSAVE a4\n")
                        // rd == rs2
                        .append("sd a3, 0(a0)\n").append(mn).append(" a1, a1, (a0)\nSAVE a1\nld a4, 0(a0)\nSAVE a4\n");
            }
        }
        p.append(".pushsection .data\n.balign 8\nslot: .dword 0\n.popsection\n");
        var r = runOk(p.toString());
        int k = 0;
        for (long m : VALUES) {
            for (long s : VALUES) {
                String what = mn + " mem=" + hex(m) + " rs2=" + hex(s);
                for (String alias : new String[] {"", " (rd = rs2)"}) {
                    assertHex(m, r.saved(k++), what + alias + ": rd");
                    assertHex(op.model.applyAsLong(m, s), r.saved(k++), what + alias + ": memory");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Amo.class)
    void amoWord(Amo op) {
        String mn = op.name().toLowerCase() + ".w";
        StringBuilder p = new StringBuilder(".option norvc\nla a0, slot\n");
        for (long m : VALUES) {
            for (long s : VALUES) {
                long init = GUARD << 32 | m & 0xffff_ffffL;
                p.append("li a3, ").append(imm(init)).append("\nli a1, ").append(imm(s)).append('\n')
                        .append("sd a3, 0(a0)\n").append(mn).append(" a2, a1, (a0)\nSAVE a2\nld a4, 0(a0)\nSAVE a4\n")
                        .append("sd a3, 0(a0)\n").append(mn).append(" a1, a1, (a0)\nSAVE a1\nld a4, 0(a0)\nSAVE a4\n");
            }
        }
        p.append(".pushsection .data\n.balign 8\nslot: .dword 0\n.popsection\n");
        var r = runOk(p.toString());
        int k = 0;
        for (long m : VALUES) {
            for (long s : VALUES) {
                String what = mn + " mem=" + hex(m & 0xffff_ffffL) + " rs2=" + hex(s);
                for (String alias : new String[] {"", " (rd = rs2)"}) {
                    assertHex((int) m, r.saved(k++), what + alias + ": rd (sign-extended)");
                    assertHex(GUARD << 32 | op.modelW(m, s), r.saved(k++), what + alias + ": memory");
                }
            }
        }
    }

    @Test
    void amoOnTheUpperWordAndOrderingBits() {
        var r = runOk("""
                .option norvc
                la a0, slot
                li a1, 0x0000000100000002
                sd a1, 0(a0)
                addi a5, a0, 4
                li a1, 0x10
                amoadd.w.aqrl a2, a1, (a5)      # upper word: 1 + 0x10
                SAVE a2
                ld a2, 0(a0)
                SAVE a2
                amoor.d.aq a2, a1, (a0)
                SAVE a2
                amoxor.w.rl a2, a1, (a0)
                SAVE a2
                ld a2, 0(a0)
                SAVE a2
                amoswap.d a0, a1, (a0)          # rd == rs1
                SAVE a0
                la a0, slot
                ld a2, 0(a0)
                SAVE a2
                .pushsection .data
                .balign 8
            slot: .dword 0
                .popsection
                """);
        assertHex(1, r.saved(0), "amoadd.w at +4: old upper word");
        assertHex(0x11_0000_0002L, r.saved(1), "after amoadd.w at +4");
        assertHex(0x11_0000_0002L, r.saved(2), "amoor.d.aq old");
        assertHex(0x12, r.saved(3), "amoxor.w.rl old (low word; amoor.d set bit 4)");
        assertHex(0x11_0000_0002L, r.saved(4), "after amoxor.w.rl");
        assertHex(0x11_0000_0002L, r.saved(5), "amoswap.d with rd == rs1: old value");
        assertHex(0x10, r.saved(6), "amoswap.d with rd == rs1: memory");
    }

    @Test
    void loadReservedStoreConditional() {
        var r = runOk("""
                .option norvc
                la a0, slot
                la a5, other
                li a1, 0x1111111180000001
                sd a1, 0(a0)
                li a1, 0x2222222222222222
                sd a1, 0(a5)

                # 1. lr.w sign-extends; sc.w succeeds (0) and writes only the low word
                lr.w a2, (a0)
                SAVE a2
                li a3, 0x77777777
                sc.w a4, a3, (a0)
                SAVE a4
                ld a2, 0(a0)
                SAVE a2

                # 2. a second sc.w without a new lr fails (the first one used the reservation)
                li a3, 0x12345678
                sc.w a4, a3, (a0)
                SAVE a4
                ld a2, 0(a0)
                SAVE a2

                # 3. lr.d / sc.d success
                lr.d a2, (a0)
                SAVE a2
                li a3, 0x0123456789abcdef
                sc.d a4, a3, (a0)
                SAVE a4
                ld a2, 0(a0)
                SAVE a2

                # 4. an intervening store of a different value to the reserved address: sc fails
                lr.d a2, (a0)
                li a3, 0x5555
                sd a3, 0(a0)
                li a3, 0x6666
                sc.d a4, a3, (a0)
                SAVE a4
                ld a2, 0(a0)
                SAVE a2

                # 5. sc to a different address than the lr fails and leaves both alone,
                #    and the failed sc also ends the reservation on the first address
                lr.d a2, (a0)
                li a3, 0x7777
                sc.d a4, a3, (a5)
                SAVE a4
                ld a2, 0(a5)
                SAVE a2
                sc.d a4, a3, (a0)
                SAVE a4
                ld a2, 0(a0)
                SAVE a2

                # 6. the usual retry loop: atomic increment
                li a6, 0
            1:  lr.d a2, (a0)
                addi a2, a2, 1
                sc.d a4, a2, (a0)
                addi a6, a6, 1
                bnez a4, 1b
                ld a2, 0(a0)
                SAVE a2

                # 7. rd == rs2 on sc and rd == rs1 on lr
                lr.d a1, (a0)
                li a1, 0x99
                sc.d a1, a1, (a0)
                SAVE a1
                ld a2, 0(a0)
                SAVE a2
                mv a1, a0
                lr.d a1, (a1)
                SAVE a1
                .pushsection .data
                .balign 8
            slot: .dword 0
            other: .dword 0
                .popsection
                """);
        int k = 0;
        assertHex(0xffff_ffff_8000_0001L, r.saved(k++), "lr.w sign-extends");
        assertHex(0, r.saved(k++), "sc.w after lr.w succeeds");
        assertHex(0x1111_1111_7777_7777L, r.saved(k++), "sc.w wrote the low word only");
        assertNotEquals(0, r.saved(k++), "second sc.w fails");
        assertHex(0x1111_1111_7777_7777L, r.saved(k++), "failed sc.w wrote nothing");
        assertHex(0x1111_1111_7777_7777L, r.saved(k++), "lr.d");
        assertHex(0, r.saved(k++), "sc.d after lr.d succeeds");
        assertHex(0x0123_4567_89ab_cdefL, r.saved(k++), "sc.d stored");
        assertNotEquals(0, r.saved(k++), "sc.d after an intervening store fails");
        assertHex(0x5555, r.saved(k++), "memory keeps the intervening store");
        assertNotEquals(0, r.saved(k++), "sc.d to another address fails");
        assertHex(0x2222_2222_2222_2222L, r.saved(k++), "other address untouched");
        assertNotEquals(0, r.saved(k++), "sc.d after a failed sc fails");
        assertHex(0x5555, r.saved(k++), "reserved address untouched");
        assertHex(0x5556, r.saved(k++), "lr/sc increment loop");
        assertHex(0, r.saved(k++), "sc.d a1, a1: success code in rd");
        assertHex(0x99, r.saved(k++), "sc.d a1, a1 stored the old a1");
        assertHex(0x99, r.saved(k++), "lr.d a1, (a1)");
    }

    @Test
    void trapClearsReservation() {
        // Spec: xRET may clear the reservation; jvisor clears it on every trap (Traps.take), so an
        // interrupted LR/SC sequence always retries.
        var r = runOk("""
                .option norvc
                RECORD_TRAPS
                la a0, slot
                lr.d a2, (a0)
                ecall
                li a3, 42
                sc.d a4, a3, (a0)
                SAVE a4
                ld a2, 0(a0)
                SAVE a2
                .pushsection .data
                .balign 8
            slot: .dword 7
                .popsection
                """);
        assertEquals(11, r.trap(0).cause(), "ecall from M");
        assertNotEquals(0, r.saved(3), "sc.d after a trap fails");
        assertHex(7, r.saved(4), "memory unchanged");
    }

    @Test
    void misalignedAtomicsRaiseMisalignedExceptions() {
        String[] insns = {
            "lr.w a2, (a1)", "lr.d a2, (a1)", "sc.w a2, a3, (a1)", "sc.d a2, a3, (a1)",
            "amoadd.w a2, a3, (a1)", "amoswap.d a2, a3, (a1)", "amomaxu.d a2, a3, (a1)", "amoor.w a2, a3, (a1)",
            "amominu.w a2, a3, (a1)", "amoand.d a2, a3, (a1)",
        };
        int[] offsets = {2, 4, 1, 4, 2, 4, 1, 3, 6, 7};
        int[] causes = {4, 4, 6, 6, 6, 6, 6, 6, 6, 6};
        StringBuilder p = new StringBuilder(".option norvc\nRECORD_TRAPS\nla a0, slot\nli a3, -1\n");
        for (int i = 0; i < insns.length; i++) {
            p.append("lr.d a4, (a0)\n")    // a valid reservation must not make a misaligned sc succeed
                    .append("addi a1, a0, ").append(offsets[i]).append("\nSAVE a1\n")
                    .append("li a2, 0x5a\nla a5, 1f\nSAVE a5\n")
                    .append("1: ").append(insns[i]).append('\n')
                    .append("SAVE a2\nld a4, 0(a0)\nSAVE a4\nld a4, 8(a0)\nSAVE a4\n");
        }
        p.append(".pushsection .data\n.balign 16\nslot: .dword 0x0706050403020100, 0x0f0e0d0c0b0a0908\n.popsection\n");
        var r = runOk(p.toString());
        int k = 0;
        for (int i = 0; i < insns.length; i++) {
            String what = insns[i] + " at +" + offsets[i];
            long address = r.saved(k++), pc = r.saved(k++);
            IsaTesting.Trap t = r.trap(k);
            k += 3;
            assertEquals(causes[i], t.cause(), what + ": cause");
            assertHex(address, t.tval(), what + ": mtval = address");
            assertHex(pc, t.epc(), what + ": mepc");
            assertHex(0x5a, r.saved(k++), what + ": rd unchanged");
            assertHex(0x0706_0504_0302_0100L, r.saved(k++), what + ": memory unchanged");
            assertHex(0x0f0e_0d0c_0b0a_0908L, r.saved(k++), what + ": memory unchanged");
        }
    }
}
