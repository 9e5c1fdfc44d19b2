package jvisor.cpu.priv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import jvisor.cpu.Hart;
import jvisor.machine.Machine;
import jvisor.testing.Assembler;
import jvisor.testing.Guest;

/**
 * Shared harness for the privileged-architecture tests. A test is a bare-metal program whose
 * expectations are checked <em>inside the guest</em> ({@code CHECK_*} macros): the program exits 0
 * when every check passed, or with the number of the first failing check. The same ELF therefore
 * states an architectural claim that any RISC-V implementation can be held to; with
 * {@code -Djvisor.priv.qemu=true} every program also runs on QEMU's spike machine, which must
 * pass it too (a cross-check of the expectations themselves).
 *
 * <p>The library ({@link #LIB}) provides, on top of {@link Guest}'s prologue:
 * <ul>
 * <li>M- and S-mode trap handlers that record each trap in registers and resume: exceptions
 *     continue after the faulting instruction (or at the address in {@code s4} when it is
 *     non-zero, needed for fetch faults); interrupts are acknowledged by clearing their enable
 *     bit in {@code mie}/{@code sie}.
 * <li>Privilege changes: {@code GO_S}, {@code GO_U} (from M, continue at the next instruction),
 *     {@code ENTER_S label}, {@code ENTER_U label}, {@code S_GO_U} (from S via sret) and
 *     {@code TO_M} (a magic ecall that the handlers turn into a return to M-mode, not a trap).
 * <li>Page tables built at run time: {@code PT_INIT mode} (8 = Sv39, 9 = Sv48, 10 = Sv57) makes
 *     a new root that identity-maps the first 2 MiB of RAM (code, tohost, data) with 4 KiB
 *     supervisor RWX pages and the page-table pool as supervisor RW; {@code MAP va, pa, flags,
 *     level}, {@code MAP_LABEL va, label, flags}, {@code MAP_USER label} (remap the 4 KiB page
 *     holding {@code label} for U-mode), {@code BEGIN_PAGE}/{@code END_PAGE} (code on a page of its own),
 *     {@code PTE_ADDR reg, va, level} and {@code SATP_ON}.
 * <li>Checks: {@code CHECK_EQ reg, value}, {@code CHECK_ADDR reg, label}, {@code CHECK_MASK reg,
 *     mask, value}, {@code CHECK_CSR csr, value}, {@code CHECK_CSR_MASK csr, mask, value},
 *     {@code CHECK_TRAP level, cause, epc_label, tval} (exactly one trap since the last check of
 *     traps; {@code CHECK_TRAP_A} takes a label as tval), {@code CHECK_CAUSE level, cause},
 *     {@code CHECK_NO_TRAP}, {@code CHECK_TRACE b0, b1, ...} (the sequence of traps taken),
 *     {@code CHECK_ILLEGAL level, label} (illegal instruction with tval = its bits),
 *     {@code CHECK_NE}, {@code CHECK_SAME reg, reg2}; {@code UNREACHABLE} fails when run;
 *     {@code WAIT_TRAP} waits (boundedly) for an interrupt raised through a device.
 * </ul>
 *
 * <p>Register conventions: {@code gp}/{@code tp} are the checks' scratch (on failure gp holds the
 * actual value, tp the expected one); {@code s3} counts passed checks; {@code s4} is the resume
 * address; {@code s5} the trace (byte i = trap i: cause, +0x40 for interrupts, +0x80 if taken in
 * S-mode); {@code s6} the mstatus/sstatus seen by the handler; {@code s7} the level that took the
 * last trap (3 or 1); {@code s8} the number of traps; {@code s9}/{@code s10}/{@code s11} cause,
 * epc and tval of the last one. Macros clobber t0-t2; the page-table macros also a0-a5 and ra;
 * {@code TO_M} zeroes a7. The handlers own mscratch and sscratch. Code is assembled without
 * compressed instructions ({@code .option norvc}) so a handler can step over any trapping
 * instruction by adding 4.
 */
final class Priv {
    private Priv() {}

    static final String LIB = """
              .option norvc
              .equ MAGIC_TO_M, 0x70d0
              .equ PTE_V, 0x01
              .equ PTE_R, 0x02
              .equ PTE_W, 0x04
              .equ PTE_X, 0x08
              .equ PTE_U, 0x10
              .equ PTE_G, 0x20
              .equ PTE_A, 0x40
              .equ PTE_D, 0x80
              .equ KRWX, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
              .equ KRW,  PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
              .equ KR,   PTE_V | PTE_R | PTE_A
              .equ URWX, KRWX | PTE_U
              .equ URW,  KRW | PTE_U
              .equ MSTATUS_SIE,  1 << 1
              .equ MSTATUS_MIE,  1 << 3
              .equ MSTATUS_SPIE, 1 << 5
              .equ MSTATUS_MPIE, 1 << 7
              .equ MSTATUS_SPP,  1 << 8
              .equ MSTATUS_MPP,  3 << 11
              .equ MPP_S,        1 << 11
              .equ MSTATUS_FS,   3 << 13
              .equ MSTATUS_MPRV, 1 << 17
              .equ MSTATUS_SUM,  1 << 18
              .equ MSTATUS_MXR,  1 << 19
              .equ MSTATUS_TVM,  1 << 20
              .equ MSTATUS_TW,   1 << 21
              .equ MSTATUS_TSR,  1 << 22
              .equ MSTATUS_SD,   1 << 63
              .equ INSN_ACCESS, 1
              .equ ILLEGAL, 2
              .equ BREAKPOINT, 3
              .equ LOAD_ACCESS, 5
              .equ STORE_ACCESS, 7
              .equ ECALL_U, 8
              .equ ECALL_S, 9
              .equ ECALL_M, 11
              .equ FETCH_PF, 12
              .equ LOAD_PF, 13
              .equ STORE_PF, 15
              .equ IRQ, 1 << 63
              .equ SSI, 1
              .equ MSI, 3
              .equ STI, 5
              .equ MTI, 7
              .equ SEI, 9
              .equ MEI, 11
              .equ T_INT, 0x40
              .equ T_S, 0x80
              .equ CLINT_MSIP, 0x2000000
              .equ CLINT_MTIMECMP, 0x2004000
              .equ DATA, 0x80400000      # physical pages for test data (outside the identity map)
              .equ PT_POOL, 0x80c00000   # page tables are allocated from here (3 MiB)
              .equ TRAP_LIMIT, 16        # more traps than this since RESET_TRAPS: a trap loop
              .set __nchk, 0
              .size tohost, 8          # QEMU's HTIF wants sized symbols
              .size fromhost, 8

            # ---- privilege changes ----
            .macro TO_M
              li a7, MAGIC_TO_M
              ecall
            .endm
            .macro ENTER_S target
              li t0, MSTATUS_MPP
              csrc mstatus, t0
              li t0, MPP_S
              csrs mstatus, t0
              la t0, \\target
              csrw mepc, t0
              mret
            .endm
            .macro ENTER_U target
              li t0, MSTATUS_MPP
              csrc mstatus, t0
              la t0, \\target
              csrw mepc, t0
              mret
            .endm
            .macro GO_S
              ENTER_S .Lgo\\@
            .Lgo\\@:
            .endm
            .macro GO_U
              ENTER_U .Lgo\\@
            .Lgo\\@:
            .endm
            .macro S_GO_U
              li t0, MSTATUS_SPP
              csrc sstatus, t0
              la t0, .Lgo\\@
              csrw sepc, t0
              sret
            .Lgo\\@:
            .endm
            # Code on pages of its own (user code, code to map elsewhere): BEGIN_PAGE name starts
            # a 4 KiB page labelled name, END_PAGE name pads to the next boundary; the flow of
            # execution jumps over the block, and code falling off its end continues after it.
            .macro BEGIN_PAGE name
              j .Lend_\\name
              .balign 4096
            \\name:
            .endm
            .macro END_PAGE name
              j .Lend_\\name
              .balign 4096
            .Lend_\\name:
            .endm

            # ---- checks ----
            .macro __EXIT_NOW code
              li t0, ((\\code) << 1) | 1
              la t1, tohost
              sd t0, 0(t1)
            .Lhang\\@: j .Lhang\\@
            .endm
            .macro __FAIL id             # back in M-mode (and untranslated), exit with id
              TO_M
              li t0, MSTATUS_MPRV
              csrc mstatus, t0
              __EXIT_NOW \\id
            .endm
            .macro __CMP reg, id
              beq \\reg, tp, .Lok\\@
              mv gp, \\reg
              __FAIL \\id
            .Lok\\@:
            .endm
            .macro CHECK_EQ reg, val
              .set __nchk, __nchk + 1
              li tp, \\val
              __CMP \\reg, __nchk
              addi s3, s3, 1
            .endm
            .macro CHECK_ADDR reg, label
              .set __nchk, __nchk + 1
              la tp, \\label
              __CMP \\reg, __nchk
              addi s3, s3, 1
            .endm
            .macro CHECK_NE reg, val
              .set __nchk, __nchk + 1
              li tp, \\val
              bne \\reg, tp, .Lne\\@
              mv gp, \\reg
              __FAIL __nchk
            .Lne\\@:
              addi s3, s3, 1
            .endm
            .macro CHECK_SAME reg, reg2
              .set __nchk, __nchk + 1
              mv tp, \\reg2
              __CMP \\reg, __nchk
              addi s3, s3, 1
            .endm
            # Marks code that must never run (status 0x3fe).
            .macro UNREACHABLE
              __FAIL 0x3fe
            .endm
            .macro CHECK_MASK reg, mask, val
              .set __nchk, __nchk + 1
              li tp, \\mask
              and gp, \\reg, tp
              li tp, \\val
              __CMP gp, __nchk
              addi s3, s3, 1
            .endm
            .macro CHECK_CSR csr, val
              .set __nchk, __nchk + 1
              csrr gp, \\csr
              li tp, \\val
              __CMP gp, __nchk
              addi s3, s3, 1
            .endm
            .macro CHECK_CSR_MASK csr, mask, val
              .set __nchk, __nchk + 1
              csrr gp, \\csr
              li tp, \\mask
              and gp, gp, tp
              li tp, \\val
              __CMP gp, __nchk
              addi s3, s3, 1
            .endm
            .macro RESET_TRAPS
              li s5, 0
              li s8, 0
              li s9, -1
              li s10, -1
              li s11, -1
            .endm
            .macro CHECK_NO_TRAP
              .set __nchk, __nchk + 1
              li tp, 0
              __CMP s8, __nchk
              addi s3, s3, 1
            .endm
            .macro CHECK_CAUSE level, cause
              .set __nchk, __nchk + 1
              li tp, 1
              __CMP s8, __nchk
              li tp, \\level
              __CMP s7, __nchk
              li tp, \\cause
              __CMP s9, __nchk
              RESET_TRAPS
              addi s3, s3, 1
            .endm
            .macro CHECK_TRAP level, cause, epc, tval
              .set __nchk, __nchk + 1
              li tp, 1
              __CMP s8, __nchk
              li tp, \\level
              __CMP s7, __nchk
              li tp, \\cause
              __CMP s9, __nchk
              la tp, \\epc
              __CMP s10, __nchk
              li tp, \\tval
              __CMP s11, __nchk
              RESET_TRAPS
              addi s3, s3, 1
            .endm
            .macro CHECK_TRAP_A level, cause, epc, tval
              .set __nchk, __nchk + 1
              li tp, 1
              __CMP s8, __nchk
              li tp, \\level
              __CMP s7, __nchk
              li tp, \\cause
              __CMP s9, __nchk
              la tp, \\epc
              __CMP s10, __nchk
              la tp, \\tval
              __CMP s11, __nchk
              RESET_TRAPS
              addi s3, s3, 1
            .endm
            .macro CHECK_TRAP_VA level, cause, epc, tval   # epc given as a number
              .set __nchk, __nchk + 1
              li tp, 1
              __CMP s8, __nchk
              li tp, \\level
              __CMP s7, __nchk
              li tp, \\cause
              __CMP s9, __nchk
              li tp, \\epc
              __CMP s10, __nchk
              li tp, \\tval
              __CMP s11, __nchk
              RESET_TRAPS
              addi s3, s3, 1
            .endm
            # An illegal-instruction trap at \\label whose tval holds the 32 instruction bits.
            .macro CHECK_ILLEGAL level, label
              .set __nchk, __nchk + 1
              li tp, 1
              __CMP s8, __nchk
              li tp, \\level
              __CMP s7, __nchk
              li tp, ILLEGAL
              __CMP s9, __nchk
              la tp, \\label
              __CMP s10, __nchk
              lwu tp, 0(tp)
              __CMP s11, __nchk
              RESET_TRAPS
              addi s3, s3, 1
            .endm
            # A breakpoint at \\label; tval may be 0 or the address (spec 1.12 §3.1.16).
            .macro CHECK_BREAKPOINT level, label
              .set __nchk, __nchk + 1
              li tp, 1
              __CMP s8, __nchk
              li tp, \\level
              __CMP s7, __nchk
              li tp, BREAKPOINT
              __CMP s9, __nchk
              la tp, \\label
              __CMP s10, __nchk
              beqz s11, .Lbrk\\@
              __CMP s11, __nchk
            .Lbrk\\@:
              RESET_TRAPS
              addi s3, s3, 1
            .endm
            .macro CHECK_TRACE b0, b1=0, b2=0, b3=0, b4=0, b5=0, b6=0, b7=0
              .set __nchk, __nchk + 1
              li tp, (\\b0) | (\\b1) << 8 | (\\b2) << 16 | (\\b3) << 24 | (\\b4) << 32 | (\\b5) << 40 | (\\b6) << 48 | (\\b7) << 56
              __CMP s5, __nchk
              RESET_TRAPS
              addi s3, s3, 1
            .endm

            # Ends the run with status 0 from any privilege level (no trap on the way).
            .macro EXIT_PASS
              __EXIT_NOW 0
            .endm
            # Waits (boundedly) for a trap: device interrupts need only arrive in bounded time.
            .macro WAIT_TRAP
              li t0, 1000000
            .Lwait\\@:
              bnez s8, .Lwaited\\@
              addi t0, t0, -1
              bnez t0, .Lwait\\@
            .Lwaited\\@:
            .endm
            .macro SET_RESUME label
              la s4, \\label
            .endm

            # ---- page tables ----
            .macro PT_INIT mode
              li a0, \\mode
              call __pt_new
              li a0, 0x80000000
              li a1, 0x80000000
              li a2, KRWX
              li a3, 0
            .Lkmap\\@:
              call __map
              li t0, 4096
              add a0, a0, t0
              add a1, a1, t0
              li t0, 0x80200000
              bltu a0, t0, .Lkmap\\@
              MAP PT_POOL, PT_POOL, KRW, 1
              MAP PT_POOL + 0x200000, PT_POOL + 0x200000, KRW, 1
            .endm
            .macro MAP va, pa, flags, level=0
              li a0, \\va
              li a1, \\pa
              li a2, \\flags
              li a3, \\level
              call __map
            .endm
            .macro MAP_LABEL va, label, flags, level=0   # va -> the page holding label
              li a0, \\va
              la a1, \\label
              srli a1, a1, 12
              slli a1, a1, 12
              li a2, \\flags
              li a3, \\level
              call __map
            .endm
            .macro MAP_USER label
              la a0, \\label
              srli a0, a0, 12
              slli a0, a0, 12
              mv a1, a0
              li a2, URWX
              li a3, 0
              call __map
            .endm
            .macro PTE_ADDR reg, va, level=0
              li a0, \\va
              li a3, \\level
              jal t2, __pte
              mv \\reg, a5
            .endm
            .macro PT_SATP reg         # the satp value that selects the current root
              la t0, __pt_state
              ld \\reg, 24(t0)
            .endm
            .macro SATP_ON
              la t0, __pt_state
              ld t0, 24(t0)
              csrw satp, t0
              sfence.vma
            .endm

              .pushsection .data
              .balign 8
            __pt_state:            # root table, levels, next free PPN, satp value
              .dword 0, 3, PT_POOL >> 12, 0
              .popsection

            # ---- start-up ----
              la t0, __mtrap
              csrw mtvec, t0
              la t0, __strap
              csrw stvec, t0
              li t0, -1              # let S and U reach all memory on PMP-enforcing
              csrw pmpaddr0, t0      # implementations (jvisor only stores these)
              li t0, 0x1f
              csrw pmpcfg0, t0
              li t0, CLINT_MTIMECMP  # no machine timer interrupt pending (QEMU resets it to 0)
              li t1, -1
              sd t1, 0(t0)
              li a7, 0
              li s3, 0
              li s4, 0
              RESET_TRAPS
              j __test

            # ---- M-mode trap handler ----
              .balign 64
            __mtrap:
              csrw mscratch, t0
              li t0, MAGIC_TO_M
              bne a7, t0, 1f
              csrr t0, mcause
              addi t0, t0, -ECALL_U
              beqz t0, 9f
              addi t0, t0, ECALL_U - ECALL_S
              beqz t0, 9f
              addi t0, t0, -1          # ecall from VS-mode (H extension)
              beqz t0, 9f
              addi t0, t0, 10 - ECALL_M
              bnez t0, 1f
            9:                         # TO_M: return to M-mode after the ecall
              li a7, 0
              csrr t0, mepc
              addi t0, t0, 4
              csrw mepc, t0
              li t0, MSTATUS_MPP
              csrs mstatus, t0
              csrr t0, mscratch
              mret
            1:
              li t0, TRAP_LIMIT
              bge s8, t0, 8f
              csrr s9, mcause
              csrr s10, mepc
              csrr s11, mtval
              csrr s6, mstatus
              li s7, 3
              andi t0, s9, 0x3f
              bgez s9, 2f
              ori t0, t0, T_INT
            2:
              slli s8, s8, 3
              sll t0, t0, s8
              or s5, s5, t0
              srli s8, s8, 3
              addi s8, s8, 1
              bgez s9, 3f
              li t0, 1                 # interrupt: acknowledge by disabling it
              sll t0, t0, s9
              csrc mie, t0
              j 7f
            3:
              beqz s4, 4f              # exception: resume at s4 if set ...
              csrw mepc, s4
              li s4, 0
              j 7f
            4:
              csrr t0, mepc            # ... else after the faulting instruction
              addi t0, t0, 4
              li gp, ILLEGAL           # (a 16-bit illegal instruction is 2 bytes long)
              bne s9, gp, 5f
              andi gp, s11, 3
              addi gp, gp, -3
              beqz gp, 5f
              addi t0, t0, -2
            5:
              csrw mepc, t0
            7:
              csrr t0, mscratch
              mret
            8:
              mv gp, s9
              mv tp, s10
              __EXIT_NOW 0x3ff

            # ---- S-mode trap handler ----
              .balign 64
            __strap:
              csrw sscratch, t0
              li t0, MAGIC_TO_M
              bne a7, t0, 1f
              csrr t0, scause
              addi t0, t0, -ECALL_U
              beqz t0, 0f
              addi t0, t0, ECALL_U - 10  # or from VS-mode (H extension)
              bnez t0, 1f
            0:                         # TO_M from U with ecall delegated: ask M, resume in M
              csrr t0, sscratch
              ecall
              csrw mscratch, t0
              csrr t0, sepc
              addi t0, t0, 4
              csrw mepc, t0
              li t0, MSTATUS_MPP
              csrs mstatus, t0
              csrr t0, mscratch
              mret
            1:
              li t0, TRAP_LIMIT
              bge s8, t0, 8f
              csrr s9, scause
              csrr s10, sepc
              csrr s11, stval
              csrr s6, sstatus
              li s7, 1
              andi t0, s9, 0x3f
              ori t0, t0, T_S
              bgez s9, 2f
              ori t0, t0, T_INT
            2:
              slli s8, s8, 3
              sll t0, t0, s8
              or s5, s5, t0
              srli s8, s8, 3
              addi s8, s8, 1
              bgez s9, 3f
              li t0, 1
              sll t0, t0, s9
              csrc sie, t0
              j 7f
            3:
              beqz s4, 4f
              csrw sepc, s4
              li s4, 0
              j 7f
            4:
              csrr t0, sepc
              addi t0, t0, 4
              li gp, ILLEGAL
              bne s9, gp, 5f
              andi gp, s11, 3
              addi gp, gp, -3
              beqz gp, 5f
              addi t0, t0, -2
            5:
              csrw sepc, t0
            7:
              csrr t0, sscratch
              sret
            8:
              mv gp, s9
              mv tp, s10
              __EXIT_NOW 0x3ff

            # ---- page-table routines (run in M-mode or under the identity map) ----
            __pt_new:                  # a0 = satp mode: fresh root, levels, satp value
              la t0, __pt_state
              ld t1, 16(t0)
              addi t2, t1, 1
              sd t2, 16(t0)
              slli t2, t1, 12
              sd t2, 0(t0)
              addi t2, a0, -5
              sd t2, 8(t0)
              slli t2, a0, 60
              or t2, t2, t1
              sd t2, 24(t0)
              ret
            __pte:                     # a0 = va, a3 = level -> a5 = &PTE; returns via t2
              la t0, __pt_state
              ld t1, 8(t0)
              addi t1, t1, -1
              ld a5, 0(t0)
            1:
              slli a4, t1, 3
              add a4, a4, t1
              addi a4, a4, 12
              srl a4, a0, a4
              andi a4, a4, 511
              slli a4, a4, 3
              add a5, a5, a4
              beq t1, a3, 3f
              ld a4, 0(a5)
              andi t0, a4, PTE_V
              bnez t0, 2f
              la t0, __pt_state        # allocate the next-level table
              ld a4, 16(t0)
              addi a4, a4, 1
              sd a4, 16(t0)
              addi a4, a4, -1
              slli a4, a4, 10
              ori a4, a4, PTE_V
              sd a4, 0(a5)
            2:
              srli a4, a4, 10
              slli a5, a4, 12
              addi t1, t1, -1
              j 1b
            3:
              jr t2
            __map:                     # a0 = va, a1 = pa, a2 = PTE flags, a3 = level
              jal t2, __pte
              srli a4, a1, 12
              slli a4, a4, 10
              or a4, a4, a2
              sd a4, 0(a5)
              ret

              .balign 4
            __test:
            """;

    /** A finished run: the guest's final state and the ELF it ran. */
    record Run(Guest.Result result, Path elf) {
        long x(int reg) { return result.x(reg); }

        Hart hart() { return result.hart(); }

        /** A CSR after the run (read with M privilege): state guest code cannot see without trapping to M. */
        long csr(int number) { return result.hart().csr.get(number); }
    }

    /** Runs {@code body} (after {@link #LIB}) and asserts that every in-guest check passed. */
    static Run run(String body) {
        return run(body, null, true);
    }

    /**
     * Like {@link #run(String)} for programs that QEMU's spike machine cannot be held to, either
     * because they check an implementation-defined (WARL) choice jvisor made, because spike lacks
     * the feature, or because QEMU deviates from the spec there; {@code why} says which.
     */
    static Run runNoQemu(String why, String body) {
        return run(body, null, false);
    }

    /**
     * Like {@link #run(String)}, with {@code setup} applied to the machine before the hart starts,
     * for state only Java can set (interrupt lines). Not cross-checked on QEMU.
     */
    static Run run(String body, Consumer<Machine> setup) {
        return run(body, setup, false);
    }

    private static Run run(String body, Consumer<Machine> setup, boolean qemuToo) {
        Path elf;
        try {
            elf = Assembler.assemble(Guest.PROLOGUE + LIB + body + Guest.EPILOGUE);
        } catch (Exception e) {
            throw new AssertionError("could not assemble the test program: " + e.getMessage(), e);
        }
        Guest.Result r;
        Thread[] watchdog = new Thread[1];
        try {
            r = Guest.runElf(elf, m -> {
                if (setup != null) setup.accept(m);
                // A guest idling in wfi retires nothing, so Guest's instruction limit never ends it.
                watchdog[0] = Thread.ofPlatform().daemon().start(() -> {
                    try {
                        Thread.sleep(WATCHDOG_MILLIS);
                        m.powerOff(WATCHDOG_STATUS);
                    } catch (InterruptedException e) {
                        // the run ended in time
                    }
                });
            });
        } catch (Exception e) {
            throw new AssertionError("could not run the test program: " + e.getMessage(), e);
        } finally {
            if (watchdog[0] != null) watchdog[0].interrupt();
        }
        List<String> checks = checkLines(body);
        if (r.status() != 0) fail(describe(r, checks, elf));
        assertEquals(checks.size(), r.x(19), "checks executed (s3) vs. CHECK lines in the program: some were skipped");
        if (qemuToo && Boolean.getBoolean("jvisor.priv.qemu")) crossCheckOnQemu(elf);
        return new Run(r, elf);
    }

    private static final long WATCHDOG_MILLIS = 5_000;
    private static final int WATCHDOG_STATUS = 0x7ff;

    private static final Pattern CHECK_LINE = Pattern.compile("^\\s*(?:[\\w.]+:\\s*)?(CHECK_\\w+)\\b.*");

    /** The body's check macro invocations, in order: check number n is element n-1. */
    private static List<String> checkLines(String body) {
        List<String> lines = new ArrayList<>();
        for (String line : body.split("\n")) {
            String code = line.replaceFirst("#.*", "");
            if (CHECK_LINE.matcher(code).matches()) lines.add(line.strip());
        }
        return lines;
    }

    private static String describe(Guest.Result r, List<String> checks, Path elf) {
        int status = r.status();
        String regs = String.format("gp(actual)=0x%x tp(expected)=0x%x traps(s8)=%d last trap: level=%d cause=0x%x"
                        + " epc=0x%x tval=0x%x status=0x%x trace(s5)=0x%x", r.x(3), r.x(4), r.x(24), r.x(23),
                r.x(25), r.x(26), r.x(27), r.x(22), r.x(21));
        String what;
        if (status >= 1 && status <= checks.size()) {
            what = "check #" + status + " failed: " + checks.get(status - 1);
        } else if (status == 0x3fe) {
            what = "reached UNREACHABLE";
        } else if (status == 0x3ff) {
            what = "more than 16 traps (a trap loop?): gp=cause tp=epc";
        } else if (status == WATCHDOG_STATUS) {
            what = "still running after " + WATCHDOG_MILLIS + " ms (waiting in wfi for an interrupt that never comes?)";
        } else if (status >= 0x400) {
            what = "unexpected trap to Guest's default handler, status 0x" + Integer.toHexString(status)
                    + String.format(" (mepc=0x%x mtval=0x%x)", r.x(31), r.x(30));
        } else {
            what = "exit status " + status;
        }
        return what + "\n  " + regs + "\n  program: " + elf;
    }

    // ---- optional cross-check against QEMU ----

    private static void crossCheckOnQemu(Path elf) {
        List<String> cmd = List.of("qemu-system-riscv64", "-M", "spike", "-cpu", "rv64,h=false", "-m", "16M",
                "-bios", "none", "-nographic", "-monitor", "none", "-serial", "none", "-kernel", elf.toString());
        try {
            Path log = Path.of(elf + ".qemu.log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("QEMU did not finish " + elf);
            }
            assertEquals(0, p.exitValue(), "QEMU disagrees (exit status = failing check number mod 256) on " + elf
                    + "\n" + Files.readString(log));
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("could not run QEMU: " + e, e);
        }
    }
}
