/* Bare-metal entry for fpdiff under jvisor's HTIF test mode: M-mode, one hart. */
    .section .text.init
    .globl _start
_start:
    la      sp, __stack_top
    li      t0, 0x6000          /* mstatus.FS = Dirty: enables the F and D instructions */
    csrs    mstatus, t0
    csrwi   fcsr, 0
    call    main
    slli    a0, a0, 1           /* HTIF exit: tohost = (code << 1) | 1 */
    ori     a0, a0, 1
    la      t0, tohost
    sd      a0, 0(t0)
1:  j       1b
