package jvisor.cpu.priv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Who may execute which CSR and privileged instruction (privileged spec 1.12 §2.1, §3.1.6.5,
 * §3.1.11-12, §3.3, §4.1): the privilege encoded in csr[9:8], read-only CSRs (csr[11:10] = 3),
 * unknown CSRs, counter enables, and the TVM/TW/TSR traps. Every violation is an
 * illegal-instruction exception whose tval holds the instruction bits.
 */
@Timeout(10)
class CsrAccessTest {

    @Test
    void machineCsrsAreIllegalBelowMachineMode() {
        Priv.run("""
                  GO_S
                1:csrr a0, mstatus
                  CHECK_ILLEGAL 3, 1b
                2:csrw mscratch, a0
                  CHECK_ILLEGAL 3, 2b
                3:csrr a0, misa
                  CHECK_ILLEGAL 3, 3b
                4:csrr a0, mhartid
                  CHECK_ILLEGAL 3, 4b
                5:csrr a0, mcycle
                  CHECK_ILLEGAL 3, 5b
                6:csrr a0, pmpcfg0
                  CHECK_ILLEGAL 3, 6b
                7:csrs mie, a0
                  CHECK_ILLEGAL 3, 7b
                8:csrr a0, mcounteren
                  CHECK_ILLEGAL 3, 8b
                  TO_M
                  GO_U
                1:csrr a0, mstatus
                  CHECK_ILLEGAL 3, 1b
                2:csrr a0, mepc
                  CHECK_ILLEGAL 3, 2b
                3:csrr a0, mtvec
                  CHECK_ILLEGAL 3, 3b
                  TO_M
                """);
    }

    @Test
    void supervisorCsrsAreIllegalInUserModeAndLegalInSupervisorMode() {
        Priv.run("""
                  GO_U
                1:csrr a0, sstatus
                  CHECK_ILLEGAL 3, 1b
                2:csrw sscratch, a0
                  CHECK_ILLEGAL 3, 2b
                3:csrr a0, satp
                  CHECK_ILLEGAL 3, 3b
                4:csrr a0, stvec
                  CHECK_ILLEGAL 3, 4b
                5:csrr a0, sip
                  CHECK_ILLEGAL 3, 5b
                6:csrc sie, a0
                  CHECK_ILLEGAL 3, 6b
                7:csrr a0, scounteren
                  CHECK_ILLEGAL 3, 7b
                8:csrr a0, sepc
                  CHECK_ILLEGAL 3, 8b
                  TO_M
                  GO_S
                  li a1, 0x5a5a
                  csrw sepc, a1
                  csrr a0, sepc
                  CHECK_EQ a0, 0x5a5a
                  csrr a0, sstatus
                  csrr a0, stvec
                  csrr a0, satp
                  csrr a0, scounteren
                  CHECK_NO_TRAP
                  TO_M
                """);
    }

    @Test
    void readOnlyCsrsRejectEveryWriteAttempt() {
        Priv.run("""
                  # reads, and set/clear forms that write nothing, are fine
                  csrr a0, mhartid
                  CHECK_EQ a0, 0
                  csrr a0, mvendorid
                  csrr a0, marchid
                  csrr a0, mimpid
                  csrrs a0, mhartid, x0
                  csrrsi a0, mvendorid, 0
                  csrrci a0, marchid, 0
                  CHECK_NO_TRAP
                  # csrrw always writes, even from x0
                  li a1, 1
                1:csrw mhartid, zero
                  CHECK_ILLEGAL 3, 1b
                2:csrrwi a0, mimpid, 0
                  CHECK_ILLEGAL 3, 2b
                3:csrrs a0, mvendorid, a1
                  CHECK_ILLEGAL 3, 3b
                4:csrrci a0, marchid, 1
                  CHECK_ILLEGAL 3, 4b
                5:csrw cycle, a0
                  CHECK_ILLEGAL 3, 5b
                6:csrc instret, a1
                  CHECK_ILLEGAL 3, 6b
                7:csrw mconfigptr, zero
                  CHECK_ILLEGAL 3, 7b
                """);
    }

    @Test
    void setOrClearFromANonZeroRegisterWritesEvenWhenItHoldsZero() {
        // Zicsr: only rs1 = x0 makes csrrs/csrrc a pure read; a register holding zero still writes.
        Priv.runNoQemu("QEMU 7.2 treats csrrs/csrrc with a zero-valued rs1 as a read", """
                  li a1, 0
                1:csrrs a0, mvendorid, a1
                  CHECK_ILLEGAL 3, 1b
                2:csrc instret, a1
                  CHECK_ILLEGAL 3, 2b
                3:csrs hpmcounter3, a1
                  CHECK_ILLEGAL 3, 3b
                """);
    }

    @Test
    void unknownCsrsAreIllegalWithTheInstructionAsTval() {
        Priv.run("""
                1:csrr a0, 0x123
                  CHECK_ILLEGAL 3, 1b
                2:csrw 0x5c0, a0
                  CHECK_ILLEGAL 3, 2b
                3:csrr a0, 0x6c0       # custom hypervisor read/write: none here
                  CHECK_ILLEGAL 3, 3b
                4:csrr a0, 0x3a1       # pmpcfg1 does not exist on RV64
                  CHECK_ILLEGAL 3, 4b
                5:csrr a0, 0x7b0       # dcsr: debug mode only
                  CHECK_ILLEGAL 3, 5b
                6:csrrs a0, 0x800, x0
                  CHECK_ILLEGAL 3, 6b
                7:csrrwi a0, 0xfff, 3
                  CHECK_ILLEGAL 3, 7b
                  GO_S
                8:csrr a0, 0x1ff
                  CHECK_ILLEGAL 3, 8b
                  TO_M
                """);
    }

    @Test
    void countersAreGatedByMcounterenAndScounteren() {
        Priv.run("""
                  csrw mcounteren, zero
                  csrw scounteren, zero
                  rdcycle a0               # M-mode always may
                  rdinstret a0
                  csrr a0, hpmcounter3
                  CHECK_NO_TRAP
                  GO_S
                1:rdcycle a0
                  CHECK_ILLEGAL 3, 1b
                2:rdinstret a0
                  CHECK_ILLEGAL 3, 2b
                3:csrr a0, hpmcounter3
                  CHECK_ILLEGAL 3, 3b
                  TO_M
                  li t3, 0b101             # CY and IR only
                  csrw mcounteren, t3
                  CHECK_CSR mcounteren, 0b101
                  GO_S
                  rdcycle a0
                  rdinstret a0
                  CHECK_NO_TRAP
                4:csrr a0, hpmcounter3
                  CHECK_ILLEGAL 3, 4b
                  TO_M
                  GO_U                     # U-mode needs scounteren as well
                1:rdcycle a0
                  CHECK_ILLEGAL 3, 1b
                2:rdinstret a0
                  CHECK_ILLEGAL 3, 2b
                  TO_M
                  GO_S                     # scounteren is S-mode's to write
                  li t3, 0b101
                  csrw scounteren, t3
                  TO_M
                  GO_U
                  rdcycle a0
                  rdinstret a0
                  CHECK_NO_TRAP
                  TO_M
                  csrw mcounteren, zero    # and mcounteren still gates U-mode
                  GO_U
                3:rdcycle a0
                  CHECK_ILLEGAL 3, 3b
                  TO_M
                  li t3, 0b001
                  csrw mcounteren, t3
                  GO_U
                  rdcycle a0
                  CHECK_NO_TRAP
                4:rdinstret a0
                  CHECK_ILLEGAL 3, 4b
                  TO_M
                """);
    }

    @Test
    void timeCsrIsGatedLikeTheOtherCounters() {
        Priv.runNoQemu("QEMU's spike machine has no time CSR", """
                  csrw mcounteren, zero
                  csrw scounteren, zero
                  rdtime a0
                  CHECK_NO_TRAP
                  GO_S
                1:rdtime a0
                  CHECK_ILLEGAL 3, 1b
                  TO_M
                  li t3, 0b010
                  csrw mcounteren, t3
                  GO_S
                  rdtime a0
                  rdtime a1
                  CHECK_NO_TRAP
                  sltu a2, a1, a0          # time never runs backwards
                  CHECK_EQ a2, 0
                  TO_M
                  GO_U
                2:rdtime a0
                  CHECK_ILLEGAL 3, 2b
                  TO_M
                  li t3, 0b010
                  csrw scounteren, t3
                  GO_U
                  rdtime a0
                  CHECK_NO_TRAP
                  TO_M
                """);
    }

    @Test
    void tvmTrapsSatpAndSfenceInSupervisorMode() {
        Priv.run("""
                  li t3, MSTATUS_TVM
                  csrs mstatus, t3
                  csrr a0, satp            # TVM never affects M-mode
                  sfence.vma
                  CHECK_NO_TRAP
                  GO_S
                1:csrr a0, satp
                  CHECK_ILLEGAL 3, 1b
                2:csrw satp, zero
                  CHECK_ILLEGAL 3, 2b
                3:sfence.vma
                  CHECK_ILLEGAL 3, 3b
                4:sfence.vma a0, a1
                  CHECK_ILLEGAL 3, 4b
                  TO_M
                  li t3, MSTATUS_TVM
                  csrc mstatus, t3
                  GO_S
                  csrr a0, satp
                  csrw satp, zero
                  sfence.vma
                  sfence.vma a0
                  CHECK_NO_TRAP
                  TO_M
                  GO_U
                5:sfence.vma
                  CHECK_ILLEGAL 3, 5b
                  TO_M
                """);
    }

    @Test
    void wfiIsIllegalInUserModeAndInSupervisorModeWithTw() {
        Priv.run("""
                  # keep an enabled S-level interrupt pending so that a legal wfi returns at once;
                  # delegated, it is never taken in M, nor in S with sstatus.SIE = 0
                  li t3, 1 << SSI
                  csrw mideleg, t3
                  csrw mie, t3
                  csrs mip, t3
                  wfi
                  CHECK_NO_TRAP
                  GO_S
                  wfi
                  CHECK_NO_TRAP
                  TO_M
                  li t3, MSTATUS_TW
                  csrs mstatus, t3
                  wfi                      # TW only concerns less privileged modes
                  CHECK_NO_TRAP
                  GO_S
                1:wfi
                  CHECK_ILLEGAL 3, 1b
                  TO_M
                  li t3, MSTATUS_TW
                  csrc mstatus, t3
                  csrw mie, zero
                  csrw mip, zero
                  GO_U
                2:wfi
                  CHECK_ILLEGAL 3, 2b
                  TO_M
                """);
    }

    @Test
    void sretAndMretAreIllegalWhereTheSpecSaysSo() {
        Priv.run("""
                  li t3, MSTATUS_TSR
                  csrs mstatus, t3
                  GO_S
                1:sret
                  CHECK_ILLEGAL 3, 1b
                2:mret
                  CHECK_ILLEGAL 3, 2b
                  TO_M
                  li t3, MSTATUS_TSR
                  csrc mstatus, t3
                  GO_S                     # without TSR, sret works in S-mode
                  li t3, MSTATUS_SPP
                  csrs sstatus, t3
                  la t3, 3f
                  csrw sepc, t3
                  sret
                  UNREACHABLE
                3:CHECK_NO_TRAP
                  CHECK_CSR_MASK sstatus, MSTATUS_SPP, 0
                  TO_M
                  GO_U
                4:sret
                  CHECK_ILLEGAL 3, 4b
                5:mret
                  CHECK_ILLEGAL 3, 5b
                  TO_M
                """);
    }
}
