#!/usr/bin/env bash
# CPU benchmark: bench/cbench/cbench.c (integer, memory-bound, branchy and double-precision parts)
# built for riscv64 (static, -O2) and for the host, run inside the Debian guest on jvisor and on
# qemu-system-riscv64 (one boot per run; the program is in an extra initramfs layer), under
# qemu-riscv64 (user mode) and natively; the systems alternate run by run. Each part is timed by
# the program's own clock; the host wall time of the command is taken too. Every run must print
# the same checksum. Writes the "cbench" section of docs/PERFORMANCE.md.
#   bench/cbench/run.sh [RUNS [SCALE]]     SCALE: percent of the default work (100)
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
RUNS="${1:-5}" SCALE="${2:-100}"
need_packages gcc gcc-riscv64-linux-gnu qemu-user qemu-system-misc cpio python3
jvisor_ready
debian_image

dir="$OUT/cbench" src="$BENCH_DIR/cbench/cbench.c"
mkdir -p "$dir"
cbench_initrd "$dir" "$IMAGE/initrd.gz"
gcc "${CFLAGS[@]}" -o "$dir/cbench-native" "$src" -lm
machines "$dir/initrd.gz"
SYSTEMS=(jvisor qemu qemu-user native)

raw="$dir/raw"
: > "$raw"
for i in $(seq "$RUNS"); do
  for sys in "${SYSTEMS[@]}"; do
    out="$dir/$sys-$i.out"
    case "$sys" in
      jvisor | qemu)
        if [ "$sys" = jvisor ]; then argv=("${JVISOR_BUILTIN[@]}"); else argv=("${QEMU_SYSTEM[@]}"); fi
        if ! drive_console "$out.steps" "$out" --cmd "cbench $SCALE" --cmd 'poweroff -f' -- "${argv[@]}"; then
          echo "cbench: $sys, run $i failed; see $out and $out.steps" >&2
          exit 1
        fi
        wall="$(step_wall "$out.steps" "cbench $SCALE")" ;;
      qemu-user | native)
        if [ "$sys" = native ]; then argv=("$dir/cbench-native"); else argv=(qemu-riscv64 "$dir/cbench"); fi
        t0=$(date +%s%N)
        "${argv[@]}" "$SCALE" > "$out"
        wall=$(awk -v ns=$(( $(date +%s%N) - t0 )) 'BEGIN {printf "%.2f", ns / 1e9}') ;;
    esac
    read -r int mem br fp total sum < <(cbench_parse < "$out")
    [ -n "$sum" ] || { echo "cbench: $sys, run $i printed no checksum; see $out" >&2; exit 1; }
    echo "$sys $i $int $mem $br $fp $total $wall $sum" >> "$raw"
    echo "cbench: $sys run $i: int $int s, memory $mem s, branch $br s, fp $fp s, total $total s, wall $wall s, checksum $sum" >&2
  done
done
if [ "$(awk '{print $9}' "$raw" | sort -u | wc -l)" -ne 1 ]; then
  echo "cbench: the checksums differ:" >&2
  cat "$raw" >&2
  exit 1
fi
checksum="$(awk '{print $9; exit}' "$raw")"

col() { awk -v s="$1" -v c="$2" '$1 == s {print $c}' "$raw"; }
med() { col "$1" "$2" | median; }
name_of() {
  case "$1" in
    jvisor) echo "jvisor (guest, built-in SBI, JIT on)" ;;
    qemu) echo "QEMU $(qemu-system-riscv64 --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p') system TCG (guest)" ;;
    qemu-user) echo "qemu-riscv64 (user mode, TCG)" ;;
    native) echo "native ($(gcc -dumpfullversion) -O2, host CPU)" ;;
  esac
}
body="$dir/cbench.md"
{
  echo "## CPU benchmark in C (bench/cbench/run.sh)"
  echo
  echo "bench/cbench/cbench.c at scale $SCALE: int (64-bit multiply/xor/rotate mixing with divisions, table CRC-32),"
  echo "memory (pointer chase around one scrambled cycle through 32 MiB, streaming over three 16 MiB arrays),"
  echo "branch (quicksort of 1.5 M keys, a switch-dispatched bytecode interpreter), fp (Mandelbrot, five-body"
  echo "simulation; +, −, ×, ÷, sqrt only). Built with \`${CFLAGS[*]}\` (\`-static\` for riscv64; no FMA"
  echo "contraction, so every system rounds alike); checksum $checksum on all $(wc -l < "$raw") runs."
  echo "Seconds by the program's clock (CLOCK_MONOTONIC; in the guests that is the guest's clock) and the"
  echo "host wall time of the command (in the guests: from typing it to the next prompt). The guests boot"
  echo "afresh for every run with the program in an extra initramfs layer, so jvisor's figures include"
  echo "its JIT compiling the program's code. Runs per system: $RUNS, alternating; median (min–max)."
  echo
  echo "| system | int | memory | branch | fp | total | host wall |"
  echo "|---|---|---|---|---|---|---|"
  for s in "${SYSTEMS[@]}"; do
    echo "| $(name_of "$s") | $(for c in 3 4 5 6 7 8; do printf '%s | ' "$(col "$s" $c | stats 2)"; done)"
  done | sed 's/ | $/ |/'
  echo
  echo "jvisor / QEMU system (medians): int $(ratio "$(med jvisor 3)" "$(med qemu 3)"),"\
       "memory $(ratio "$(med jvisor 4)" "$(med qemu 4)"), branch $(ratio "$(med jvisor 5)" "$(med qemu 5)"),"\
       "fp $(ratio "$(med jvisor 6)" "$(med qemu 6)"), total $(ratio "$(med jvisor 7)" "$(med qemu 7)"),"\
       "host wall $(ratio "$(med jvisor 8)" "$(med qemu 8)")."
  echo "Total against native: jvisor $(ratio "$(med jvisor 7)" "$(med native 7)")×, QEMU system"\
       "$(ratio "$(med qemu 7)" "$(med native 7)")×, qemu-riscv64 $(ratio "$(med qemu-user 7)" "$(med native 7)")×."
  echo
  echo "Guest command lines: \`$(shown "${JVISOR_BUILTIN[@]}")\` and \`$(shown "${QEMU_SYSTEM[@]}")\`,"
  echo "typing \`cbench $SCALE\` at the prompt (\`<image>\`: the cached debian image)."
  echo
  machine_line "$KERNEL_RELEASE"
  noise_line "$(for s in "${SYSTEMS[@]}"; do col "$s" 7 | spread; echo; done | sort -g | tail -1)" "total times"
} > "$body"
write_section cbench "$body"
cat "$body"
