# A teaching kernel's entry, as kernels written for QEMU's virt board with -bios none begin:
# every hart starts here in M-mode at 0x80000000 with a0 = its hart id.
  .section .text.entry
  .globl _entry
_entry:
  csrr a0, mhartid
  la sp, stacks
  li t0, 4096
  addi t1, a0, 1
  mul t0, t0, t1
  add sp, sp, t0          # sp = stacks + (hartid + 1) * 4096
  call start
1:
  wfi
  j 1b

# Machine-mode trap vector: saves the caller-saved registers and calls trap() in C.
  .align 4
  .globl trapvec
trapvec:
  addi sp, sp, -128
  sd ra, 0(sp)
  sd t0, 8(sp)
  sd t1, 16(sp)
  sd t2, 24(sp)
  sd a0, 32(sp)
  sd a1, 40(sp)
  sd a2, 48(sp)
  sd a3, 56(sp)
  sd a4, 64(sp)
  sd a5, 72(sp)
  sd a6, 80(sp)
  sd a7, 88(sp)
  sd t3, 96(sp)
  sd t4, 104(sp)
  sd t5, 112(sp)
  sd t6, 120(sp)
  call trap
  ld ra, 0(sp)
  ld t0, 8(sp)
  ld t1, 16(sp)
  ld t2, 24(sp)
  ld a0, 32(sp)
  ld a1, 40(sp)
  ld a2, 48(sp)
  ld a3, 56(sp)
  ld a4, 64(sp)
  ld a5, 72(sp)
  ld a6, 80(sp)
  ld a7, 88(sp)
  ld t3, 96(sp)
  ld t4, 104(sp)
  ld t5, 112(sp)
  ld t6, 120(sp)
  addi sp, sp, 128
  mret
