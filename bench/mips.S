# Integer workload for the interpreter benchmark (bench/mips.sh): loads, stores, branches,
# ALU ops, compressed and full-size instructions, as compiled C code has. It scrambles a
# 64 KiB array ROUNDS times, prints a checksum (so runs on different emulators can be
# compared) and exits through HTIF.
  .section .text.init
  .globl _start
_start:
  li s0, ROUNDS
  la s1, buffer
  li s2, 8192              # 64-bit words in the buffer
  li s3, 0                 # checksum
  li s4, 0x9E3779B97F4A7C15
round:
  mv t0, s1
  li t1, 0
  li t2, 0                 # previous word
word:
  ld t3, 0(t0)
  mul t4, t2, s4
  add t3, t3, t4
  xor t3, t3, t1
  srli t5, t3, 7
  xor t3, t3, t5
  andi t6, t3, 3
  beqz t6, skip
  addi t3, t3, 1
  add s3, s3, t3
skip:
  sd t3, 0(t0)
  mv t2, t3
  addi t0, t0, 8
  addi t1, t1, 1
  bne t1, s2, word
  addi s0, s0, -1
  bnez s0, round
  # print the checksum as 16 hex digits and a newline on the HTIF console, then exit 0
  li s5, 60                # shift for the next nibble
hex:
  srl t0, s3, s5
  andi t0, t0, 15
  li t1, 10
  blt t0, t1, digit
  addi t0, t0, 'a' - '0' - 10
digit:
  addi t0, t0, '0'
  call putc
  addi s5, s5, -4
  bgez s5, hex
  li t0, '\n'
  call putc
  li t0, 1
  la t1, tohost
  sd t0, 0(t1)
1: j 1b

# putc: writes the byte in t0 through HTIF (device 1, command 1) and waits for the host
putc:
  li t1, 0x0101000000000000
  or t0, t0, t1
  la t1, tohost
  sd t0, 0(t1)
  la t1, fromhost
2:ld t2, 0(t1)
  beqz t2, 2b
  sd zero, 0(t1)
  ret

  .section .tohost, "aw", @progbits
  .align 6
  .globl tohost
tohost: .dword 0
  .size tohost, 8
  .align 6
  .globl fromhost
fromhost: .dword 0
  .size fromhost, 8

  .section .data
  .align 12
buffer: .zero 65536
