package jvisor.cpu.priv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What CSRs hold (privileged spec 1.12 ch. 3-4): sstatus/sie/sip as views of their machine
 * registers, mstatus.SD, misa, and the WARL fields (satp.MODE, xtvec.MODE, medeleg, mideleg,
 * mie, mip, mstatus.MPP, xepc alignment).
 */
@Timeout(10)
class CsrFieldsTest {

    @Test
    void sstatusIsAWindowOntoMstatus() {
        Priv.run("""
                  .equ ALL_FIELDS, MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP | MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
                  li t3, ALL_FIELDS
                  csrw mstatus, t3
                  CHECK_CSR mstatus, ALL_FIELDS | MSTATUS_SD | 0xa00000000  # SXL = UXL = 2: 64-bit
                  # only SIE SPIE SPP FS SUM MXR UXL SD show through
                  CHECK_CSR sstatus, MSTATUS_SD | 2 << 32 | MSTATUS_MXR | MSTATUS_SUM | MSTATUS_FS | MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
                  csrw mstatus, zero
                  CHECK_CSR mstatus, 0xa00000000
                  # writing sstatus leaves every machine field alone
                  li t3, MSTATUS_MPIE | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MPP_S
                  csrs mstatus, t3
                  li t3, MSTATUS_MXR | MSTATUS_SUM | MSTATUS_FS | MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
                  csrw sstatus, t3
                  CHECK_CSR mstatus, MSTATUS_SD | 0xa00000000 | MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM | MSTATUS_MXR | MSTATUS_SUM | MSTATUS_FS | MPP_S | MSTATUS_SPP | MSTATUS_MPIE | MSTATUS_SPIE | MSTATUS_SIE
                  csrw sstatus, zero
                  CHECK_CSR mstatus, 0xa00000000 | MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM | MPP_S | MSTATUS_MPIE
                  csrw mstatus, zero
                """);
    }

    @Test
    void writingAllOnesSetsOnlyImplementedBits() {
        Priv.runNoQemu("QEMU 7.2 lets UXL become 3, VS and the VS-level interrupt bits be set without H or V,"
                + " and medeleg[11] be set", """
                  li t3, -1
                  csrw mstatus, t3
                  CHECK_CSR mstatus, MSTATUS_SD | 0xca00000000 | MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM | MSTATUS_MXR | MSTATUS_SUM | MSTATUS_MPRV | MSTATUS_FS | MSTATUS_MPP | MSTATUS_SPP | MSTATUS_MPIE | MSTATUS_SPIE | MSTATUS_MIE | MSTATUS_SIE
                  CHECK_CSR sstatus, MSTATUS_SD | 2 << 32 | MSTATUS_MXR | MSTATUS_SUM | MSTATUS_FS | MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
                  csrw mstatus, zero
                  li t3, -1
                  csrw sstatus, t3
                  CHECK_CSR mstatus, MSTATUS_SD | 0xa00000000 | MSTATUS_MXR | MSTATUS_SUM | MSTATUS_FS | MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
                  csrw mstatus, zero
                  csrw mie, t3
                  CHECK_CSR mie, 1 << MEI | 1 << SEI | 1 << MTI | 1 << STI | 1 << MSI | 1 << SSI | 0x1444
                  csrw mie, zero
                  csrw medeleg, t3                 # every cause but ecall from M (bit 11 is read-only zero)
                  CHECK_CSR medeleg, 0xf0b7ff      # with H: ecall from VS, guest-page faults, virtual instruction
                  csrw medeleg, zero
                  csrw mideleg, t3                 # only S-level interrupts, and the VS ones (read-only one)
                  CHECK_CSR mideleg, 1 << SEI | 1 << STI | 1 << SSI | 0x1444
                  csrw mideleg, zero
                """);
    }

    @Test
    void sdSummarisesADirtyFloatingPointState() {
        Priv.run("""
                  li t3, MSTATUS_FS
                  csrc mstatus, t3
                  CHECK_CSR_MASK mstatus, MSTATUS_SD | MSTATUS_FS, 0
                  li t3, 1 << 13                   # Initial
                  csrs mstatus, t3
                  CHECK_CSR_MASK mstatus, MSTATUS_SD | MSTATUS_FS, 1 << 13
                  li t3, MSTATUS_FS                # Clean
                  csrc mstatus, t3
                  li t3, 2 << 13
                  csrs mstatus, t3
                  CHECK_CSR_MASK mstatus, MSTATUS_SD | MSTATUS_FS, 2 << 13
                  CHECK_CSR_MASK sstatus, MSTATUS_SD | MSTATUS_FS, 2 << 13
                  fmv.d.x f1, zero                 # an FP write makes the state Dirty
                  CHECK_CSR_MASK mstatus, MSTATUS_SD | MSTATUS_FS, MSTATUS_SD | MSTATUS_FS
                  CHECK_CSR_MASK sstatus, MSTATUS_SD | MSTATUS_FS, MSTATUS_SD | MSTATUS_FS
                  li t3, MSTATUS_FS                # Off: SD clears and FP instructions are illegal
                  csrc mstatus, t3
                  CHECK_CSR_MASK mstatus, MSTATUS_SD, 0
                1:fmv.d.x f1, zero
                  CHECK_ILLEGAL 3, 1b
                2:csrr a0, fcsr
                  CHECK_ILLEGAL 3, 2b
                """);
    }

    @Test
    void misaReportsRv64Acdfhimsu() {
        Priv.run("""
                  CHECK_CSR misa, 2 << 62 | 1 << 20 | 1 << 18 | 1 << 12 | 1 << 8 | 1 << 7 | 1 << 5 | 1 << 3 | 1 << 2 | 1 << 0
                  csrw misa, zero                  # WARL: nothing can be switched off
                  CHECK_CSR misa, 2 << 62 | 1 << 20 | 1 << 18 | 1 << 12 | 1 << 8 | 1 << 7 | 1 << 5 | 1 << 3 | 1 << 2 | 1 << 0
                """);
    }

    @Test
    void satpKeepsItsValueWhenAnUnsupportedModeIsWritten() {
        Priv.run("""
                  li t3, 8 << 60 | 0x80c00         # Sv39
                  csrw satp, t3
                  CHECK_CSR satp, 8 << 60 | 0x80c00
                  li t3, 1 << 60 | 0x12345         # Sv32 does not exist on RV64
                  csrw satp, t3
                  CHECK_CSR satp, 8 << 60 | 0x80c00
                  li t3, 11 << 60 | 0x12345        # Sv64 (reserved)
                  csrw satp, t3
                  CHECK_CSR satp, 8 << 60 | 0x80c00
                  li t3, 5 << 60 | 0x12345         # reserved encoding
                  csrw satp, t3
                  CHECK_CSR satp, 8 << 60 | 0x80c00
                  li t3, 9 << 60 | 0x80c01         # Sv48
                  csrw satp, t3
                  CHECK_CSR satp, 9 << 60 | 0x80c01
                  li t3, 10 << 60 | 0x80c02        # Sv57
                  csrw satp, t3
                  CHECK_CSR satp, 10 << 60 | 0x80c02
                  csrw satp, zero                  # Bare
                  CHECK_CSR satp, 0
                """);
    }

    @Test
    void trapVectorModes() {
        Priv.run("""
                  la t4, __mtrap
                  ori t3, t4, 1                    # vectored
                  csrw mtvec, t3
                  csrr a0, mtvec
                  CHECK_SAME a0, t3
                  csrw mtvec, t4                   # direct
                  csrr a0, mtvec
                  CHECK_SAME a0, t4
                  ori t3, t4, 2                    # reserved mode: reads back a legal one
                  csrw mtvec, t3
                  CHECK_CSR_MASK mtvec, 2, 0
                  csrw mtvec, t4
                  la t4, __strap
                  ori t3, t4, 1
                  csrw stvec, t3
                  csrr a0, stvec
                  CHECK_SAME a0, t3
                  ori t3, t4, 3
                  csrw stvec, t3
                  CHECK_CSR_MASK stvec, 2, 0
                  csrw stvec, t4
                """);
    }

    @Test
    void delegationRegistersHoldOnlyDelegableCauses() {
        Priv.run("""
                  li t3, -1
                  csrw medeleg, t3
                  CHECK_CSR_MASK medeleg, 1 << ILLEGAL | 1 << BREAKPOINT | 1 << ECALL_U | 1 << FETCH_PF | 1 << LOAD_PF | 1 << STORE_PF, 1 << ILLEGAL | 1 << BREAKPOINT | 1 << ECALL_U | 1 << FETCH_PF | 1 << LOAD_PF | 1 << STORE_PF
                  csrw medeleg, zero
                  li t3, -1
                  csrw mideleg, t3
                  CHECK_CSR_MASK mideleg, 0xaaa, 1 << SEI | 1 << STI | 1 << SSI   # no M-level interrupt
                  csrw mideleg, zero
                """);
    }

    @Test
    void interruptEnableAndPendingMasks() {
        Priv.run("""
                  li t3, -1
                  csrw mie, t3
                  CHECK_CSR_MASK mie, 0xaaa, 0xaaa
                  csrw mie, zero
                  csrw mip, t3                     # only the S-level bits are writable in mip
                  CHECK_CSR_MASK mip, 0xaaa, 1 << SEI | 1 << STI | 1 << SSI
                  csrw mip, zero
                  CHECK_CSR_MASK mip, 0xaaa, 0
                """);
    }

    @Test
    void sieIsTheDelegatedPartOfMie() {
        Priv.run("""
                  csrw mideleg, zero
                  li t3, 0xaaa
                  csrw mie, t3
                  CHECK_CSR sie, 0                 # nothing delegated: nothing visible
                  csrw sie, zero
                  CHECK_CSR mie, 0xaaa
                  li t3, 1 << SSI | 1 << STI
                  csrw mideleg, t3
                  CHECK_CSR sie, 1 << SSI | 1 << STI
                  csrw sie, zero                   # clears only the delegated bits of mie
                  CHECK_CSR mie, 0xaaa & ~(1 << SSI | 1 << STI)
                  li t3, -1
                  csrw sie, t3
                  CHECK_CSR sie, 1 << SSI | 1 << STI
                  CHECK_CSR mie, 0xaaa
                  csrw mie, zero
                  csrw mideleg, zero
                """);
    }

    @Test
    void sipIsTheDelegatedPartOfMipAndOnlySsipIsWritable() {
        Priv.run("""
                  li t3, 1 << SSI | 1 << STI
                  csrw mideleg, t3
                  li t3, 1 << SSI | 1 << STI | 1 << SEI
                  csrs mip, t3                     # mie = 0: nothing is taken
                  CHECK_CSR mip, 1 << SSI | 1 << STI | 1 << SEI
                  CHECK_CSR sip, 1 << SSI | 1 << STI
                  GO_S
                  CHECK_CSR sip, 1 << SSI | 1 << STI
                  li t3, 1 << SSI
                  csrc sip, t3
                  CHECK_CSR sip, 1 << STI
                  li t3, 1 << STI                  # STIP belongs to the execution environment
                  csrc sip, t3
                  CHECK_CSR sip, 1 << STI
                  li t3, 1 << SSI
                  csrs sip, t3
                  CHECK_CSR sip, 1 << SSI | 1 << STI
                  TO_M
                  CHECK_CSR mip, 1 << SSI | 1 << STI | 1 << SEI
                  csrw mideleg, zero               # undelegated: sip shows and changes nothing
                  CHECK_CSR sip, 0
                  csrw sip, zero
                  CHECK_CSR mip, 1 << SSI | 1 << STI | 1 << SEI
                  csrw mip, zero
                """);
    }

    @Test
    void mppNeverHoldsTheReservedValue() {
        Priv.runNoQemu("QEMU 7.2 stores MPP = 2", """
                  li t3, MSTATUS_MPP
                  csrc mstatus, t3
                  li t3, 2 << 11
                  csrs mstatus, t3
                  csrr a0, mstatus
                  srli a0, a0, 11
                  andi a0, a0, 3
                  CHECK_NE a0, 2
                  CHECK_EQ a0, 0                   # jvisor's legal value: U
                """);
    }

    @Test
    void exceptionPcsAreHalfwordAligned() {
        Priv.runNoQemu("QEMU 7.2 lets mepc[0] be set", """
                  li t3, 0x80001003
                  csrw mepc, t3
                  CHECK_CSR mepc, 0x80001002
                  csrw sepc, t3
                  CHECK_CSR sepc, 0x80001002
                  li t3, -1
                  csrw mscratch, t3                # scratch registers hold anything
                  CHECK_CSR mscratch, -1
                  csrw sscratch, t3
                  CHECK_CSR sscratch, -1
                """);
    }

    @Test
    void stimecmpNeedsStceAndTimeEnabled() {
        Priv.runNoQemu("QEMU's spike machine has no time CSR, so no Sstc", """
                  csrr a0, stimecmp                # M-mode always may
                  CHECK_NO_TRAP
                  GO_S
                1:csrr a0, stimecmp                # menvcfg.STCE = 0
                  CHECK_ILLEGAL 3, 1b
                  TO_M
                  li t3, 1
                  slli t3, t3, 63
                  csrs menvcfg, t3
                  CHECK_CSR_MASK menvcfg, 1 << 63, 1 << 63
                  csrw mcounteren, zero
                  GO_S
                2:csrr a0, stimecmp                # mcounteren.TM = 0
                  CHECK_ILLEGAL 3, 2b
                  TO_M
                  li t3, 0b010
                  csrw mcounteren, t3
                  GO_S
                  li t3, -1
                  csrw stimecmp, t3
                  csrr a0, stimecmp
                  CHECK_EQ a0, -1
                  TO_M
                  GO_U
                3:csrr a0, stimecmp
                  CHECK_ILLEGAL 3, 3b
                  TO_M
                """);
    }
}
