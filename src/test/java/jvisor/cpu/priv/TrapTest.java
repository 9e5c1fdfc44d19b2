package jvisor.cpu.priv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Synchronous traps (privileged spec 1.12 §3.1.6-3.1.9, §3.3.2, §4.1.1): causes and tval of
 * ecall, ebreak and illegal instructions, delegation through medeleg, and the status stacks
 * pushed by trap entry and popped by mret/sret.
 */
@Timeout(10)
class TrapTest {

    @Test
    void ecallCauseTellsWhichPrivilegeCalled() {
        Priv.run("""
                1:ecall
                  CHECK_TRAP 3, ECALL_M, 1b, 0
                  CHECK_MASK s6, MSTATUS_MPP, MSTATUS_MPP
                  GO_S
                2:ecall
                  CHECK_TRAP 3, ECALL_S, 2b, 0
                  CHECK_MASK s6, MSTATUS_MPP, MPP_S
                  TO_M
                  GO_U
                3:ecall
                  CHECK_TRAP 3, ECALL_U, 3b, 0
                  CHECK_MASK s6, MSTATUS_MPP, 0
                  TO_M
                """);
    }

    @Test
    void ebreakIsABreakpointAtItsOwnAddress() {
        Priv.run("""
                1:ebreak
                  CHECK_BREAKPOINT 3, 1b
                  GO_S
                2:ebreak
                  CHECK_BREAKPOINT 3, 2b
                  TO_M
                  GO_U
                3:ebreak
                  CHECK_BREAKPOINT 3, 3b
                  TO_M
                """);
    }

    @Test
    void illegalInstructionTvalHoldsTheInstructionBits() {
        Priv.run("""
                1:.word 0x0000000b             # custom-0 opcode: not implemented
                  CHECK_TRAP 3, ILLEGAL, 1b, 0x0000000b
                2:.hword 0x0000                # the all-zeros 16-bit encoding is defined illegal
                  CHECK_TRAP 3, ILLEGAL, 2b, 0
                3:.hword 0x6081                # c.lui ra, 0: reserved (a 16-bit tval)
                  CHECK_TRAP 3, ILLEGAL, 3b, 0x6081
                  .hword 0x0001                # c.nop, to realign
                4:.word 0x30200073 | 1 << 7    # mret with rd != 0
                  CHECK_TRAP 3, ILLEGAL, 4b, 0x30200073 | 1 << 7
                """);
    }

    @Test
    void misalignedAtomicsRaiseAddressMisalignedWithTheAddress() {
        Priv.runNoQemu("QEMU 7.2 reports misaligned AMOs as misaligned loads", """
                  li t3, DATA + 2
                1:amoadd.w a0, a0, (t3)
                  CHECK_TRAP 3, 6, 1b, DATA + 2           # store/AMO address misaligned
                  li t3, DATA + 4
                2:lr.d a0, (t3)
                  CHECK_TRAP 3, 4, 2b, DATA + 4           # load address misaligned
                3:sc.d a0, a0, (t3)
                  CHECK_TRAP 3, 6, 3b, DATA + 4
                4:amoswap.d a0, a0, (t3)
                  CHECK_TRAP 3, 6, 4b, DATA + 4
                """);
    }

    @Test
    void fetchingPastTheEndOfMemoryFaultsOnThatHalfOfTheInstruction() {
        Priv.runNoQemu("QEMU 7.2 aborts on this fetch (translator_access assertion)", """
                  li t3, 0x80fffffe                       # the last halfword of RAM:
                  li t4, 0x0513                           # the first half of addi a0, zero, 0
                  sh t4, 0(t3)
                  SET_RESUME 1f
                  jr t3
                1:CHECK_TRAP_VA 3, INSN_ACCESS, 0x80fffffe, 0x81000000
                """);
    }

    @Test
    void trapsFromMachineModeAreNeverDelegated() {
        Priv.run("""
                  li t3, -1
                  csrw medeleg, t3
                1:ecall
                  CHECK_TRAP 3, ECALL_M, 1b, 0
                2:ebreak
                  CHECK_BREAKPOINT 3, 2b
                3:csrr a0, 0x123
                  CHECK_ILLEGAL 3, 3b
                  li t3, 0x40000000
                4:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_ACCESS, 4b, 0x40000000
                  csrw medeleg, zero
                """);
    }

    @Test
    void delegatedTrapsFromUserModeChangeOnlySupervisorState() {
        var run = Priv.run("""
                  li t3, 1 << ECALL_U | 1 << BREAKPOINT | 1 << ILLEGAL | 1 << LOAD_ACCESS
                  csrw medeleg, t3
                  li t3, 0x1110                # sentinels in the machine trap state
                  csrw mepc, t3
                  li t3, 0x2222
                  csrw mcause, t3
                  li t3, 0x3333
                  csrw mtval, t3
                  li t3, MSTATUS_MPP | MSTATUS_MIE
                  csrc mstatus, t3
                  li t3, MPP_S | MSTATUS_MPIE
                  csrs mstatus, t3
                  # enter U-mode with sret (mret would rewrite the M stack), with SIE = 0
                  li t3, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
                  csrc mstatus, t3
                  la t3, 1f
                  csrw sepc, t3
                  sret
                  UNREACHABLE
                1:ecall
                  CHECK_TRAP 1, ECALL_U, 1b, 0
                  CHECK_MASK s6, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, 0
                2:ebreak
                  CHECK_BREAKPOINT 1, 2b
                3:csrr a0, mstatus
                  CHECK_ILLEGAL 1, 3b
                  li t3, 0x40000000
                4:ld a0, 0(t3)
                  CHECK_TRAP 1, LOAD_ACCESS, 4b, 0x40000000
                  EXIT_PASS                    # straight from U-mode: no trap to M on the way
                """);
        assertEquals(0x1110, run.csr(0x341), "mepc");
        assertEquals(0x2222, run.csr(0x342), "mcause");
        assertEquals(0x3333, run.csr(0x343), "mtval");
        long mstatus = run.csr(0x300);
        assertEquals(1, mstatus >>> 11 & 3, "mstatus.MPP");
        assertEquals(1, mstatus >>> 7 & 1, "mstatus.MPIE");
        assertEquals(0, mstatus >>> 3 & 1, "mstatus.MIE");
    }

    @Test
    void delegatedTrapsFromSupervisorModeRecordSppAndSpie() {
        var run = Priv.run("""
                  li t3, 1 << BREAKPOINT | 1 << ILLEGAL
                  csrw medeleg, t3
                  li t3, 0x1110
                  csrw mepc, t3
                  li t3, MSTATUS_SPP | MSTATUS_SPIE   # sret from M into S with SIE = 1
                  csrs mstatus, t3
                  la t3, 1f
                  csrw sepc, t3
                  sret
                  UNREACHABLE
                1:CHECK_CSR_MASK sstatus, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP, MSTATUS_SIE | MSTATUS_SPIE
                2:ebreak
                  CHECK_BREAKPOINT 1, 2b
                  CHECK_MASK s6, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPP | MSTATUS_SPIE
                  CHECK_CSR_MASK sstatus, MSTATUS_SIE, MSTATUS_SIE     # restored by the handler's sret
                3:.word 0x0000000b
                  CHECK_TRAP 1, ILLEGAL, 3b, 0x0000000b
                  EXIT_PASS
                """);
        assertEquals(0x1110, run.csr(0x341), "mepc");
    }

    @Test
    void mretPopsTheMachineStack() {
        Priv.run("""
                  # into M: MIE <- MPIE, MPIE <- 1, MPP <- U
                  li t3, MSTATUS_MPP | MSTATUS_MPIE
                  csrs mstatus, t3
                  la t3, 1f
                  csrw mepc, t3
                  mret
                  UNREACHABLE
                1:CHECK_CSR_MASK mstatus, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP, MSTATUS_MIE | MSTATUS_MPIE
                  li t3, MSTATUS_MIE | MSTATUS_MPIE
                  csrc mstatus, t3
                  li t3, MSTATUS_MPP
                  csrs mstatus, t3
                  la t3, 2f
                  csrw mepc, t3
                  mret
                  UNREACHABLE
                2:CHECK_CSR_MASK mstatus, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP, MSTATUS_MPIE
                  GO_S
                4:ecall                      # mret with MPP = S lands in S-mode
                  CHECK_TRAP 3, ECALL_S, 4b, 0
                  TO_M
                """);
    }

    @Test
    void returningBelowMachineModeClearsMprv() {
        Priv.runNoQemu("QEMU 7.2 leaves MPRV set", """
                  # MPRV survives a return to M and is cleared by any return below M
                  li t3, MSTATUS_MPRV | MSTATUS_MPP
                  csrs mstatus, t3
                  la t3, 1f
                  csrw mepc, t3
                  mret
                  UNREACHABLE
                1:CHECK_CSR_MASK mstatus, MSTATUS_MPRV, MSTATUS_MPRV
                  GO_S
                  TO_M
                  CHECK_CSR_MASK mstatus, MSTATUS_MPRV, 0
                  li t3, MSTATUS_MPRV
                  csrs mstatus, t3
                  GO_U
                  TO_M
                  CHECK_CSR_MASK mstatus, MSTATUS_MPRV, 0
                  li t3, MSTATUS_MPRV | MSTATUS_SPP
                  csrs mstatus, t3
                  la t3, 2f
                  csrw sepc, t3
                  sret                         # sret in M-mode, to S
                  UNREACHABLE
                2:TO_M
                  CHECK_CSR_MASK mstatus, MSTATUS_MPRV, 0
                """);
    }

    @Test
    void sretPopsTheSupervisorStack() {
        Priv.run("""
                  GO_S
                  li t3, MSTATUS_SPP | MSTATUS_SPIE
                  csrs sstatus, t3
                  li t3, MSTATUS_SIE
                  csrc sstatus, t3
                  la t3, 1f
                  csrw sepc, t3
                  sret
                  UNREACHABLE
                  # into S: SIE <- SPIE, SPIE <- 1, SPP <- U
                1:CHECK_CSR_MASK sstatus, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP, MSTATUS_SIE | MSTATUS_SPIE
                2:ecall
                  CHECK_TRAP 3, ECALL_S, 2b, 0
                  li t3, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP
                  csrc sstatus, t3
                  la t3, 3f
                  csrw sepc, t3
                  sret
                  UNREACHABLE
                3:ecall                      # into U
                  CHECK_TRAP 3, ECALL_U, 3b, 0
                  TO_M
                  CHECK_CSR_MASK mstatus, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP, MSTATUS_SPIE
                  # sret is legal in M-mode and goes to SPP
                  li t3, MSTATUS_SPP
                  csrs mstatus, t3
                  la t3, 4f
                  csrw sepc, t3
                  sret
                  UNREACHABLE
                4:ecall
                  CHECK_TRAP 3, ECALL_S, 4b, 0
                  TO_M
                """);
    }
}
