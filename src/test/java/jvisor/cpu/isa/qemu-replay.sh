#!/bin/bash
# Replays the user-level ISA test bodies on qemu-riscv64 and compares the values they SAVE with
# jvisor's. Bodies that use CSRs, traps or fence.i (M-mode only) are skipped; bodies that SAVE
# code or data addresses differ by design (jvisor links at 0x80000000, this at 0x10000).
#   ./run-tests -Dtest='jvisor.cpu.isa.*Test' -Djvisor.isa.dump=/tmp/isa-dump
#   src/test/java/jvisor/cpu/isa/qemu-replay.sh /tmp/isa-dump
dir=${1:?usage: qemu-replay.sh DUMP_DIR}
ok=0; bad=0; skip=0
for s in "$dir"/*.S; do
  case "$s" in *.q.S) continue ;; esac
  n=${s%.S}
  if grep -qE 'csr|RECORD_TRAPS|mret|ecall|ebreak|EXIT|fence\.i|\.half' "$s"; then skip=$((skip+1)); continue; fi
  {
    printf '.macro SAVE reg\n sd \\reg, 0(s11)\n addi s11, s11, 8\n.endm\n'
    printf '.text\n.globl _start\n_start:\n la s11, qbuf\n'
    cat "$s"
    printf '\n la a1, qbuf\n sub a2, s11, a1\n li a0, 1\n li a7, 64\n ecall\n li a0, 0\n li a7, 93\n ecall\n'
    printf '.bss\n.balign 8\nqbuf: .space 1<<20\n'
  } > "$n.q.S"
  if ! riscv64-unknown-elf-as -march=rv64gc -o "$n.q.o" "$n.q.S" ||
     ! riscv64-unknown-elf-ld --no-relax -Ttext=0x10000 -o "$n.q.elf" "$n.q.o"; then
    echo "BUILD FAILED $s"; bad=$((bad+1)); continue
  fi
  qemu-riscv64 "$n.q.elf" | od -An -v -tx8 -w8 | tr -d ' ' > "$n.q.out"
  if cmp -s "$n.q.out" "$n.out"; then ok=$((ok+1)); else echo "DIFFERS $s"; diff "$n.q.out" "$n.out" | head -6; bad=$((bad+1)); fi
done
echo "$ok matched, $bad differed, $skip skipped"
