package jvisor.cpu.priv;

import jvisor.cpu.Cause;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Interrupts (privileged spec 1.12 §3.1.6.1, §3.1.9, §3.3.3, §4.1.3): which privilege takes an
 * interrupt under mideleg and the global enables, priority among simultaneous interrupts,
 * vectored trap entry, wfi, and the timers (CLINT mtimecmp for MTIP, Sstc stimecmp for STIP).
 * Software and timer interrupts are raised through mip writes and the CLINT, which QEMU's spike
 * machine has at the same address; external interrupts come from Java.
 */
@Timeout(10)
class InterruptTest {
    private static final String QEMU_ORDER =
            "QEMU 7.2 takes simultaneous interrupts in ascending cause order, against spec 1.12 §3.1.9";

    @Test
    void machineModeTakesItsInterruptsOnlyWithMie() {
        Priv.run("""
                  li t3, 1 << MSI
                  csrw mie, t3
                  li t4, CLINT_MSIP
                  li t5, 1
                  sw t5, 0(t4)                   # raise MSIP through the CLINT
                  nop
                  CHECK_NO_TRAP
                  CHECK_CSR_MASK mip, 1 << MSI, 1 << MSI
                  li t3, MSTATUS_MIE
                  csrs mstatus, t3
                1:nop
                  CHECK_TRAP 3, IRQ | MSI, 1b, 0
                  CHECK_MASK s6, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP, MSTATUS_MPIE | MSTATUS_MPP
                  sw zero, 0(t4)
                  CHECK_CSR_MASK mip, 1 << MSI, 0
                  # the same for the timer: MTIP follows mtime >= mtimecmp
                  li t3, 1 << MTI
                  csrw mie, t3
                  li t4, CLINT_MTIMECMP
                  sd zero, 0(t4)
                  WAIT_TRAP
                  CHECK_CAUSE 3, IRQ | MTI
                  CHECK_CSR_MASK mip, 1 << MTI, 1 << MTI
                  li t5, -1
                  sd t5, 0(t4)
                  nop
                  CHECK_CSR_MASK mip, 1 << MTI, 0
                  li t3, MSTATUS_MIE
                  csrc mstatus, t3
                """);
    }

    @Test
    void lowerPrivilegesAlwaysTakeHigherLevelInterrupts() {
        Priv.run("""
                  li t3, 1 << MSI                # MIE = 0 throughout
                  csrw mie, t3
                  li t4, CLINT_MSIP
                  li t5, 1
                  sw t5, 0(t4)
                  CHECK_NO_TRAP
                  GO_S
                  CHECK_CAUSE 3, IRQ | MSI
                  CHECK_MASK s6, MSTATUS_MPP, MPP_S
                  TO_M
                  li t3, 1 << MSI
                  csrw mie, t3
                  GO_U
                  CHECK_CAUSE 3, IRQ | MSI
                  TO_M
                  sw zero, 0(t4)
                  # a supervisor interrupt reaches S from U-mode even with SIE = 0
                  li t3, 1 << SSI
                  csrw mideleg, t3
                  csrw mie, t3
                  csrs mip, t3
                  GO_U
                  CHECK_CAUSE 1, IRQ | SSI
                  CHECK_MASK s6, MSTATUS_SPP | MSTATUS_SIE | MSTATUS_SPIE, 0
                  TO_M
                  csrw mip, zero
                  csrw mideleg, zero
                """);
    }

    @Test
    void delegatedInterruptsAreTakenInSupervisorModeOnly() {
        Priv.run("""
                  li t3, 1 << SSI
                  csrw mideleg, t3
                  csrw mie, t3
                  li t3, MSTATUS_MIE | MSTATUS_SIE
                  csrs mstatus, t3
                  li t3, 1 << SSI
                  csrs mip, t3
                  nop                            # never in M, whatever MIE and SIE say
                  CHECK_NO_TRAP
                  GO_S
                  CHECK_CAUSE 1, IRQ | SSI
                  CHECK_MASK s6, MSTATUS_SPP | MSTATUS_SIE | MSTATUS_SPIE, MSTATUS_SPP | MSTATUS_SPIE
                  li t3, MSTATUS_SIE             # in S only with SIE
                  csrc sstatus, t3
                  li t3, 1 << SSI
                  csrs sie, t3
                  nop
                  CHECK_NO_TRAP
                  li t3, MSTATUS_SIE
                  csrs sstatus, t3
                1:nop
                  CHECK_TRAP 1, IRQ | SSI, 1b, 0
                  csrci sip, 1 << SSI
                  TO_M
                  li t3, MSTATUS_MIE | MSTATUS_SIE
                  csrc mstatus, t3
                  csrw mideleg, zero
                """);
    }

    @Test
    void supervisorInterruptPriorityIsSeiSsiSti() {
        Priv.runNoQemu(QEMU_ORDER, """
                  li t3, 1 << SEI | 1 << SSI | 1 << STI
                  csrw mie, t3
                  csrs mip, t3
                  li t3, MSTATUS_MIE             # undelegated: all three in M
                  csrs mstatus, t3
                  CHECK_TRACE SEI | T_INT, SSI | T_INT, STI | T_INT
                  li t3, MSTATUS_MIE
                  csrc mstatus, t3
                  li t3, 1 << SEI | 1 << SSI | 1 << STI
                  csrw mideleg, t3               # delegated: all three in S
                  csrw mie, t3
                  GO_S
                  li t3, MSTATUS_SIE
                  csrs sstatus, t3
                  CHECK_TRACE SEI | T_INT | T_S, SSI | T_INT | T_S, STI | T_INT | T_S
                  TO_M
                  csrw mip, zero
                  csrw mideleg, zero
                """);
    }

    @Test
    void machineInterruptPriorityIsMsiMtiSeiSsiSti() {
        Priv.runNoQemu(QEMU_ORDER, """
                  li t4, CLINT_MSIP
                  li t5, 1
                  sw t5, 0(t4)
                  li t4, CLINT_MTIMECMP
                  sd zero, 0(t4)
                  li t3, 1 << SEI | 1 << SSI | 1 << STI
                  csrs mip, t3
                  li t3, 0xaaa
                  csrw mie, t3
                  nop
                  nop
                  li t3, MSTATUS_MIE
                  csrs mstatus, t3
                  CHECK_TRACE MSI | T_INT, MTI | T_INT, SEI | T_INT, SSI | T_INT, STI | T_INT
                  li t3, MSTATUS_MIE
                  csrc mstatus, t3
                  li t5, -1
                  sd t5, 0(t4)
                  li t4, CLINT_MSIP
                  sw zero, 0(t4)
                  csrw mip, zero
                """);
    }

    @Test
    void externalInterruptHasTheHighestPriority() {
        Priv.run("""
                  li t4, CLINT_MSIP
                  li t5, 1
                  sw t5, 0(t4)
                  li t4, CLINT_MTIMECMP
                  sd zero, 0(t4)
                  li t3, 1 << SEI | 1 << SSI | 1 << STI
                  csrs mip, t3
                  li t3, 0xaaa
                  csrw mie, t3
                  nop
                  nop
                  li t3, MSTATUS_MIE
                  csrs mstatus, t3
                  CHECK_TRACE MEI | T_INT, MSI | T_INT, MTI | T_INT, SEI | T_INT, SSI | T_INT, STI | T_INT
                  li t3, MSTATUS_MIE
                  csrc mstatus, t3
                  li t5, -1
                  sd t5, 0(t4)
                """, m -> m.hart(0).raiseInterrupt(Cause.IRQ_MEI));
    }

    /**
     * mip.SEIP reads as the software-writable bit OR the PLIC's line, but only the software bit
     * takes part in csrrs/csrrc (§3.1.9). OpenSBI's {@code csrs mip, SSIP} (an IPI for S-mode)
     * while the UART's interrupt was pending once latched the line into the software bit: S-mode
     * then took SEI forever with nothing to claim, and never its timer (issue 5).
     */
    @Test
    void aReadModifyWriteOfMipLeavesTheExternalSeipLineOut() {
        Priv.runNoQemu("QEMU's spike machine has no PLIC or 16550 UART", """
                  li t4, 0xc000000               # PLIC: source 10 (UART0) at priority 1,
                  li t5, 1
                  sw t5, 4 * 10(t4)
                  li t4, 0xc002080               # enabled for context 1 (hart 0, S-mode)
                  li t5, 1 << 10
                  sw t5, 0(t4)
                  li t6, 0x10000000              # UART0 IER = THRE: its line goes high
                  li t5, 2
                  sb t5, 1(t6)
                  CHECK_CSR_MASK mip, 1 << SEI, 1 << SEI
                  li t3, 1 << SSI
                  csrs mip, t3
                  sb zero, 1(t6)                 # line low again
                  CHECK_CSR_MASK mip, 1 << SEI | 1 << SSI, 1 << SSI
                  li t3, 1 << SEI                # the software bit alone still reads, and clears
                  csrs mip, t3
                  CHECK_CSR_MASK mip, 1 << SEI, 1 << SEI
                  csrc mip, t3
                  CHECK_CSR_MASK mip, 1 << SEI, 0
                  csrw mip, zero
                  sw zero, 0(t4)
                """);
    }

    @Test
    void interruptsForMachineModeComeBeforeInterruptsForSupervisorMode() {
        Priv.run("""
                  # STI to M is taken before the delegated SSI, though SSI > STI on their own
                  li t3, 1 << SSI
                  csrw mideleg, t3
                  li t3, 1 << SSI | 1 << STI
                  csrw mie, t3
                  csrs mip, t3
                  GO_S
                  li t3, MSTATUS_SIE
                  csrs sstatus, t3
                  CHECK_TRACE STI | T_INT, SSI | T_INT | T_S
                  TO_M
                  csrw mip, zero
                  csrw mideleg, zero
                """);
    }

    @Test
    void vectoredModeJumpsToBasePlusFourTimesCause() {
        Priv.run("""
                  la t3, mvec
                  ori t3, t3, 1
                  csrw mtvec, t3
                  li a6, -1
                  li t3, 1 << SSI
                  csrw mie, t3
                  csrs mip, t3
                  li t3, MSTATUS_MIE
                  csrs mstatus, t3
                  CHECK_CAUSE 3, IRQ | SSI
                  CHECK_EQ a6, SSI
                  csrw mip, zero
                  li t3, 1 << MTI
                  csrw mie, t3
                  li t4, CLINT_MTIMECMP
                  sd zero, 0(t4)
                  WAIT_TRAP
                  CHECK_CAUSE 3, IRQ | MTI
                  CHECK_EQ a6, MTI
                  li t5, -1
                  sd t5, 0(t4)
                  li t3, MSTATUS_MIE
                  csrc mstatus, t3
                  li a6, -1                      # exceptions still enter at the base
                1:ecall
                  CHECK_TRAP 3, ECALL_M, 1b, 0
                  CHECK_EQ a6, 0
                  la t3, svec
                  ori t3, t3, 1
                  csrw stvec, t3
                  li t3, 1 << STI
                  csrw mideleg, t3
                  csrw mie, t3
                  csrs mip, t3
                  GO_S
                  li t3, MSTATUS_SIE
                  csrs sstatus, t3
                  CHECK_CAUSE 1, IRQ | STI
                  CHECK_EQ a6, STI
                  TO_M
                  li t3, 1 << BREAKPOINT                # delegated exceptions enter at the base too
                  csrw medeleg, t3
                  GO_S
                  li a6, -1
                2:ebreak
                  CHECK_BREAKPOINT 1, 2b
                  CHECK_EQ a6, 0
                  TO_M
                  csrw medeleg, zero
                  csrw mip, zero
                  csrw mideleg, zero
                  la t3, __mtrap
                  csrw mtvec, t3
                  la t3, __strap
                  csrw stvec, t3
                  j 9f

                  .balign 64
                mvec:
                  .irp k, 0,1,2,3,4,5,6,7,8,9,10,11
                  j mvec\\k
                  .endr
                  .irp k, 0,1,2,3,4,5,6,7,8,9,10,11
                mvec\\k: li a6, \\k
                  j __mtrap
                  .endr
                  .balign 64
                svec:
                  .irp k, 0,1,2,3,4,5,6,7,8,9,10,11
                  j svec\\k
                  .endr
                  .irp k, 0,1,2,3,4,5,6,7,8,9,10,11
                svec\\k: li a6, \\k
                  j __strap
                  .endr
                9:
                """);
    }

    @Test
    void wfiResumesForAnEnabledPendingInterruptEvenWhenGloballyDisabled() {
        Priv.run("""
                  li t3, 1 << MSI                # M-mode, MIE = 0
                  csrw mie, t3
                  li t4, CLINT_MSIP
                  li t5, 1
                  sw t5, 0(t4)
                  wfi
                  CHECK_NO_TRAP
                  sw zero, 0(t4)
                  li t3, 1 << STI                # S-mode, delegated, SIE = 0
                  csrw mideleg, t3
                  csrw mie, t3
                  csrs mip, t3
                  GO_S
                  wfi
                  CHECK_NO_TRAP
                  TO_M
                  csrw mip, zero
                  csrw mideleg, zero
                  # a timer that fires later wakes the hart too
                  li t3, 1 << MTI
                  csrw mie, t3
                  li t4, 0x200bff8               # CLINT mtime
                  ld a0, 0(t4)
                  li t3, 2000000                 # 200 ms at 10 MHz: longer than a loaded host deschedules us
                  add a0, a0, t3
                  li t5, CLINT_MTIMECMP
                  sd a0, 0(t5)
                  CHECK_CSR_MASK mip, 1 << MTI, 0
                  wfi
                  CHECK_NO_TRAP
                  CHECK_CSR_MASK mip, 1 << MTI, 1 << MTI
                  ld a1, 0(t4)
                  sltu a2, a1, a0
                  CHECK_EQ a2, 0
                  li t3, -1
                  sd t3, 0(t5)
                  csrw mie, zero
                """);
    }

    @Test
    void anInterruptThatEndsAWfiIsTakenAfterIt() {
        Priv.run("""
                  li t3, 1 << MTI
                  csrw mie, t3
                  li t3, MSTATUS_MIE
                  csrs mstatus, t3
                  li t4, 0x200bff8               # CLINT mtime
                  ld a0, 0(t4)
                  li t3, 200000                  # 20 ms at 10 MHz: surely after the wfi
                  add a0, a0, t3
                  li t5, CLINT_MTIMECMP
                  sd a0, 0(t5)
                  wfi
                1:CHECK_TRAP 3, IRQ | MTI, 1b, 0  # mepc: the instruction after the wfi
                  li t3, -1
                  sd t3, 0(t5)
                  li t3, MSTATUS_MIE
                  csrc mstatus, t3
                """);
    }

    @Test
    void stimecmpRaisesTheSupervisorTimerInterrupt() {
        Priv.runNoQemu("QEMU's spike machine has no time CSR, so no Sstc", """
                  li t3, 1
                  slli t3, t3, 63
                  csrs menvcfg, t3               # STCE
                  li t3, 0b010
                  csrw mcounteren, t3            # TM
                  li t3, 1 << STI
                  csrs mip, t3                   # with Sstc, STIP is the comparator's alone
                  CHECK_CSR_MASK mip, 1 << STI, 0
                  csrw mideleg, t3
                  GO_S
                  li t3, 1 << STI
                  csrs sie, t3
                  rdtime a0
                  li t3, 20000
                  add a0, a0, t3
                  csrw stimecmp, a0
                  CHECK_CSR_MASK sip, 1 << STI, 0
                  wfi                            # SIE = 0: wfi returns, nothing is taken
                  CHECK_NO_TRAP
                  CHECK_CSR_MASK sip, 1 << STI, 1 << STI
                  rdtime a1
                  sltu a2, a1, a0
                  CHECK_EQ a2, 0
                  li t3, MSTATUS_SIE
                  csrs sstatus, t3
                  CHECK_CAUSE 1, IRQ | STI
                  li t3, -1                      # a comparator in the future clears STIP
                  csrw stimecmp, t3
                  CHECK_CSR_MASK sip, 1 << STI, 0
                  TO_M
                  csrw mideleg, zero             # undelegated, it goes to M
                  li t3, 1 << STI
                  csrw mie, t3
                  GO_S
                  rdtime a0
                  addi a0, a0, 100
                  csrw stimecmp, a0
                1:beqz s8, 1b                    # spin until the handler has seen it
                  CHECK_CAUSE 3, IRQ | STI
                  li t3, -1
                  csrw stimecmp, t3
                  TO_M
                """);
    }
}
