package jvisor.cpu.isa;

import static jvisor.cpu.isa.IsaTesting.assertHex;
import static jvisor.cpu.isa.IsaTesting.hex;
import static jvisor.cpu.isa.IsaTesting.imm;
import static jvisor.cpu.isa.IsaTesting.runOk;

import java.math.BigInteger;
import java.util.function.LongBinaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The M extension against a BigInteger model of the spec ("M" chapter), including the table of
 * division by zero and signed overflow results, plus those special cases spelled out by hand.
 */
class MulDivTest {
    static final long[] VALUES = {
        0, 1, -1, 2, -2, 3, -3, 7, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1, 0x7fff_ffffL,
        0x8000_0000L, 0xffff_ffffL, 0xffff_ffff_8000_0000L, 0x1_0000_0000L, 0x1_0000_0001L,
        0x1234_5678_9abc_def0L, 0xfedc_ba98_7654_3210L, 0xffff_ffff_0000_0001L, 0x0000_0001_ffff_ffffL,
    };

    private static final BigInteger TWO64 = BigInteger.ONE.shiftLeft(64);

    static BigInteger signed(long v) { return BigInteger.valueOf(v); }
    static BigInteger unsigned(long v) { return v >= 0 ? BigInteger.valueOf(v) : BigInteger.valueOf(v).add(TWO64); }
    static long sext32(long v) { return (long) (int) v; }

    /** Signed division truncating toward zero, with the spec's special cases. */
    static long div(BigInteger a, BigInteger b, long ifZero, int bits) {
        if (b.signum() == 0) return ifZero;
        BigInteger q = a.divide(b); // BigInteger truncates toward zero, as RISC-V does
        return wrap(q, bits);
    }

    static long rem(BigInteger a, BigInteger b, int bits) {
        if (b.signum() == 0) return wrap(a, bits);
        return wrap(a.remainder(b), bits); // the remainder takes the dividend's sign
    }

    /** Reduces to {@code bits} bits and sign-extends to 64 (as every M result is). */
    static long wrap(BigInteger v, int bits) {
        long low = v.longValue();
        return bits == 32 ? sext32(low) : low;
    }

    static BigInteger s32(long v) { return BigInteger.valueOf((int) v); }
    static BigInteger u32(long v) { return BigInteger.valueOf(v & 0xffff_ffffL); }

    enum MOp {
        MUL((a, b) -> signed(a).multiply(signed(b)).longValue()),
        MULH((a, b) -> signed(a).multiply(signed(b)).shiftRight(64).longValue()),
        MULHSU((a, b) -> signed(a).multiply(unsigned(b)).shiftRight(64).longValue()),
        MULHU((a, b) -> unsigned(a).multiply(unsigned(b)).shiftRight(64).longValue()),
        DIV((a, b) -> div(signed(a), signed(b), -1, 64)),
        DIVU((a, b) -> div(unsigned(a), unsigned(b), -1, 64)),
        REM((a, b) -> rem(signed(a), signed(b), 64)),
        REMU((a, b) -> rem(unsigned(a), unsigned(b), 64)),
        MULW((a, b) -> wrap(s32(a).multiply(s32(b)), 32)),
        DIVW((a, b) -> div(s32(a), s32(b), -1, 32)),
        DIVUW((a, b) -> div(u32(a), u32(b), -1, 32)),
        REMW((a, b) -> rem(s32(a), s32(b), 32)),
        REMUW((a, b) -> rem(u32(a), u32(b), 32));

        final LongBinaryOperator model;

        MOp(LongBinaryOperator model) { this.model = model; }
    }

    @ParameterizedTest
    @EnumSource(MOp.class)
    void againstModel(MOp op) {
        String mn = op.name().toLowerCase();
        StringBuilder p = new StringBuilder(".option norvc\n");
        for (long a : VALUES) {
            for (long b : VALUES) {
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
            for (long b : VALUES) {
                long want = op.model.applyAsLong(a, b);
                String what = mn + " " + hex(a) + ", " + hex(b);
                assertHex(want, r.saved(k++), what);
                assertHex(want, r.saved(k++), what + " (rd = rs1)");
                assertHex(want, r.saved(k++), what + " (rd = rs2)");
            }
        }
    }

    @Test
    void divisionSpecialCasesFromTheSpecTable() {
        // Spec table "Semantics for division by zero and division overflow".
        var r = runOk("""
                .option norvc
                li a0, 0x123456789abcdef1
                div a1, a0, zero
                SAVE a1                 # -1
                divu a1, a0, zero
                SAVE a1                 # 2^64 - 1
                rem a1, a0, zero
                SAVE a1                 # x
                remu a1, a0, zero
                SAVE a1                 # x
                divw a1, a0, zero
                SAVE a1                 # -1
                divuw a1, a0, zero
                SAVE a1                 # 2^32 - 1 sign-extended: -1
                remw a1, a0, zero
                SAVE a1                 # sext(0x9abcdef1)
                remuw a1, a0, zero
                SAVE a1                 # sext(0x9abcdef1)
                li a2, 0xffffffff00000000  # zero in the low word: W forms divide by zero
                li a0, 0x12345678
                divw a1, a0, a2
                SAVE a1
                remw a1, a0, a2
                SAVE a1
                li a0, 0x8000000000000000
                li a2, -1
                div a1, a0, a2
                SAVE a1                 # overflow: -2^63
                rem a1, a0, a2
                SAVE a1                 # 0
                li a0, 0xffffffff80000000
                divw a1, a0, a2
                SAVE a1                 # -2^31
                remw a1, a0, a2
                SAVE a1                 # 0
                li a0, 0x0000000080000000   # the W forms look only at the low word
                li a2, 0x00000001ffffffff
                divw a1, a0, a2
                SAVE a1                 # -2^31
                remw a1, a0, a2
                SAVE a1                 # 0
                li a0, -7
                li a2, 2
                div a1, a0, a2
                SAVE a1                 # -3 (toward zero)
                rem a1, a0, a2
                SAVE a1                 # -1 (sign of the dividend)
                li a0, 7
                li a2, -2
                div a1, a0, a2
                SAVE a1                 # -3
                rem a1, a0, a2
                SAVE a1                 # 1
                li a0, -1
                li a2, 2
                divu a1, a0, a2
                SAVE a1                 # 0x7fff...
                li a0, 0xfffffffffffffffe
                divuw a1, a0, a2        # 0xfffffffe / 2 = 0x7fffffff
                SAVE a1
                li a0, 0x00000000ffffffff
                li a2, 0x0000000100000001  # low word 1
                divuw a1, a0, a2        # 0xffffffff sign-extends
                SAVE a1
                """);
        long x = 0x1234_5678_9abc_def1L, xw = 0xffff_ffff_9abc_def1L;
        long[] want = {
            -1, -1, x, x, -1, -1, xw, xw, -1, 0x1234_5678L, Long.MIN_VALUE, 0, 0xffff_ffff_8000_0000L, 0,
            0xffff_ffff_8000_0000L, 0, -3, -1, -3, 1, Long.MAX_VALUE, 0x7fff_ffffL, -1,
        };
        for (int k = 0; k < want.length; k++) assertHex(want[k], r.saved(k), "case " + k);
    }

    @Test
    void multiplySpecialCases() {
        var r = runOk("""
                .option norvc
                li a0, -1
                li a1, -1
                mulh a2, a0, a1         # (-1)(-1) = 1: high 0
                SAVE a2
                mulhu a2, a0, a1        # (2^64-1)^2: high 2^64-2
                SAVE a2
                mulhsu a2, a0, a1       # -1 * (2^64-1): high -1
                SAVE a2
                mulhsu a2, a1, zero
                SAVE a2
                li a0, 0x8000000000000000
                mulh a2, a0, a0         # 2^126: high 2^62
                SAVE a2
                mul a2, a0, a0
                SAVE a2
                mulhsu a2, a0, a1       # -2^63 * (2^64-1)
                SAVE a2
                li a0, 0x0000000100000000
                mulw a2, a0, a0         # low words are 0
                SAVE a2
                li a0, 0x7fffffff
                li a1, 2
                mulw a2, a0, a1         # 0xfffffffe sign-extended
                SAVE a2
                li a0, 0x123456789
                li a1, 0x10
                mulw a2, a0, a1         # (0x23456789 * 16) mod 2^32 = 0x34567890
                SAVE a2
                """);
        long[] want = {
            0, -2, -1, 0, 1L << 62, 0, Long.MIN_VALUE, 0, -2, 0x3456_7890L,
        };
        // -2^63 * (2^64 - 1) = -2^127 + 2^63, whose high word is floor(-2^63 + 1/2) = -2^63
        for (int k = 0; k < want.length; k++) assertHex(want[k], r.saved(k), "case " + k);
    }
}
