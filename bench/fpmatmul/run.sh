#!/usr/bin/env bash
# FP benchmark: double matrix multiply on jvisor (bare-metal HTIF) with the checksum checked
# against the same program under qemu-riscv64. Usage: bench/fpmatmul/run.sh [N] [REPS]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
n="${1:-160}" reps="${2:-4}"
cc="${RISCV_CC:-riscv64-linux-gnu-gcc}"
out="$root/bench/out/fpmatmul"
mkdir -p "$out"
defs=(-DN="$n" -DREPS="$reps")
"$cc" -static -O2 "${defs[@]}" -o "$out/matmul-linux" "$here/matmul.c"
"$cc" -O2 -DBAREMETAL "${defs[@]}" -nostdlib -nostartfiles -ffreestanding -static -no-pie -fno-pic \
  -mcmodel=medany -march=rv64gc -mabi=lp64d -Wl,--build-id=none -T "$root/tools/fpdiff/link.ld" \
  -o "$out/matmul.elf" "$root/tools/fpdiff/crt0.S" "$here/matmul.c"
start=$(date +%s%N)
want="$(qemu-riscv64 "$out/matmul-linux")"
qns=$(( $(date +%s%N) - start ))
start=$(date +%s%N)
got="$(${JVISOR:-"$root/jvisor"} run --bios none --kernel "$out/matmul.elf")"
ns=$(( $(date +%s%N) - start ))
flops=$(( 2 * n * n * n * reps ))
if [ "$got" != "$want" ]; then echo "fpmatmul: checksum $got differs from qemu's $want" >&2; exit 1; fi
body="$out/fpmatmul.md"
{
  echo "## Double-precision matrix multiply (bench/fpmatmul/run.sh)"
  echo
  echo "C (bench/fpmatmul/matmul.c), N=$n, $reps repetitions, gcc -O2 rv64gc; checksum $got identical on both."
  echo "One run each, whole process including start-up."
  echo
  echo "| system | time | MFLOP/s |"
  echo "|---|---|---|"
  echo "| jvisor (bare metal, HTIF, JIT on) | $(( ns / 1000000 )) ms | $(( flops * 1000 / ns )) |"
  echo "| qemu-riscv64 (user mode, TCG) | $(( qns / 1000000 )) ms | $(( flops * 1000 / qns )) |"
  echo
  echo "jvisor / QEMU time ratio: $(echo "scale=2; $ns / $qns" | bc). F/D instructions run inside compiled regions (fld, fsd and the commonest double ops through small FPU methods that C2 inlines); a run this short is dominated by JVM start-up and JIT warm-up."
} > "$body"
( . "$root/bench/lib.sh"; write_section fpmatmul "$body" )
cat "$body"
