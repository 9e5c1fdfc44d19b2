package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jvisor.testing.Assembler;
import jvisor.testing.Guest;
import org.junit.jupiter.api.Test;

/**
 * The built-in SBI on several harts, driven by S-mode programs: HSM state transitions
 * (start, stop, restart, retentive suspend woken by an IPI) and RFENCE, which must have flushed
 * the other hart's TLB by the time it returns. Exit status 0 is a pass; others name the check
 * that failed.
 */
class HsmTest {
    private static final String PROLOGUE = """
            .equ HSM, 0x48534D
            .equ IPI, 0x735049
            .equ RFENCE, 0x52464E43
            .macro SBI ext, fid
              li a7, \\ext
              li a6, \\fid
              ecall
            .endm
            .macro EXIT code
              li t0, ((\\code) << 1) | 1
              la t1, tohost
              sd t0, 0(t1)
            1: j 1b
            .endm
            .macro CHECK reg, value, code   # exits with code unless reg == value
              li t3, \\value
              beq \\reg, t3, 9f
              EXIT \\code
            9:
            .endm
            .macro WAIT label, value        # spins until the dword at label == value
              la t4, \\label
              li t5, \\value
            8:ld t6, 0(t4)
              bne t6, t5, 8b
              fence r, rw
            .endm
              .section .text.init
              .globl _start
            _start:
              la t0, strap
              csrw stvec, t0
            """;

    private static final String EPILOGUE = """
              .align 2
            strap:                          # unexpected trap: exit with 0x400 + scause
              csrr t0, scause
              addi a0, t0, 0x400
              slli a0, a0, 1
              ori a0, a0, 1
              la t1, tohost
              sd a0, 0(t1)
            1:j 1b
            """ + Guest.TOHOST;

    private static int run(String body) throws Exception {
        return Guest.runWithSbi(Assembler.assemble(PROLOGUE + body + EPILOGUE), 2).status();
    }

    @Test
    void startStopRestartAndSuspend() throws Exception {
        assertEquals(0, run("""
                  li a0, 1                  # hart 1 waits in STOPPED
                  SBI HSM, 2
                  CHECK a0, 0, 10
                  CHECK a1, 1, 11
                  li a0, 99                 # no such hart
                  la a1, secondary
                  SBI HSM, 0
                  CHECK a0, -3, 12
                  li a0, 1                  # start address outside RAM
                  li a1, 0x1000
                  SBI HSM, 0
                  CHECK a0, -5, 13
                  li a0, 1
                  la a1, secondary
                  li a2, 0x1234
                  SBI HSM, 0
                  CHECK a0, 0, 14
                  li a0, 1                  # not STOPPED any more
                  la a1, secondary
                  SBI HSM, 0
                  CHECK a0, -6, 15
                  WAIT count, 1
                  la t0, seen
                  ld t1, 0(t0)
                  CHECK t1, 1, 16           # a0 = hart id
                  ld t1, 8(t0)
                  CHECK t1, 0x1234, 17      # a1 = opaque
                  li a0, 1
                  SBI HSM, 2
                  CHECK a1, 0, 18           # STARTED
                  la t0, stop               # hart 1 stops itself
                  li t1, 1
                  sd t1, 0(t0)
                1:li a0, 1
                  SBI HSM, 2
                  li t0, 1                  # STOPPED
                  bne a1, t0, 1b
                  li a0, 1                  # a second life
                  la a1, secondary
                  li a2, 0x5678
                  SBI HSM, 0
                  CHECK a0, 0, 19
                  WAIT count, 2
                  la t0, seen
                  ld t1, 8(t0)
                  CHECK t1, 0x5678, 20
                2:li a0, 1                  # it suspends itself
                  SBI HSM, 2
                  li t0, 4                  # SUSPENDED
                  bne a1, t0, 2b
                  li a0, 2                  # an IPI to hart 1 resumes it
                  li a1, 0
                  SBI IPI, 0
                  CHECK a0, 0, 21
                  WAIT count, 3
                  li a0, 1
                  SBI HSM, 2
                  CHECK a1, 0, 22           # STARTED again
                  EXIT 0

                secondary:
                  la t0, strap
                  csrw stvec, t0
                  la t0, seen
                  sd a0, 0(t0)
                  sd a1, 8(t0)
                  csrr t1, satp
                  CHECK t1, 0, 30
                  csrr t1, sstatus
                  andi t1, t1, 2
                  CHECK t1, 0, 31           # sstatus.SIE = 0
                  la t0, count
                  li t1, 1
                  amoadd.d.aqrl t2, t1, (t0)
                  bnez t2, second_life
                  WAIT stop, 1
                  SBI HSM, 1                # hart_stop does not return
                  EXIT 32
                second_life:
                  li t0, 2                  # sie.SSIE, with interrupts globally off
                  csrw sie, t0
                  li a0, 0                  # default retentive suspend
                  SBI HSM, 3
                  CHECK a0, 0, 33
                  csrr t0, sip
                  andi t0, t0, 2
                  CHECK t0, 2, 34           # woken by the pending IPI
                  csrci sip, 2
                  li a0, 0x10               # a reserved suspend type
                  SBI HSM, 3
                  CHECK a0, -3, 35
                  la t0, count
                  li t1, 1
                  amoadd.d.aqrl zero, t1, (t0)
                3:wfi
                  j 3b

                  .data
                  .align 6
                count: .dword 0
                stop: .dword 0
                seen: .dword 0, 0
                """));
    }

    @Test
    void remoteSfenceVmaFlushesTheOtherHartBeforeReturning() throws Exception {
        // Hart 1 maps VA 0x4000_0000 (a 2 MiB page) to A and reads it in a loop; hart 0 points the
        // mapping at B, calls RFENCE for hart 1 and then says go. Whatever hart 1 reads after
        // seeing go must come from B: its TLB was flushed before RFENCE returned.
        assertEquals(0, run("""
                  li t0, 0x80200000         # A and B
                  li t1, 0xAAAA
                  sd t1, 0(t0)
                  li t0, 0x80400000
                  li t1, 0xBBBB
                  sd t1, 0(t0)
                  la t0, root               # root[1] -> l1; root[2] = identity gigapage for us
                  la t1, l1
                  srli t1, t1, 12
                  slli t1, t1, 10
                  ori t1, t1, 1
                  sd t1, 8(t0)
                  li t1, (0x80000000 >> 12 << 10) | 0xCF
                  sd t1, 16(t0)
                  la t0, l1                 # l1[0] = A, readable and writable
                  li t1, (0x80200000 >> 12 << 10) | 0xC7
                  sd t1, 0(t0)
                  fence rw, rw
                  li a0, 1
                  la a1, walker
                  SBI HSM, 0
                  CHECK a0, 0, 10
                  WAIT ready, 1
                  la t0, l1                 # now B
                  li t1, (0x80400000 >> 12 << 10) | 0xC7
                  sd t1, 0(t0)
                  fence rw, rw
                  li a0, 2                  # remote sfence.vma of all addresses on hart 1
                  li a1, 0
                  li a2, 0
                  li a3, -1
                  SBI RFENCE, 1
                  CHECK a0, 0, 11
                  la t0, go
                  li t1, 1
                  sd t1, 0(t0)
                  WAIT done, 1
                  la t0, result
                  ld t1, 0(t0)
                  CHECK t1, 0xBBBB, 12
                  li a0, 8                  # no hart 3
                  li a1, 0
                  SBI RFENCE, 0
                  CHECK a0, -3, 13
                  EXIT 0

                walker:
                  la t0, strap
                  csrw stvec, t0
                  la t0, root
                  srli t0, t0, 12
                  li t1, 8 << 60            # Sv39
                  or t0, t0, t1
                  csrw satp, t0
                  sfence.vma
                  li s1, 0x40000000
                  ld t0, 0(s1)
                  CHECK t0, 0xAAAA, 20
                  la t0, ready
                  li t1, 1
                  sd t1, 0(t0)
                  la s2, go
                1:ld t1, 0(s2)
                  fence r, r
                  ld t2, 0(s1)
                  beqz t1, 1b
                  la t0, result
                  sd t2, 0(t0)
                  fence rw, w
                  la t0, done
                  li t1, 1
                  sd t1, 0(t0)
                2:wfi
                  j 2b

                  .data
                  .align 12
                root: .zero 4096
                l1: .zero 4096
                  .align 6
                ready: .dword 0
                go: .dword 0
                done: .dword 0
                result: .dword 0
                """));
    }
}
