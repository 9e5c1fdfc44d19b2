#!/usr/bin/env bash
# Guest MIPS on one hart: jvisor's interpreter, jvisor with its JIT, and QEMU (TCG) on the same
# bare-metal program (bench/mips.S), alternating run by run. Writes the "mips" section of
# docs/PERFORMANCE.md.  Usage: bench/mips.sh [RUNS] [ROUNDS]
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS="${1:-5}" ROUNDS="${2:-20000}"
need_packages binutils-riscv64-unknown-elf qemu-system-misc
jvisor_ready

elf="$OUT/mips.elf"
riscv64-unknown-elf-as -march=rv64gc -mabi=lp64d --defsym ROUNDS="$ROUNDS" -o "$OUT/mips.o" "$BENCH_DIR/mips.S"
riscv64-unknown-elf-ld -T "$BENCH_DIR/link.ld" --no-warn-rwx-segments -o "$elf" "$OUT/mips.o"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {print b - a}'; }
: > "$OUT/mips.raw"
for i in $(seq "$RUNS"); do
  for mode in off on; do
    t0=$(now)
    out=$("$ROOT/jvisor" run --bios none --jit "$mode" --stats --kernel "$elf" 2>&1)
    t1=$(now)
    insns=$(sed -n 's/.*jvisor: \([0-9]*\) instructions.*/\1/p' <<<"$out")
    inner=$(sed -n 's/.* s: \([0-9.]*\) MIPS (boot.*/\1/p' <<<"$out")
    cpu=$(sed -n 's/.*CPU, \([0-9.]*\) MIPS per CPU second.*/\1/p' <<<"$out")
    sum=$(head -1 <<<"$out")
    echo "jvisor-$mode $(elapsed "$t0" "$t1") $insns $inner $cpu $sum" >> "$OUT/mips.raw"
  done
  t0=$(now)
  sum=$(timeout 300 qemu-system-riscv64 -M spike -nographic -bios none -kernel "$elf" | head -1 | tr -d '\r')
  t1=$(now)
  echo "qemu $(elapsed "$t0" "$t1") - - - $sum" >> "$OUT/mips.raw"
done

insns=$(awk '$1=="jvisor-on"{print $3; exit}' "$OUT/mips.raw")
sums=$(awk '{print $6}' "$OUT/mips.raw" | sort -u | wc -l)
[ "$sums" -eq 1 ] || { echo "checksums differ between runs:"; cat "$OUT/mips.raw"; exit 1; }
col() { awk -v m="$1" -v c="$2" '$1==m{print $c}' "$OUT/mips.raw"; }
mips_wall() { col "$1" 2 | awk -v n="$insns" '{print n/$1/1e6}'; }
q=$(mips_wall qemu | median); on=$(col jvisor-on 4 | median); off=$(col jvisor-off 4 | median)
body="$OUT/mips.md"
{
  echo "## Guest MIPS, one hart (bench/mips.sh)"
  echo
  echo "bench/mips.S: $insns instructions of loads, stores, ALU ops and branches (RV64GC, compressed),"
  echo "bare metal with HTIF; the checksum it prints was identical on every run. Runs per system: $RUNS, alternating."
  echo
  echo "| system | MIPS, whole process (wall) | MIPS, guest execution only | MIPS per CPU-second of the hart thread |"
  echo "|---|---|---|---|"
  echo "| jvisor interpreter (--jit off) | $(mips_wall jvisor-off | stats 0) | $(col jvisor-off 4 | stats 0) | $(col jvisor-off 5 | stats 0) |"
  echo "| jvisor JIT (--jit on) | $(mips_wall jvisor-on | stats 0) | $(col jvisor-on 4 | stats 0) | $(col jvisor-on 5 | stats 0) |"
  echo "| QEMU TCG (qemu-system-riscv64 -M spike) | $(mips_wall qemu | stats 0) | – | – |"
  echo
  echo "Ratios (medians; jvisor's guest execution against QEMU's whole process): JIT / QEMU = $(ratio "$on" "$q");"\
       "interpreter / QEMU = $(ratio "$off" "$q"). Whole process against whole process: JIT / QEMU ="\
       "$(ratio "$(mips_wall jvisor-on | median)" "$q"); interpreter / QEMU = $(ratio "$(mips_wall jvisor-off | median)" "$q")."
  echo "Whole-process figures include JVM start-up (~0.3 s) for jvisor and QEMU's start-up."
  echo
  machine_line
  noise_line "$( (mips_wall qemu | spread; echo; col jvisor-on 4 | spread; echo; col jvisor-off 4 | spread; echo) | sort -g | tail -1)" "MIPS"
} > "$body"
write_section mips "$body"
cat "$body"
