package jvisor.cpu.isa;

import static jvisor.cpu.isa.IsaTesting.assertHex;
import static jvisor.cpu.isa.IsaTesting.runOk;

import org.junit.jupiter.api.Test;

/**
 * FENCE (every variant, including fence.tso, pause and encodings with the reserved fields set)
 * and FENCE.I are no-ops for a single hart's registers; after a store over already-executed
 * code and a fence.i, the new instruction runs.
 */
class FenceTest {
    @Test
    void fencesAreNoOps() {
        var r = runOk("""
                .option norvc
                li a0, 11
                li a1, 22
                fence
                fence rw, rw
                fence iorw, iorw
                fence r, w
                fence.tso
                .word 0x0100000f        # pause (fence w, 0)
                .word 0x0ff0008f        # fence iorw, iorw with rd = x1: reserved fields are ignored
                .word 0x0ff5800f        # ... with rs1 = a1
                fence.i
                .word 0x0000108f        # fence.i with rd = x1
                .word 0x0015900f        # fence.i with rs1 = a1 and imm = 1
                SAVE a0
                SAVE a1
                SAVE ra
                """);
        assertHex(11, r.saved(0), "a0");
        assertHex(22, r.saved(1), "a1");
        assertHex(0, r.saved(2), "ra is not written by the fences with rd = x1");
    }

    @Test
    void selfModifyingCode() {
        var r = runOk("""
                .option norvc
                .option norelax
                la a1, patch
                li s0, 0
            again:
            patch:
                li a0, 1                # becomes li a0, 2 after the first pass
                SAVE a0
                bnez s0, 1f
                li s0, 1
                la a2, new_insn
                lw a3, 0(a2)
                sw a3, 0(a1)
                fence.i
                j again
            1:
                # patch the instruction right after the store and fence.i, which ran before
                li s1, 0
                j next
            patch2:
                la a2, new_insn2
                lw a3, 0(a2)
                la a4, next
                sw a3, 0(a4)
                fence.i
            next:
                li a0, 3                # becomes li a0, 4
                SAVE a0
                addi s1, s1, 1
                li t0, 1
                beq s1, t0, patch2
            4:
                # a 16-bit instruction replaced with a halfword store
                li s2, 0
            again3:
                .option rvc
            cpatch:
                c.li a0, 5              # becomes c.li a0, 6
                .option norvc
                SAVE a0
                bnez s2, 5f
                li s2, 1
                la a2, new_c
                lh a3, 0(a2)
                la a4, cpatch
                sh a3, 0(a4)
                fence.i
                j again3
            5:
                # replaced byte by byte, then by an AMO
                li s3, 0
                j again4
                .option rvc             # (gas pads 2 bytes only with rvc enabled)
                .balign 4               # the AMO needs an aligned word
                .option norvc
            again4:
            bpatch:
                li a0, 7                # becomes li a0, 8, then li a0, 9
                SAVE a0
                addi s3, s3, 1
                li t0, 3
                beq s3, t0, 6f
                li t0, 2
                beq s3, t0, 7f
                la a2, new_insn3
                la a4, bpatch
                lbu a3, 0(a2)
                sb a3, 0(a4)
                lbu a3, 1(a2)
                sb a3, 1(a4)
                lbu a3, 2(a2)
                sb a3, 2(a4)
                lbu a3, 3(a2)
                sb a3, 3(a4)
                fence.i
                j again4
            7:  la a2, new_insn4
                lw a3, 0(a2)
                la a4, bpatch
                amoswap.w a5, a3, (a4)
                fence.i
                j again4
            6:
                j done
            new_insn:  li a0, 2
            new_insn2: li a0, 4
            new_insn3: li a0, 8
            new_insn4: li a0, 9
                .option rvc
            new_c:     c.li a0, 6
                .option norvc
            done:
                """);
        long[] want = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        for (int k = 0; k < want.length; k++) assertHex(want[k], r.saved(k), "pass " + k);
    }

    @Test
    void codeOnAnotherPageIsPatchedToo() {
        // The store runs on one page and patches code on the next one; both pages are decoded.
        var r = runOk("""
                .option norvc
                .option norelax
                li s0, 0
                la a1, far_patch
            loop:
                jal ra, far_patch
                SAVE a0
                bnez s0, done
                li s0, 1
                la a2, new_insn
                lw a3, 0(a2)
                sw a3, 0(a1)
                fence.i
                j loop
            new_insn: li a0, 0x22
                .balign 4096
            far_patch:
                li a0, 0x11
                ret
            done:
                """);
        assertHex(0x11, r.saved(0), "before");
        assertHex(0x22, r.saved(1), "after the patch and fence.i");
    }
}
