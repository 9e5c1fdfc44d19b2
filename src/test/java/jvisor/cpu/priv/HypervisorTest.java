package jvisor.cpu.priv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hypervisor extension (privileged spec 1.12 ch. 8): the hypervisor and VS CSRs, the VS CSRs
 * standing in for the S CSRs with V=1, virtual-instruction exceptions, trap delegation to HS and
 * VS (hedeleg, hideleg) with SPV/SPVP/MPV/GVA, VS-level interrupts (hvip, vstimecmp), two-stage
 * translation with A/D updates in both stages, guest-page faults (htval/mtval2, htinst/mtinst,
 * including G-stage faults of VS-stage page-table accesses), HLV/HLVX/HSV and the fences.
 *
 * <p>On top of {@link Priv}'s library ({@link #H}): {@code ENTER_VS}/{@code ENTER_VU label} and
 * {@code GO_VS}/{@code GO_VU} (from M, with mstatus.MPV); a VS-level trap handler like the
 * S-mode one that records level 5; trap wrappers that leave, for the last trap, mtval2 or htval
 * in {@code s1}, mtinst or htinst in {@code s2} and (HS traps) hstatus in {@code a6} (s0 is free for loops); a G-stage
 * root table ({@code GMAP gpa, pa, flags, level} maps through the same page-table routines, so
 * guest physical addresses stay below 2^39), {@code HGATP_ON} and {@code VSATP_ON} (the root
 * {@code PT_INIT} made, as a VS-stage table). Programs are not cross-checked on QEMU: its
 * cross-check runs with h=false.
 */
@Timeout(20)
class HypervisorTest {

    static final String H = """
              .option arch, +h
              .equ ECALL_VS, 10
              .equ FETCH_GPF, 20
              .equ LOAD_GPF, 21
              .equ VIRTUAL, 22
              .equ STORE_GPF, 23
              .equ VSSI, 2
              .equ VSTI, 6
              .equ VSEI, 10
              .equ MSTATUS_GVA, 1 << 38
              .equ MSTATUS_MPV, 1 << 39
              .equ HSTATUS_GVA, 1 << 6
              .equ HSTATUS_SPV, 1 << 7
              .equ HSTATUS_SPVP, 1 << 8
              .equ HSTATUS_HU, 1 << 9
              .equ HSTATUS_VTVM, 1 << 20
              .equ HSTATUS_VTW, 1 << 21
              .equ HSTATUS_VTSR, 1 << 22
              .equ GRWX, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D
              .equ GRW, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
              .macro ENTER_VS target
              li t0, MSTATUS_MPP
              csrc mstatus, t0
              li t0, MPP_S | MSTATUS_MPV
              csrs mstatus, t0
              la t0, \\target
              csrw mepc, t0
              mret
            .endm
            .macro ENTER_VU target
              li t0, MSTATUS_MPP
              csrc mstatus, t0
              li t0, MSTATUS_MPV
              csrs mstatus, t0
              la t0, \\target
              csrw mepc, t0
              mret
            .endm
            .macro GO_VS
              ENTER_VS .Lgov\\@
            .Lgov\\@:
            .endm
            .macro GO_VU
              ENTER_VU .Lgov\\@
            .Lgov\\@:
            .endm
            .macro CHECK_INSN level, cause, label
              .set __nchk, __nchk + 1
              li tp, 1
              __CMP s8, __nchk
              li tp, \\level
              __CMP s7, __nchk
              li tp, \\cause
              __CMP s9, __nchk
              la tp, \\label
              __CMP s10, __nchk
              lwu tp, 0(tp)
              __CMP s11, __nchk
              RESET_TRAPS
              addi s3, s3, 1
            .endm
            .macro GMAP gpa, pa, flags, level=0   # a G-stage mapping (gpa < 2^39)
              la t0, __pt_state
              ld t1, 0(t0)
              la t2, __vs_root
              sd t1, 0(t2)
              la t1, __gpt
              sd t1, 0(t0)
              MAP \\gpa, \\pa, \\flags, \\level
              la t0, __pt_state
              la t2, __vs_root
              ld t1, 0(t2)
              sd t1, 0(t0)
            .endm
            .macro GPTE_ADDR reg, gpa, level=0
              la t0, __pt_state
              ld t1, 0(t0)
              la t2, __vs_root
              sd t1, 0(t2)
              la t1, __gpt
              sd t1, 0(t0)
              PTE_ADDR \\reg, \\gpa, \\level
              la t0, __pt_state
              la t2, __vs_root
              ld t1, 0(t2)
              sd t1, 0(t0)
            .endm
            .macro HGATP_ON
              la t0, __gpt
              srli t0, t0, 12
              li t1, 8 << 60
              or t0, t0, t1
              csrw hgatp, t0
              hfence.gvma
            .endm
            .macro VSATP_ON
              PT_SATP t0
              csrw vsatp, t0
              hfence.vvma
            .endm
              .pushsection .data
              .balign 16384
            __gpt: .fill 2048, 8, 0      # Sv39x4 root: 16 KiB
            __vs_root: .dword 0
              .popsection
              la t0, __hmtrap
              csrw mtvec, t0
              la t0, __hstrap
              csrw stvec, t0
              la t0, __vstrap
              csrw vstvec, t0
              j __hbody
              .balign 64
            __hmtrap:
              csrr s1, mtval2
              csrr s2, mtinst
              j __mtrap
              .balign 64
            __hstrap:
              csrr s1, htval
              csrr s2, htinst
              csrr a6, hstatus
              j __strap
            """;

    /** The VS-level handler: Priv's S-mode handler, recording level 5 (and resuming M through vsepc). */
    private static final String VS_HANDLER = vsHandler();

    private static String vsHandler() {
        String lib = Priv.LIB;
        int start = lib.indexOf("__strap:");
        int end = lib.indexOf("# ---- page-table routines");
        return lib.substring(start, end).replace("__strap:", "  .balign 64\n__vstrap:")
                .replace("li s7, 1\n", "li s7, 5\n")
                .replaceFirst("csrr t0, sepc", "csrr t0, vsepc");
    }

    private static Priv.Run run(String body) {
        return Priv.runNoQemu("needs the H extension; the QEMU cross-check runs with h=false",
                H + "\n" + VS_HANDLER + "\n__hbody:\n" + body);
    }

    @Test
    void hypervisorCsrsHoldTheirWritableBits() {
        run("""
                  CHECK_CSR_MASK misa, 1 << 7, 1 << 7
                  CHECK_CSR hstatus, 2 << 32                 # VSXL = 64 bits, read-only
                  li t3, -1
                  csrw hstatus, t3
                  CHECK_CSR hstatus, 2 << 32 | HSTATUS_VTSR | HSTATUS_VTW | HSTATUS_VTVM | HSTATUS_HU | HSTATUS_SPVP | HSTATUS_SPV | HSTATUS_GVA
                  csrw hstatus, zero
                  csrw hedeleg, t3
                  CHECK_CSR hedeleg, 0xb1ff                  # not ecall from HS/VS/M, guest-page faults, virtual insn
                  csrw hedeleg, zero
                  csrw hideleg, t3
                  CHECK_CSR hideleg, 0x444                   # the VS-level interrupts
                  csrw hideleg, zero
                  CHECK_CSR_MASK mideleg, 0x1444, 0x1444     # read-only one
                  csrw hie, t3
                  CHECK_CSR hie, 0x444
                  CHECK_CSR_MASK mie, 0x1444, 0x444
                  csrw hie, zero
                  csrw hgeie, t3
                  CHECK_CSR hgeie, 0                         # GEILEN = 0
                  CHECK_CSR hgeip, 0
                  li t3, 1 << VSSI
                  csrs hvip, t3
                  CHECK_CSR_MASK mip, 0x444, 1 << VSSI
                  CHECK_CSR hip, 1 << VSSI
                  csrc hip, t3                               # hip.VSSIP is hvip.VSSIP
                  CHECK_CSR hvip, 0
                  li t3, 0x444
                  csrw hvip, t3
                  CHECK_CSR hvip, 0x444
                  CHECK_CSR_MASK mip, 0x444, 0x444
                  CHECK_CSR_MASK sip, 0x444, 0               # HS-mode's sip shows no VS bits
                  csrw hvip, zero
                  li t3, 0x444
                  csrw hideleg, t3
                  csrw hie, t3
                  CHECK_CSR vsie, 0x222                      # VS bits shifted to the S positions
                  li t3, 1 << VSSI
                  csrw hvip, t3
                  CHECK_CSR vsip, 1 << SSI
                  csrw vsip, zero
                  CHECK_CSR hvip, 0
                  csrw hideleg, zero
                  CHECK_CSR vsie, 0                          # nothing delegated: nothing visible
                  csrw hie, zero
                  li t3, 1 << 60 | 0x1234                    # unsupported mode: no change
                  csrw hgatp, t3
                  CHECK_CSR hgatp, 0
                  li t3, 8 << 60 | 0x3fff << 44 | 0x1237     # PPN[1:0] read as zero
                  csrw hgatp, t3
                  CHECK_CSR hgatp, 8 << 60 | 0x3fff << 44 | 0x1234
                  csrw hgatp, zero
                  li t3, 0x55
                  csrw mtval2, t3
                  CHECK_CSR mtval2, 0x55
                  csrw mtinst, t3
                  CHECK_CSR mtinst, 0x55
                  csrw htval, t3
                  CHECK_CSR htval, 0x55
                  csrw htinst, t3
                  CHECK_CSR htinst, 0x55
                  li t3, 0x1234
                  csrw htimedelta, t3
                  CHECK_CSR htimedelta, 0x1234
                  csrw htimedelta, zero
                  CHECK_CSR vsstatus, 2 << 32                # UXL
                  li t3, -1
                  csrw vsstatus, t3
                  CHECK_CSR vsstatus, MSTATUS_SD | 2 << 32 | MSTATUS_MXR | MSTATUS_SUM | MSTATUS_FS | MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
                  csrw vsstatus, zero
                  li t3, 0x4567
                  csrw vsscratch, t3
                  CHECK_CSR vsscratch, 0x4567
                  csrw vsepc, t3
                  CHECK_CSR vsepc, 0x4566
                  CHECK_CSR_MASK mstatus, MSTATUS_MPV | MSTATUS_GVA, 0
                  li t3, MSTATUS_MPV | MSTATUS_GVA
                  csrs mstatus, t3
                  CHECK_CSR_MASK mstatus, MSTATUS_MPV | MSTATUS_GVA, MSTATUS_MPV | MSTATUS_GVA
                  CHECK_CSR_MASK sstatus, MSTATUS_MPV | MSTATUS_GVA, 0
                  csrc mstatus, t3
                  GO_S                                       # HS-mode reaches the hypervisor CSRs
                  csrr a0, hstatus
                  csrr a0, vsstatus
                  csrw hvip, zero
                  CHECK_NO_TRAP
                  S_GO_U
                1:csrr a0, hstatus                           # U-mode (V=0) does not
                  CHECK_INSN 3, ILLEGAL, 1b
                  TO_M
                """);
    }

    @Test
    void vsCsrsStandInForSupervisorCsrsWhenVirtualized() {
        run("""
                  li t3, 0x5550
                  csrw sepc, t3
                  csrw stval, t3
                  csrw vsepc, zero
                  li t3, MSTATUS_SUM
                  csrs sstatus, t3
                  GO_VS
                  li t3, 0x1000
                  csrw sepc, t3                              # vsepc
                  csrw stval, t3                             # vstval
                  csrw sscratch, t3                          # vsscratch
                  csrr a0, sscratch
                  CHECK_EQ a0, 0x1000
                  csrr a0, sstatus                           # vsstatus: no SUM there
                  CHECK_MASK a0, MSTATUS_SUM | 3 << 32, 2 << 32
                  li t3, MSTATUS_MXR
                  csrs sstatus, t3
                  csrr a0, satp                              # vsatp
                  CHECK_EQ a0, 0
                  CHECK_NO_TRAP
                  TO_M
                  CHECK_CSR vsepc, 0x1000
                  CHECK_CSR vstval, 0x1000
                  CHECK_CSR vsscratch, 0x1000
                  CHECK_CSR_MASK vsstatus, MSTATUS_MXR, MSTATUS_MXR
                  CHECK_CSR_MASK mstatus, MSTATUS_MXR | MSTATUS_SUM, MSTATUS_SUM
                  CHECK_CSR sepc, 0x5550
                  CHECK_CSR stval, 0x5550
                """);
    }

    @Test
    void virtualInstructionExceptions() {
        run("""
                  la a1, __vs_root
                  GO_VS
                1:csrr a0, hstatus
                  CHECK_INSN 3, VIRTUAL, 1b
                2:csrr a0, vsstatus
                  CHECK_INSN 3, VIRTUAL, 2b
                3:csrr a0, mstatus
                  CHECK_INSN 3, ILLEGAL, 3b
                4:hfence.vvma
                  CHECK_INSN 3, VIRTUAL, 4b
                5:hfence.gvma
                  CHECK_INSN 3, VIRTUAL, 5b
                6:hlv.w a0, (a1)
                  CHECK_INSN 3, VIRTUAL, 6b
                7:hsv.d a0, (a1)
                  CHECK_INSN 3, VIRTUAL, 7b
                8:csrr a0, 0x6c0                             # no such hypervisor CSR: illegal
                  CHECK_INSN 3, ILLEGAL, 8b
                  TO_M
                  li t3, HSTATUS_VTSR | HSTATUS_VTW | HSTATUS_VTVM
                  csrs hstatus, t3
                  GO_VS
                11:sret
                  CHECK_INSN 3, VIRTUAL, 11b
                12:wfi
                  CHECK_INSN 3, VIRTUAL, 12b
                13:sfence.vma
                  CHECK_INSN 3, VIRTUAL, 13b
                14:csrr a0, satp
                  CHECK_INSN 3, VIRTUAL, 14b
                  TO_M
                  csrc hstatus, t3
                  li t3, 7
                  csrw mcounteren, t3
                  csrw hcounteren, zero
                  GO_VS
                15:csrr a0, time
                  CHECK_INSN 3, VIRTUAL, 15b
                  TO_M
                  csrw hcounteren, t3
                  csrw scounteren, zero
                  GO_VU
                16:csrr a0, time                             # VU: scounteren closes it
                  CHECK_INSN 3, VIRTUAL, 16b
                17:csrr a0, sstatus
                  CHECK_INSN 3, VIRTUAL, 17b
                18:sret
                  CHECK_INSN 3, VIRTUAL, 18b
                19:wfi
                  CHECK_INSN 3, VIRTUAL, 19b
                20:sfence.vma
                  CHECK_INSN 3, VIRTUAL, 20b
                21:csrr a0, mstatus
                  CHECK_INSN 3, ILLEGAL, 21b
                  TO_M
                  csrw mcounteren, zero
                  GO_VS
                22:csrr a0, time                             # mcounteren closes it: illegal
                  CHECK_INSN 3, ILLEGAL, 22b
                  TO_M
                  li t3, MSTATUS_TW
                  csrs mstatus, t3
                  GO_VS
                23:wfi                                       # mstatus.TW: illegal in VS too
                  CHECK_INSN 3, ILLEGAL, 23b
                  TO_M
                  csrc mstatus, t3
                  li t3, 1 << VIRTUAL                        # delegated: HS sees it
                  csrs medeleg, t3
                  GO_VS
                24:csrr a0, hstatus
                  CHECK_INSN 1, VIRTUAL, 24b
                  TO_M
                  csrc medeleg, t3
                  li t3, MSTATUS_FS                          # vsstatus.FS = Off: FP is illegal in VS
                  csrs mstatus, t3
                  csrw vsstatus, zero
                  GO_VS
                25:fmv.d.x f1, zero
                  CHECK_INSN 3, ILLEGAL, 25b
                  TO_M
                  li t3, 1 << 13                             # Initial in both: an FP write dirties both
                  csrs vsstatus, t3
                  li t3, MSTATUS_FS
                  csrc mstatus, t3
                  li t3, 1 << 13
                  csrs mstatus, t3
                  GO_VS
                  fmv.d.x f1, zero
                  CHECK_NO_TRAP
                  TO_M
                  CHECK_CSR_MASK mstatus, MSTATUS_FS, MSTATUS_FS
                  CHECK_CSR_MASK vsstatus, MSTATUS_FS, MSTATUS_FS
                """);
    }

    @Test
    void trapsGoToMHsOrVsWithTheVirtualizationModeRecorded() {
        run("""
                  GO_VS
                1:ecall                                      # to M: cause 10, MPV = 1, MPP = S
                  CHECK_TRAP 3, ECALL_VS, 1b, 0
                  CHECK_MASK s6, MSTATUS_MPV | MSTATUS_MPP | MSTATUS_GVA, MSTATUS_MPV | MPP_S
                  TO_M
                  CHECK_CSR_MASK mstatus, MSTATUS_MPV, 0     # mret to M clears MPV
                  li t3, 1 << ECALL_VS | 1 << ECALL_U
                  csrs medeleg, t3
                  GO_VS
                2:ecall                                      # to HS: SPV = 1, SPVP = 1
                  CHECK_TRAP 1, ECALL_VS, 2b, 0
                  CHECK_MASK a6, HSTATUS_SPV | HSTATUS_SPVP | HSTATUS_GVA, HSTATUS_SPV | HSTATUS_SPVP
                  CHECK_MASK s6, MSTATUS_SPP, MSTATUS_SPP
                  csrr a0, sscratch                          # still in VS after the handler's sret
                  li t3, 0x77
                  csrw sscratch, t3
                  TO_M
                  CHECK_CSR vsscratch, 0x77
                  GO_VU
                3:ecall                                      # VU to HS: SPVP = 0, SPP = 0
                  CHECK_TRAP 1, ECALL_U, 3b, 0
                  CHECK_MASK a6, HSTATUS_SPV | HSTATUS_SPVP, HSTATUS_SPV
                  CHECK_MASK s6, MSTATUS_SPP, 0
                  TO_M
                  li t3, 1 << ECALL_U | 1 << BREAKPOINT
                  csrs medeleg, t3
                  csrs hedeleg, t3
                  GO_VU
                4:ecall                                      # on to VS through hedeleg
                  CHECK_TRAP 5, ECALL_U, 4b, 0
                  CHECK_MASK s6, MSTATUS_SPP, 0              # vsstatus as the VS handler saw it
                5:ebreak
                  CHECK_BREAKPOINT 5, 5b
                  TO_M
                  CHECK_CSR vscause, ECALL_U
                  CHECK_CSR_MASK hstatus, HSTATUS_SPV, HSTATUS_SPV
                  csrw hedeleg, zero
                  csrw medeleg, zero
                  GO_VS
                  li t3, 0x3000                              # nothing mapped: a load access fault
                6:ld a0, 0(t3)                                # has a guest virtual tval: GVA = 1
                  CHECK_TRAP 3, LOAD_ACCESS, 6b, 0x3000
                  CHECK_MASK s6, MSTATUS_MPV | MSTATUS_GVA, MSTATUS_MPV | MSTATUS_GVA
                  TO_M
                """);
    }

    @Test
    void vsLevelInterruptsGoToHsOrThroughHidelegToVs() {
        run("""
                  li t3, 1 << VSSI
                  csrs mie, t3
                  li t3, 0x444
                  csrw hideleg, t3
                  li t3, MSTATUS_SIE
                  csrs vsstatus, t3
                  li t3, 1 << VSSI
                  csrs hvip, t3
                  ENTER_VS 1f
                1:nop                                        # taken in VS as a supervisor software interrupt
                  CHECK_CAUSE 5, IRQ | SSI
                  CHECK_CSR_MASK sie, 1 << SSI, 0            # the handler cleared vsie.SSIE = mie.VSSIE
                  TO_M
                  CHECK_CSR_MASK mie, 1 << VSSI, 0
                  li t3, 1 << VSSI
                  csrs mie, t3
                  GO_S                                       # V=0: a VS-level interrupt waits for VS
                  nop
                  CHECK_NO_TRAP
                  TO_M
                  li t3, MSTATUS_SIE
                  csrc vsstatus, t3
                  GO_VS                                      # VS with SIE = 0: it waits
                  nop
                  CHECK_NO_TRAP
                  TO_M
                  ENTER_VU 2f                                # VU: taken
                2:nop
                  CHECK_CAUSE 5, IRQ | SSI
                  TO_M
                  csrw hvip, zero
                  csrw hideleg, zero
                  # Sstc for VS: vstimecmp against time + htimedelta drives VSTIP
                  li t3, 1 << 63
                  csrs menvcfg, t3
                  csrs henvcfg, t3
                  li t3, -1
                  csrw vstimecmp, t3
                  CHECK_CSR_MASK hip, 1 << VSTI, 0
                  csrw vstimecmp, zero
                  CHECK_CSR_MASK hip, 1 << VSTI, 1 << VSTI
                  CHECK_CSR_MASK mip, 1 << VSTI, 1 << VSTI
                  CHECK_CSR hvip, 0                          # not a software bit
                  li t3, -1
                  csrw vstimecmp, t3
                  li t3, 1 << 62
                  csrw vstimecmp, t3
                  li t3, (1 << 62) + 1                       # time + htimedelta passes it
                  csrw htimedelta, t3
                  CHECK_CSR_MASK hip, 1 << VSTI, 1 << VSTI
                  csrw htimedelta, zero
                  CHECK_CSR_MASK hip, 1 << VSTI, 0
                  li t3, 2
                  csrw mcounteren, t3
                  csrw hcounteren, t3
                  li t3, 1 << VSTI
                  csrs mie, t3
                  li t3, 0x444
                  csrw hideleg, t3
                  GO_VS
                  csrr a0, stimecmp                          # vstimecmp
                  CHECK_EQ a0, 1 << 62
                  li t3, MSTATUS_SIE
                  csrs sstatus, t3
                  csrw stimecmp, zero                        # fires at once, in VS
                  nop
                  CHECK_CAUSE 5, IRQ | STI
                  TO_M
                  CHECK_CSR vstimecmp, 0
                  csrw hideleg, zero                         # not delegated: HS takes VSTI
                  li t3, 1 << VSTI
                  csrs mie, t3
                  la t3, 3f
                  csrw stvec, t3
                  GO_VS
                  j 4f
                3:csrr s9, scause                            # a handler that disables VSTIE
                  li t0, 1 << VSTI
                  csrc hie, t0
                  csrr a6, hstatus
                  sret
                4:li t3, 0x8000000000000006
                  CHECK_SAME s9, t3
                  CHECK_MASK a6, HSTATUS_SPV, HSTATUS_SPV
                  TO_M
                """);
    }

    /** A VS-stage Sv39 table (identity for the first 2 MiB of RAM) under an identity G-stage gigapage. */
    private static final String TWO_STAGE = """
              PT_INIT 8
              GMAP 0x80000000, 0x80000000, GRWX, 2
              VSATP_ON
              HGATP_ON
            """;

    @Test
    void twoStageTranslationSetsAccessedAndDirtyInBothStages() {
        run(TWO_STAGE + """
                  MAP 0x50000000, 0x100000000, PTE_V | PTE_R | PTE_W     # VS leaf without A/D
                  GMAP 0x100000000, DATA, PTE_V | PTE_R | PTE_W | PTE_U  # G leaf without A/D
                  MAP 0x50001000, 0x80000000 + DATA - 0x80000000 + 0x1000, KRW   # through the gigapage
                  li t3, DATA
                  li t4, 0x1111
                  sd t4, 0(t3)
                  li t4, 0x2222
                  li t3, DATA + 0x1000
                  sd t4, 8(t3)
                  GO_VS
                  li t3, 0x50000000
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x1111
                  li t3, 0x50001000
                  ld a0, 8(t3)
                  CHECK_EQ a0, 0x2222
                  CHECK_NO_TRAP
                  TO_M
                  PTE_ADDR a1, 0x50000000
                  ld a0, 0(a1)
                  CHECK_MASK a0, PTE_A | PTE_D, PTE_A
                  GPTE_ADDR a2, 0x100000000
                  ld a0, 0(a2)
                  CHECK_MASK a0, PTE_A | PTE_D, PTE_A
                  GO_VS
                  li t3, 0x50000000
                  li t4, 0x3333
                  sd t4, 16(t3)
                  CHECK_NO_TRAP
                  TO_M
                  ld a0, 0(a1)
                  CHECK_MASK a0, PTE_A | PTE_D, PTE_A | PTE_D
                  ld a0, 0(a2)
                  CHECK_MASK a0, PTE_A | PTE_D, PTE_A | PTE_D
                  li t3, DATA
                  ld a0, 16(t3)
                  CHECK_EQ a0, 0x3333
                  # M-mode with MPRV, MPP = S, MPV = 1 translates in two stages
                  li t3, MSTATUS_MPP
                  csrc mstatus, t3
                  li t3, MSTATUS_MPRV | MPP_S | MSTATUS_MPV
                  csrs mstatus, t3
                  li t3, 0x50000000
                  ld a0, 16(t3)
                  li t3, MSTATUS_MPRV | MSTATUS_MPV
                  csrc mstatus, t3
                  CHECK_EQ a0, 0x3333
                  CHECK_NO_TRAP
                """);
    }

    @Test
    void gStageFaultsAreGuestPageFaults() {
        run(TWO_STAGE + """
                  MAP 0x50000000, 0x100000000, KRW
                  MAP 0x50001000, 0x100001000, KRW           # G-stage: not mapped
                  MAP 0x50002000, 0x100002000, KRW           # G-stage: no U bit
                  MAP 0x50003000, 0x100003000, KRW           # G-stage: read-only
                  MAP 0x50004000, 0x100004000, PTE_V | PTE_X | PTE_A  # G-stage: not mapped
                  GMAP 0x100000000, DATA, GRW
                  GMAP 0x100002000, DATA, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
                  GMAP 0x100003000, DATA, PTE_V | PTE_R | PTE_U | PTE_A
                  GO_VS
                  li t3, 0x50001008
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_GPF, 1b, 0x50001008
                  CHECK_EQ s1, 0x100001008 >> 2              # mtval2: the guest physical address >> 2
                  CHECK_EQ s2, 0                             # mtinst: 0 for an explicit access
                  CHECK_MASK s6, MSTATUS_MPV | MSTATUS_GVA, MSTATUS_MPV | MSTATUS_GVA
                2:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_GPF, 2b, 0x50001008
                  li t3, 0x50002000
                3:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_GPF, 3b, 0x50002000
                  li t3, 0x50003010
                  ld a0, 0(t3)
                  CHECK_NO_TRAP
                4:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_GPF, 4b, 0x50003010
                  CHECK_EQ s1, 0x100003010 >> 2
                5:amoadd.d a0, a0, (t3)
                  CHECK_TRAP 3, STORE_GPF, 5b, 0x50003010
                  li t3, 0x50004000
                  SET_RESUME 6f
                  jalr t3
                  UNREACHABLE
                6:CHECK_TRAP_VA 3, FETCH_GPF, 0x50004000, 0x50004000
                  CHECK_EQ s1, 0x100004000 >> 2
                  TO_M
                  li t3, 1 << LOAD_GPF | 1 << STORE_GPF      # delegated: HS gets htval, htinst, GVA
                  csrs medeleg, t3
                  GO_VS
                  li t3, 0x50001010
                7:ld a0, 0(t3)
                  CHECK_TRAP 1, LOAD_GPF, 7b, 0x50001010
                  CHECK_EQ s1, 0x100001010 >> 2
                  CHECK_EQ s2, 0
                  CHECK_MASK a6, HSTATUS_SPV | HSTATUS_GVA | HSTATUS_SPVP, HSTATUS_SPV | HSTATUS_GVA | HSTATUS_SPVP
                  TO_M
                  csrw medeleg, zero
                """);
    }

    @Test
    void gStageFaultsOfVsStagePageTableAccessesReportThePteAddress() {
        run(TWO_STAGE + """
                  # VS root entry for 0x40000000 points to a level-1 table at GPA 0x100010000.
                  PTE_ADDR a1, 0x40000000, 2
                  li t3, (0x100010000 >> 12) << 10 | PTE_V
                  sd t3, 0(a1)
                  # VS root entry for 0x1_0000_0000 to a table at GPA 0x100020000 (G: read-only),
                  # whose first entry is a 2 MiB leaf without A/D, GPA 0x100200000 (G: DATA).
                  PTE_ADDR a1, 0x100000000, 2
                  li t3, (0x100020000 >> 12) << 10 | PTE_V
                  sd t3, 0(a1)
                  GMAP 0x100020000, DATA + 0x2000, PTE_V | PTE_R | PTE_U | PTE_A
                  li t3, DATA + 0x2000
                  li t4, (0x100200000 >> 12) << 10 | PTE_V | PTE_R | PTE_W
                  sd t4, 0(t3)
                  GMAP 0x100200000, DATA, GRW
                  GO_VS
                  li t3, 0x40000008
                1:ld a0, 0(t3)                               # G-stage fault reading the VS PTE
                  CHECK_TRAP 3, LOAD_GPF, 1b, 0x40000008
                  CHECK_EQ s1, 0x100010000 >> 2              # the PTE's guest physical address >> 2
                  CHECK_EQ s2, 0x3000                        # pseudoinstruction: 64-bit implicit read
                  CHECK_MASK s6, MSTATUS_MPV | MSTATUS_GVA, MSTATUS_MPV | MSTATUS_GVA
                2:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_GPF, 2b, 0x40000008    # the original access type
                  CHECK_EQ s2, 0x3000
                  SET_RESUME 3f
                  jalr t3
                  UNREACHABLE
                3:CHECK_TRAP_VA 3, FETCH_GPF, 0x40000008, 0x40000008
                  CHECK_EQ s2, 0x3000
                  li t3, 0x100000010
                4:ld a0, 0(t3)                               # the A update is a write the G-stage refuses
                  CHECK_TRAP 3, LOAD_GPF, 4b, 0x100000010
                  CHECK_EQ s1, 0x100020000 >> 2
                  CHECK_EQ s2, 0x3020                        # pseudoinstruction: 64-bit implicit write
                  TO_M
                  li t3, 1 << LOAD_GPF                       # delegated: htval, htinst
                  csrs medeleg, t3
                  GO_VS
                  li t3, 0x40000010
                5:ld a0, 0(t3)
                  CHECK_TRAP 1, LOAD_GPF, 5b, 0x40000010
                  CHECK_EQ s1, 0x100010000 >> 2
                  CHECK_EQ s2, 0x3000
                  TO_M
                  csrw medeleg, zero
                  GMAP 0x100020000, DATA + 0x2000, GRW       # now writable: the walk sets A
                  hfence.gvma
                  GO_VS
                  li t3, 0x100000010
                  li t4, 0x4444
                  sd t4, 0(t3)
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x4444
                  CHECK_NO_TRAP
                  TO_M
                  li t3, DATA + 0x2000
                  ld a0, 0(t3)
                  CHECK_MASK a0, PTE_A | PTE_D, PTE_A | PTE_D
                  li t3, DATA
                  ld a0, 0x10(t3)
                  CHECK_EQ a0, 0x4444
                """);
    }

    @Test
    void hypervisorLoadsAndStoresTranslateAsTheGuest() {
        run(TWO_STAGE + """
                  MAP 0x50000000, 0x100000000, KRW
                  MAP 0x50001000, 0x100000000, URW
                  MAP 0x50002000, 0x100000000, PTE_V | PTE_X | PTE_A   # execute-only
                  GMAP 0x100000000, DATA, GRWX
                  li t3, DATA
                  li t4, 0x8182838485868788
                  sd t4, 0(t3)
                  li t3, HSTATUS_SPVP
                  csrs hstatus, t3
                  li t3, 0x50000000                          # from M, as VS (SPVP = 1)
                  hlv.b a0, (t3)
                  CHECK_EQ a0, 0xffffffffffffff88
                  hlv.bu a0, (t3)
                  CHECK_EQ a0, 0x88
                  hlv.h a0, (t3)
                  CHECK_EQ a0, 0xffffffffffff8788
                  hlv.hu a0, (t3)
                  CHECK_EQ a0, 0x8788
                  hlv.w a0, (t3)
                  CHECK_EQ a0, 0xffffffff85868788
                  hlv.wu a0, (t3)
                  CHECK_EQ a0, 0x85868788
                  hlv.d a0, (t3)
                  CHECK_EQ a0, 0x8182838485868788
                  li t4, 0x11
                  addi t5, t3, 8
                  hsv.b t4, (t5)
                  addi t5, t3, 10
                  hsv.h t4, (t5)
                  addi t5, t3, 12
                  hsv.w t4, (t5)
                  addi t5, t3, 16
                  hsv.d t4, (t5)
                  addi t5, t3, 8
                  hlv.d a0, (t5)
                  CHECK_EQ a0, 0x0000001100110011
                  CHECK_NO_TRAP
                  li t3, 0x50002000
                1:hlv.d a0, (t3)                             # execute-only: a load page fault
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x50002000
                  CHECK_MASK s6, MSTATUS_GVA | MSTATUS_MPV, MSTATUS_GVA
                  hlvx.wu a0, (t3)                           # but HLVX reads it
                  CHECK_EQ a0, 0x85868788
                  li t3, 0x50000000
                2:hlvx.hu a0, (t3)                           # HLVX needs execute permission
                  CHECK_TRAP 3, LOAD_PF, 2b, 0x50000000
                  li t3, 0x50001000                          # U page, SPVP = 1, SUM = 0
                3:hlv.d a0, (t3)
                  CHECK_TRAP 3, LOAD_PF, 3b, 0x50001000
                  li t3, MSTATUS_SUM
                  csrs vsstatus, t3                          # vsstatus.SUM applies
                  li t3, 0x50001000
                  hlv.d a0, (t3)
                  CHECK_EQ a0, 0x8182838485868788
                  li t3, MSTATUS_SUM
                  csrc vsstatus, t3
                  li t3, HSTATUS_SPVP                        # as VU (SPVP = 0)
                  csrc hstatus, t3
                  li t3, 0x50001000
                  hlv.d a0, (t3)
                  CHECK_EQ a0, 0x8182838485868788
                  li t3, 0x50000000
                4:hsv.d a0, (t3)
                  CHECK_TRAP 3, STORE_PF, 4b, 0x50000000
                  CHECK_NO_TRAP
                  GO_S                                       # HS-mode
                  li t3, 0x50001000
                  hlv.w a0, (t3)
                  CHECK_EQ a0, 0xffffffff85868788
                  S_GO_U
                  li t3, 0x50001000
                5:hlv.w a0, (t3)                             # U-mode without hstatus.HU: illegal
                  CHECK_INSN 3, ILLEGAL, 5b
                  TO_M
                  li t3, HSTATUS_HU
                  csrs hstatus, t3
                  GO_U
                  li t3, 0x50001000
                  hlv.wu a0, (t3)
                  CHECK_EQ a0, 0x85868788
                  TO_M
                """);
    }

    @Test
    void guestAndHostTranslationsOfOneAddressStayApart() {
        run(TWO_STAGE + """
                  MAP 0x50000000, 0x100000000, KRW           # VS: 0x50000000 -> GPA -> DATA
                  GMAP 0x100000000, DATA, GRW
                  PT_INIT 8                                  # HS: its own root, 0x50000000 -> DATA + 0x1000
                  MAP 0x50000000, DATA + 0x1000, KRW
                  SATP_ON
                  li t3, DATA
                  li t4, 0x600d
                  sd t4, 0(t3)
                  li t4, 0x4057
                  li t3, DATA + 0x1000
                  sd t4, 0(t3)
                  li s0, 20
                1:GO_VS                                      # alternate, so both TLBs stay warm
                  li t3, 0x50000000
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x600d
                  TO_M
                  GO_S
                  li t3, 0x50000000
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x4057
                  TO_M
                  addi s0, s0, -1
                  bnez s0, 1b
                  addi s3, s3, -2 * 19                       # the two checks above ran 20 times
                  GMAP 0x100000000, DATA + 0x1000, GRW       # a new G-stage mapping, then hfence.gvma
                  hfence.gvma
                  GO_VS
                  li t3, 0x50000000
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x4057
                  TO_M
                  csrw satp, zero
                """);
    }
}
