package jvisor.cpu.priv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Page-based virtual memory (privileged spec 1.12 §4.3-4.6, §3.1.6.3): Sv39, Sv48 and Sv57
 * translation with pages and superpages of every size, the page-fault causes and their tval,
 * the U/SUM/MXR permission rules, hardware A/D updates, MPRV, sfence.vma and satp switches.
 *
 * <p>Virtual addresses used: 0x5000_0000 and up for 4 KiB test pages, 0x2000_0000 (2 MiB),
 * 0x4000_0000 (1 GiB), 2^39 (512 GiB) and 2^48 (256 TiB) for superpages, the top page of the
 * address space, and the identity map of the first 2 MiB of RAM that {@code PT_INIT} builds.
 * Data lives in physical pages from {@code DATA} (0x8040_0000).
 */
@Timeout(20)
class PagingTest {

    /** Prefixes a body with the symbols of a translation mode (satp.MODE 8, 9 or 10). */
    private static String sv(int mode, String body) {
        return "  .equ MODE, " + mode + "\n  .equ VA_BITS, " + (12 + 9 * (mode - 5)) + "\n" + body;
    }

    @ParameterizedTest(name = "satp.MODE={0}")
    @ValueSource(ints = {8, 9, 10})
    void translatesFourKilobytePages(int mode) {
        Priv.run(sv(mode, """
                  PT_INIT MODE
                  MAP 0x50000000, DATA, KRW
                  MAP 0x50001000, DATA + 0x1000, KRW
                  MAP -0x1000, DATA + 0x1000, KRW          # the top page of the address space
                  MAP_LABEL 0x60000000, code, PTE_V | PTE_X | PTE_A
                  SATP_ON
                  li t3, DATA
                  li t4, 0x1111
                  sd t4, 0(t3)
                  li t3, DATA + 0x1000
                  li t4, 0x2222
                  sd t4, 8(t3)
                  GO_S
                  li t3, 0x50000000
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x1111
                  li t3, 0x50001000
                  ld a0, 8(t3)
                  CHECK_EQ a0, 0x2222
                  li t4, 0x3333
                  sd t4, 16(t3)
                  li t3, -0x1000                           # an alias of the same page
                  ld a0, 16(t3)
                  CHECK_EQ a0, 0x3333
                  li t3, 0x60000000                        # code through a mapping
                  li a0, 0
                  jalr t3
                  CHECK_EQ a0, 42
                  CHECK_NO_TRAP
                  TO_M
                  li t3, DATA + 0x1000
                  ld a0, 16(t3)
                  CHECK_EQ a0, 0x3333
                  BEGIN_PAGE code
                  li a0, 42
                  ret
                  END_PAGE code
                """));
    }

    @ParameterizedTest(name = "satp.MODE={0}")
    @ValueSource(ints = {8, 9, 10})
    void translatesSuperpagesOfEverySize(int mode) {
        String bigMaps = (mode >= 9 ? "  MAP 1 << 39, 0, KRW, 3          # 512 GiB at 2^39 -> 0\n" : "")
                + (mode >= 10 ? "  MAP 1 << 48, 0, KRW, 4          # 256 TiB at 2^48 -> 0\n" : "");
        String bigLoads = (mode >= 9 ? """
                  li t3, (1 << 39) + DATA + 0x1008
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xabc
                """ : "") + (mode >= 10 ? """
                  li t3, (1 << 48) + DATA + 0x1008
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xabc
                """ : "");
        Priv.run(sv(mode, """
                  PT_INIT MODE
                  MAP 0x20000000, DATA, KRW, 1               # 2 MiB
                  MAP 0x40000000, 0x80000000, KRWX, 2        # 1 GiB, over all of RAM
                """ + bigMaps + """
                  SATP_ON
                  li t3, DATA + 0x1008
                  li t4, 0xabc
                  sd t4, 0(t3)
                  GO_S
                  li t3, 0x20000000 + 0x1008
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xabc
                  li t3, 0x40000000 + 0x401008
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xabc
                """ + bigLoads + """
                  li t3, 0x20000000 + 0x1ffff8               # the last doubleword of the 2 MiB page
                  li t4, 0xdef
                  sd t4, 0(t3)
                  li t3, 0x40000000 + 0x5ffff8
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xdef
                  la t3, code                                # run code through the 1 GiB alias
                  li t4, 0x80000000 - 0x40000000
                  sub t3, t3, t4
                  li a0, 0
                  jalr t3
                  CHECK_EQ a0, 43
                  CHECK_NO_TRAP
                  TO_M
                  BEGIN_PAGE code
                  li a0, 43
                  ret
                  END_PAGE code
                """));
    }

    @ParameterizedTest(name = "satp.MODE={0}")
    @ValueSource(ints = {8, 9, 10})
    void misalignedSuperpagesFault(int mode) {
        String big = (mode >= 9 ? """
                  li t3, 1 << 39
                4:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 4b, 1 << 39
                """ : "") + (mode >= 10 ? """
                  li t3, 1 << 48
                5:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 5b, 1 << 48
                """ : "");
        Priv.run(sv(mode, """
                  PT_INIT MODE
                  MAP 0x20000000, DATA + 0x1000, KRWX, 1       # PPN not 2 MiB aligned
                  MAP 0x40000000, 0x80200000, KRWX, 2          # PPN not 1 GiB aligned
                """ + (mode >= 9 ? "  MAP 1 << 39, 0x40000000, KRWX, 3\n" : "")
                + (mode >= 10 ? "  MAP 1 << 48, 1 << 39, KRWX, 4\n" : "") + """
                  SATP_ON
                  GO_S
                  li t3, 0x20000000
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x20000000
                2:sd a0, 8(t3)
                  CHECK_TRAP 3, STORE_PF, 2b, 0x20000008
                  SET_RESUME 3f
                  jr t3
                3:CHECK_TRAP_VA 3, FETCH_PF, 0x20000000, 0x20000000
                  li t3, 0x40000000 + 0x1234
                6:lw a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 6b, 0x40001234
                """ + big + """
                  TO_M
                """));
    }

    @ParameterizedTest(name = "satp.MODE={0}")
    @ValueSource(ints = {8, 9, 10})
    void nonCanonicalAddressesFault(int mode) {
        Priv.run(sv(mode, """
                  PT_INIT MODE
                  MAP 0, DATA, KRWX           # what the addresses would alias if the top bits were dropped
                  MAP 0x1000, DATA, KRWX
                  MAP -1 << (VA_BITS - 1), DATA, KRW     # the lowest canonical upper-half address
                  SATP_ON
                  GO_S
                  li t3, 1 << VA_BITS
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 1 << VA_BITS
                2:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 2b, 1 << VA_BITS
                  SET_RESUME 4f
                  jr t3
                4:CHECK_TRAP_VA 3, FETCH_PF, 1 << VA_BITS, 1 << VA_BITS
                  li t3, 1 << 63 | 0x1000
                5:lw a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 5b, 1 << 63 | 0x1000
                  li t3, 1 << (VA_BITS - 1)               # the first address past the lower half
                6:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 6b, 1 << (VA_BITS - 1)
                  li t3, -1 << (VA_BITS - 1)
                  ld a0, 0(t3)
                  CHECK_NO_TRAP
                  TO_M
                """));
    }

    @Test
    void everyPageFaultCauseReportsTheVirtualAddress() {
        Priv.run("""
                  PT_INIT 8
                  MAP 0x50000000, DATA, KRW & ~PTE_V                    # invalid
                  MAP 0x50001000, DATA, KR                              # read-only
                  MAP 0x50002000, DATA, PTE_V | PTE_X | PTE_A           # execute-only
                  MAP 0x50003000, DATA, PTE_V | PTE_W | PTE_A | PTE_D   # W without R: reserved
                  MAP 0x50004000, DATA, PTE_V | PTE_W | PTE_X | PTE_A | PTE_D
                  MAP 0x50005000, DATA, KRW                             # not executable
                  SATP_ON
                  GO_S
                  li t3, 0x50000008
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x50000008
                2:sw a0, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 2b, 0x50000008
                  SET_RESUME 3f
                  jr t3
                3:CHECK_TRAP_VA 3, FETCH_PF, 0x50000008, 0x50000008
                  li t3, 0x50001010
                  ld a0, 0(t3)
                  lr.d a0, (t3)
                  CHECK_NO_TRAP
                4:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 4b, 0x50001010
                5:amoadd.d a0, a0, (t3)                                 # AMOs fault as stores
                  CHECK_TRAP 3, STORE_PF, 5b, 0x50001010
                  li t3, 0x50002000
                6:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 6b, 0x50002000
                7:lr.w a0, (t3)
                  CHECK_TRAP 3, LOAD_PF, 7b, 0x50002000
                8:sb a0, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 8b, 0x50002000
                  li t3, 0x50003000
                1:lbu a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x50003000
                2:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 2b, 0x50003000
                  li t3, 0x50004000
                3:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 3b, 0x50004000
                4:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 4b, 0x50004000
                  SET_RESUME 5f
                  jr t3
                5:CHECK_TRAP_VA 3, FETCH_PF, 0x50004000, 0x50004000
                  li t3, 0x50005000
                  SET_RESUME 6f
                  jr t3
                6:CHECK_TRAP_VA 3, FETCH_PF, 0x50005000, 0x50005000
                  li t3, 0x50006ff8                                     # never mapped
                7:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 7b, 0x50006ff8
                  TO_M
                """);
    }

    @Test
    void atomicsFaultAsStoresAndLoadReservedAsLoads() {
        Priv.runNoQemu("QEMU 7.2 reports AMO page faults as load faults, against spec 1.12 §4.3.1", """
                  PT_INIT 8
                  MAP 0x50000000, DATA, KRW & ~PTE_V                    # invalid
                  MAP 0x50001000, DATA, KR                              # read-only
                  MAP 0x50002000, DATA, PTE_V | PTE_X | PTE_A           # execute-only
                  MAP 0x50003000, DATA, URW                             # user
                  SATP_ON
                  GO_S
                  li t3, 0x50000000
                1:amoadd.d a0, a0, (t3)
                  CHECK_TRAP 3, STORE_PF, 1b, 0x50000000
                2:lr.d a0, (t3)
                  CHECK_TRAP 3, LOAD_PF, 2b, 0x50000000
                3:sc.d a0, a0, (t3)
                  CHECK_TRAP 3, STORE_PF, 3b, 0x50000000
                  li t3, 0x50001000
                4:amoswap.w a0, a0, (t3)
                  CHECK_TRAP 3, STORE_PF, 4b, 0x50001000
                  li t3, 0x50002000
                5:amoor.d a0, a0, (t3)
                  CHECK_TRAP 3, STORE_PF, 5b, 0x50002000
                  li t3, 0x50003000
                6:amomax.w a0, a0, (t3)
                  CHECK_TRAP 3, STORE_PF, 6b, 0x50003000
                  li t3, 1 << 39                                        # non-canonical
                7:amoand.d a0, a0, (t3)
                  CHECK_TRAP 3, STORE_PF, 7b, 1 << 39
                  TO_M
                """);
    }

    @Test
    void mxrMakesExecuteOnlyPagesReadable() {
        Priv.run("""
                  PT_INIT 8
                  MAP 0x50002000, DATA, PTE_V | PTE_X | PTE_A
                  MAP 0x50003000, DATA, PTE_V | PTE_X | PTE_A | PTE_U
                  SATP_ON
                  li t3, DATA
                  li t4, 0x77
                  sd t4, 0(t3)
                  GO_S
                  li t3, 0x50002000
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x50002000
                  li t4, MSTATUS_MXR
                  csrs sstatus, t4
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x77
                  CHECK_NO_TRAP
                2:sd a0, 0(t3)                   # but never writable
                  CHECK_TRAP 3, STORE_PF, 2b, 0x50002000
                  li t3, 0x50003000              # MXR does not lift the U-bit rule
                3:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 3b, 0x50003000
                  li t4, MSTATUS_SUM
                  csrs sstatus, t4
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x77
                  li t4, MSTATUS_MXR | MSTATUS_SUM
                  csrc sstatus, t4
                4:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 4b, 0x50003000
                  TO_M
                """);
    }

    @Test
    void reservedPteEncodingsFault() {
        Priv.run("""
                  PT_INIT 8
                  MAP 0x50000000, DATA, KRW | 1 << 54                  # reserved bit
                  MAP 0x50001000, DATA, KRW | 1 << 63                  # N without Svnapot
                  MAP 0x50002000, DATA, KRW | 1 << 61                  # PBMT without Svpbmt
                  SATP_ON
                  GO_S
                  li t3, 0x50000000
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x50000000
                  li t3, 0x50001000
                2:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 2b, 0x50001000
                  li t3, 0x50002000
                3:lw a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 3b, 0x50002000
                  TO_M
                """);
    }

    @Test
    void aPointerWhereALeafMustBeFaults() {
        Priv.run("""
                  PT_INIT 8
                  MAP 0x50000000, DATA, PTE_V                          # R = W = X = 0 at level 0
                  SATP_ON
                  GO_S
                  li t3, 0x50000000
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x50000000
                  SET_RESUME 2f
                  jr t3
                2:CHECK_TRAP_VA 3, FETCH_PF, 0x50000000, 0x50000000
                  TO_M
                """);
    }

    @Test
    void sumAndMxrChangesTakeEffectWithoutAFence() {
        Priv.run("""
                  PT_INIT 8
                  MAP 0x50000000, DATA, URW
                  MAP 0x50001000, DATA, PTE_V | PTE_X | PTE_A
                  MAP_USER upage
                  SATP_ON
                  GO_S
                  li t4, MSTATUS_SUM | MSTATUS_MXR
                  csrs sstatus, t4
                  li t3, 0x50000000
                  ld a0, 0(t3)                    # translations now cached, if the hart caches them
                  sd a0, 8(t3)
                  li t5, 0x50001000
                  ld a0, 0(t5)
                  CHECK_NO_TRAP
                  li t4, MSTATUS_SUM
                  csrc sstatus, t4
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x50000000
                2:sd a0, 8(t3)
                  CHECK_TRAP 3, STORE_PF, 2b, 0x50000008
                  ld a0, 0(t5)
                  CHECK_NO_TRAP
                  li t4, MSTATUS_MXR
                  csrc sstatus, t4
                3:ld a0, 0(t5)
                  CHECK_TRAP 3, LOAD_PF, 3b, 0x50001000
                  TO_M
                  # what U-mode may do, S-mode may not
                  ENTER_U upage
                  BEGIN_PAGE upage
                  li t3, 0x50000000
                  ld a0, 0(t3)
                  CHECK_NO_TRAP
                  TO_M
                  END_PAGE upage
                  GO_S
                  li t3, 0x50000000
                4:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 4b, 0x50000000
                  TO_M
                """);
    }

    @Test
    void misalignedAccessesThatCrossIntoAFaultingPageReportThatPage() {
        Priv.run("""
                  PT_INIT 8
                  MAP 0x50000000, DATA, KRW                 # 0x50001000 stays unmapped
                  SATP_ON
                  li t3, DATA + 0xff8
                  li t4, 0x1122334455667788
                  sd t4, 0(t3)
                  GO_S
                  li t3, 0x50000ffc
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x50001000
                  li t4, -1
                2:sd t4, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 2b, 0x50001000
                  li t3, 0x50000ff8                         # the faulting store changed nothing
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x1122334455667788
                  TO_M
                """);
    }

    @Test
    void aSupervisorHandlerThatCannotBeFetchedFaultsIntoMachineMode() {
        Priv.run("""
                  PT_INIT 8
                  MAP_USER upage
                  SATP_ON
                  li t3, 1 << ECALL_U
                  csrw medeleg, t3
                  li t3, 0x70000000               # stvec at an unmapped address
                  csrw stvec, t3
                  ENTER_U upage
                  BEGIN_PAGE upage
                  SET_RESUME back                 # M-mode's handler resumes S-mode there
                1:ecall
                  END_PAGE upage
                back:
                  CHECK_TRAP_VA 3, FETCH_PF, 0x70000000, 0x70000000
                  CHECK_MASK s6, MSTATUS_MPP, MPP_S   # taken in S-mode, after the first trap's entry
                  CHECK_CSR scause, ECALL_U
                  csrr a0, sepc
                  CHECK_ADDR a0, 1b
                  TO_M
                  csrw medeleg, zero
                  la t3, __strap
                  csrw stvec, t3
                """);
    }

    @Test
    void userBitSeparatesUserAndSupervisorPages() {
        Priv.run("""
                  PT_INIT 8
                  MAP 0x50000000, DATA, URW
                  MAP 0x50001000, DATA + 0x1000, KRW
                  MAP_USER user_code
                  SATP_ON
                  li t3, DATA
                  li t4, 0x55
                  sd t4, 0(t3)
                  GO_S
                  li t3, 0x50000000               # S-mode on a user page needs SUM
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x50000000
                2:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 2b, 0x50000000
                  li t4, MSTATUS_SUM
                  csrs sstatus, t4
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x55
                  sd a0, 8(t3)
                  CHECK_NO_TRAP
                  csrc sstatus, t4                # clearing SUM takes the page away again,
                3:ld a0, 0(t3)                    # though the access above is in the TLB
                  CHECK_TRAP 3, LOAD_PF, 3b, 0x50000000
                8:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 8b, 0x50000000
                  csrs sstatus, t4
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x55
                  SET_RESUME 4f                   # and may never execute it
                  la t4, user_code
                  jr t4
                4:CHECK_TRAP_A 3, FETCH_PF, user_code, user_code
                  TO_M
                  li t3, MSTATUS_SUM              # SUM means nothing to U-mode
                  csrs mstatus, t3
                  ENTER_U user_code
                  BEGIN_PAGE user_code
                  li t3, 0x50000000
                  ld a0, 8(t3)
                  CHECK_EQ a0, 0x55
                  li t3, 0x50001000               # U-mode never touches supervisor pages
                5:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 5b, 0x50001000
                6:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 6b, 0x50001000
                  SET_RESUME 7f
                  la t4, __test
                  jr t4
                7:CHECK_TRAP_A 3, FETCH_PF, __test, __test
                  TO_M
                  END_PAGE user_code
                  li t3, MSTATUS_SUM
                  csrc mstatus, t3
                """);
    }

    @ParameterizedTest(name = "satp.MODE={0}")
    @ValueSource(ints = {8, 9, 10})
    void walkerSetsAccessedAndDirtyBits(int mode) {
        Priv.run(sv(mode, """
                  PT_INIT MODE
                  MAP 0x50000000, DATA, PTE_V | PTE_R | PTE_W
                  MAP 0x50001000, DATA + 0x1000, PTE_V | PTE_R | PTE_W
                  MAP 0x50002000, DATA, PTE_V | PTE_R
                  MAP_LABEL 0x60000000, code, PTE_V | PTE_R | PTE_X
                  MAP 0x20000000, DATA, PTE_V | PTE_R | PTE_W, 1
                  SATP_ON
                  PTE_ADDR s0, 0x50000000
                  PTE_ADDR s1, 0x50001000
                  PTE_ADDR s2, 0x50002000
                  PTE_ADDR a6, 0x60000000
                  PTE_ADDR a7, 0x20000000, 1
                  GO_S
                  ld a0, 0(s0)
                  CHECK_MASK a0, PTE_A | PTE_D, 0
                  li t3, 0x50000000               # a load sets A
                  ld a1, 0(t3)
                  ld a0, 0(s0)
                  CHECK_MASK a0, PTE_A | PTE_D, PTE_A
                  sd a1, 0(t3)                    # a store sets D
                  ld a0, 0(s0)
                  CHECK_MASK a0, PTE_A | PTE_D, PTE_A | PTE_D
                  li t3, 0x50001000               # a first store sets both
                  sd zero, 0(t3)
                  ld a0, 0(s1)
                  CHECK_MASK a0, PTE_A | PTE_D, PTE_A | PTE_D
                  li t3, 0x60000000               # a fetch sets A
                  jalr t3
                  ld a0, 0(a6)
                  CHECK_MASK a0, PTE_A | PTE_D, PTE_A
                  li t3, 0x20000000 + 0x3000      # and so on a superpage
                  ld a1, 0(t3)
                  ld a0, 0(a7)
                  CHECK_MASK a0, PTE_A | PTE_D, PTE_A
                  li t3, 0x50002000               # a faulting access sets nothing
                1:sd zero, 0(t3)
                  CHECK_TRAP 3, STORE_PF, 1b, 0x50002000
                  ld a0, 0(s2)
                  CHECK_MASK a0, PTE_A | PTE_D, 0
                  TO_M
                  BEGIN_PAGE code
                  ret
                  END_PAGE code
                """));
    }

    @Test
    void mprvTranslatesMachineModeLoadsAndStores() {
        Priv.run("""
                  .macro SET_MPP mpp
                  li t2, MSTATUS_MPP
                  csrc mstatus, t2
                  li t2, \\mpp << 11
                  csrs mstatus, t2
                  .endm
                  PT_INIT 8
                  MAP 0x50000000, DATA, KRW
                  MAP 0x50001000, DATA + 0x1000, URW
                  MAP 0x50002000, DATA + 0x2000, PTE_V | PTE_X | PTE_A
                  SATP_ON
                  li t3, DATA
                  li t4, 0x77
                  sd t4, 0(t3)
                  li t3, DATA + 0x1000
                  li t4, 0x88
                  sd t4, 0(t3)
                  li t3, DATA + 0x2000
                  li t4, 0x99
                  sd t4, 0(t3)
                  # MPRV with MPP = S: loads and stores see S-mode's address space
                  li t3, MSTATUS_MPRV
                  csrs mstatus, t3
                  SET_MPP 1
                  li t3, 0x50000000
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x77
                  li t4, 0x7a
                  sd t4, 8(t3)
                  li t3, 0x50001000               # with S-mode's permissions
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x50001000
                  SET_MPP 1                       # (the trap and its mret changed MPP)
                  li t4, MSTATUS_SUM
                  csrs mstatus, t4
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x88
                  li t3, 0x50002000
                2:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 2b, 0x50002000
                  SET_MPP 1
                  li t4, MSTATUS_MXR
                  csrs mstatus, t4
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x99
                  # MPP = U: U-mode's permissions (fetches stay untranslated, or this code would fault)
                  SET_MPP 0
                  li t3, 0x50001000
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x88
                  li t3, 0x50000000
                3:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 3b, 0x50000000
                  SET_MPP 3                       # MPP = M: no translation
                  li t3, DATA + 8
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0x7a
                  li t3, MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR
                  csrc mstatus, t3
                  li t3, 0x50000000               # MPRV = 0: physical, and nothing lives there
                4:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_ACCESS, 4b, 0x50000000
                """);
    }

    @ParameterizedTest(name = "satp.MODE={0}")
    @ValueSource(ints = {8, 9, 10})
    void sfenceVmaMakesPteChangesVisible(int mode) {
        Priv.run(sv(mode, """
                  .equ PTE_DATA0, (DATA >> 12) << 10 | KRW
                  .equ PTE_DATA1, ((DATA + 0x1000) >> 12) << 10 | KRW
                  PT_INIT MODE
                  MAP 0x50000000, DATA, KRW
                  MAP_LABEL 0x60000000, code_a, PTE_V | PTE_X | PTE_A
                  SATP_ON
                  PTE_ADDR s0, 0x50000000
                  PTE_ADDR s1, 0x60000000
                  la s2, code_b
                  srli s2, s2, 12
                  slli s2, s2, 10
                  ori s2, s2, PTE_V | PTE_X | PTE_A
                  li t3, DATA
                  li t4, 0xa
                  sd t4, 0(t3)
                  li t3, DATA + 0x1000
                  li t4, 0xb
                  sd t4, 0(t3)
                  GO_S
                  li t3, 0x50000000
                  ld a0, 0(t3)                    # now cached
                  CHECK_EQ a0, 0xa
                  sd a0, 8(t3)                    # a store translation cached too
                  li t4, PTE_DATA1
                  sd t4, 0(s0)
                  sfence.vma t3                   # by address
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xb
                  li t4, 0xc
                  sd t4, 8(t3)
                  li t4, PTE_DATA0
                  sd t4, 0(s0)
                  sfence.vma                      # everything
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xa
                  ld a0, 8(t3)
                  CHECK_EQ a0, 0xa
                  sd zero, 0(s0)                  # unmapped
                  sfence.vma zero, t3
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_PF, 1b, 0x50000000
                  li t3, 0x60000000               # instruction fetches too
                  jalr t3
                  CHECK_EQ a0, 1
                  sd s2, 0(s1)
                  sfence.vma t3
                  jalr t3
                  CHECK_EQ a0, 2
                  TO_M
                  li t3, DATA + 0x1008
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xc
                  BEGIN_PAGE code_a
                  li a0, 1
                  ret
                  END_PAGE code_a
                  BEGIN_PAGE code_b
                  li a0, 2
                  ret
                  END_PAGE code_b
                """));
    }

    @Test
    void sfenceVmaByAddressCoversTheWholeSuperpage() {
        Priv.run("""
                  PT_INIT 8
                  MAP 0x20000000, DATA, KRW, 1
                  SATP_ON
                  PTE_ADDR s0, 0x20000000, 1
                  li t3, DATA + 0x1000
                  li t4, 1
                  sd t4, 0(t3)
                  li t3, DATA + 0x200000 + 0x1000
                  li t4, 2
                  sd t4, 0(t3)
                  GO_S
                  li t3, 0x20000000
                  ld a0, 0(t3)                    # translations for two 4 KiB parts of it
                  li t4, 0x20001000
                  ld a0, 0(t4)
                  CHECK_EQ a0, 1
                  li t5, ((DATA + 0x200000) >> 12) << 10 | KRW
                  sd t5, 0(s0)                    # move the superpage ...
                  sfence.vma t3                   # ... and fence one address inside it
                  ld a0, 0(t4)
                  CHECK_EQ a0, 2
                  TO_M
                """);
    }

    @Test
    void satpSelectsTheAddressSpace() {
        Priv.run("""
                  PT_INIT 8
                  MAP 0x50000000, DATA, KRW
                  PT_SATP s0
                  PT_INIT 8
                  MAP 0x50000000, DATA + 0x1000, KRW
                  PT_SATP s1
                  li t3, DATA
                  li t4, 0xa
                  sd t4, 0(t3)
                  li t3, DATA + 0x1000
                  li t4, 0xb
                  sd t4, 0(t3)
                  csrw satp, s0
                  sfence.vma
                  GO_S
                  li t3, 0x50000000
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xa
                  csrw satp, s1
                  sfence.vma
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xb
                  csrw satp, zero                 # Bare, at once
                  li t4, DATA
                  ld a0, 0(t4)
                  CHECK_EQ a0, 0xa
                  csrw satp, s0                   # and back
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xa
                  # with distinct ASIDs no fence is needed
                  li t4, 1 << 44
                  or s0, s0, t4
                  li t4, 2 << 44
                  or s1, s1, t4
                  csrw satp, s0
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xa
                  csrw satp, s1
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xb
                  csrw satp, s0
                  ld a0, 0(t3)
                  CHECK_EQ a0, 0xa
                  TO_M
                """);
    }

    @Test
    void fetchFaultOnTheSecondHalfOfAnInstructionReportsThatHalf() {
        Priv.run("""
                  PT_INIT 8
                  MAP_LABEL 0x60000000, straddle, KRWX  # the next virtual page stays unmapped
                  SATP_ON
                  GO_S
                  SET_RESUME 1f
                  li t3, 0x60000ffe
                  jr t3
                1:CHECK_TRAP_VA 3, FETCH_PF, 0x60000ffe, 0x60001000
                  TO_M
                  BEGIN_PAGE straddle
                  .skip 4094
                  .hword 0x0513                   # first half of addi a0, zero, 0
                  END_PAGE straddle
                """);
    }

    @Test
    void anInstructionStraddlingTwoVirtualPagesIsFetchedThroughBothTranslations() {
        // The two halves live on physical pages that are not neighbours; the physical neighbour
        // of the first page holds something else.
        Priv.run("""
                  PT_INIT 8
                  MAP_LABEL 0x60000000, first, KRWX
                  MAP_LABEL 0x60001000, second, KRWX
                  MAP_LABEL 0x60010000, first_bad, KRWX
                  MAP_LABEL 0x60011000, second_bad, KRWX
                  SATP_ON
                  GO_S
                  li t3, 0x60000ffe
                  li a0, 0
                  jalr t3                         # addi a0, zero, 0x123; ret
                  CHECK_EQ a0, 0x123
                  CHECK_NO_TRAP
                  li t3, 0x60010ffe
                1:jalr t3                         # an unimplemented 32-bit instruction
                  CHECK_TRAP_VA 3, ILLEGAL, 0x60010ffe, 0x1234500b
                  TO_M
                  BEGIN_PAGE first
                  .skip 4094
                  .hword 0x0513                   # addi a0, zero, 0x123 = 0x12300513
                  END_PAGE first
                  BEGIN_PAGE second
                  .hword 0x1230
                  .hword 0x0001                   # c.nop
                  ret
                  END_PAGE second
                  BEGIN_PAGE first_bad
                  .skip 4094
                  .hword 0x500b
                  END_PAGE first_bad
                  BEGIN_PAGE second_bad
                  .hword 0x1234
                  .hword 0x0001
                  ret
                  END_PAGE second_bad
                """);
    }

    @Test
    void physicalAccessFaultsUnderTranslationReportTheVirtualAddress() {
        Priv.run("""
                  PT_INIT 8
                  MAP 0x50000000, 0x40000000, KRWX       # a leaf pointing at a hole in the bus
                  SATP_ON
                  GO_S
                  li t3, 0x50000010
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_ACCESS, 1b, 0x50000010
                2:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_ACCESS, 2b, 0x50000010
                  SET_RESUME 3f
                  jr t3
                3:CHECK_TRAP_VA 3, INSN_ACCESS, 0x50000010, 0x50000010
                  TO_M
                """);
    }

    @Test
    void pageTableWalkOutsideMemoryIsAnAccessFault() {
        Priv.runNoQemu("QEMU 7.2 raises a page fault when it cannot read a PTE, against spec 1.12 §4.3.2 step 2", """
                  # a root table in a hole: the walk itself faults (seen through MPRV)
                  li t3, 8 << 60 | 0x40000
                  csrw satp, t3
                  li t3, MSTATUS_MPP
                  csrc mstatus, t3
                  li t3, MSTATUS_MPRV | MPP_S
                  csrs mstatus, t3
                  li t3, 0x50000000
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_ACCESS, 1b, 0x50000000
                  li t3, MSTATUS_MPP                # (the trap reset MPP)
                  csrc mstatus, t3
                  li t3, MPP_S
                  csrs mstatus, t3
                  li t3, 0x50000008
                2:sd a0, 0(t3)
                  CHECK_TRAP 3, STORE_ACCESS, 2b, 0x50000008
                  li t3, MSTATUS_MPRV
                  csrc mstatus, t3
                  csrw satp, zero
                """);
    }

    @Test
    void bareAccessesOutsideMemoryAndDevicesAreAccessFaults() {
        Priv.run(probe("0x40000000") + probe("0x81000000")   // a hole, and just past the end of RAM
                + "  GO_S\n" + probe("0x40000000") + "  TO_M\n"
                + "  GO_U\n" + probe("0x40000000") + "  TO_M\n");
    }

    /** Load, store and fetch at a physical address that nothing answers. */
    private static String probe(String addr) {
        return """
                  li t3, ADDR
                1:ld a0, 0(t3)
                  CHECK_TRAP 3, LOAD_ACCESS, 1b, ADDR
                2:sw a0, 0(t3)
                  CHECK_TRAP 3, STORE_ACCESS, 2b, ADDR
                  SET_RESUME 3f
                  jr t3
                3:CHECK_TRAP_VA 3, INSN_ACCESS, ADDR, ADDR
                """.replace("ADDR", addr);
    }
}
