#!/usr/bin/env bash
# A differential fuzzing campaign (src/test/java/jvisor/fuzz): SEEDS random RV64GC programs, each
# run on jvisor with the JIT off, eager, tiered and on, and under qemu-riscv64; final registers,
# fcsr and data memory must agree. Mismatches are printed with the seed, a shrunk listing and the
# differing state; their ELF and listing go to bench/out/fuzz. Writes the "fuzz" section of
# docs/PERFORMANCE.md unless FUZZ_DOC=0.  Usage: bench/fuzz.sh [SEEDS] [FIRST_SEED]
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SEEDS="${1:-2000}" FIRST="${2:-1}"
need_packages qemu-user
command -v mvn >/dev/null || need_packages maven
. "$ROOT/tools/jdk.sh"
(cd "$ROOT" && mvn -q -B -ntp test-compile)

log="$OUT/fuzz.log"
start=$(date +%s)
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$ROOT/target/test-classes:$ROOT/target/classes" \
  jvisor.fuzz.DiffFuzzer "$SEEDS" "$FIRST" "$OUT/fuzz" | tee "$log"
secs=$(( $(date +%s) - start ))
# the last line: "N seeds (Q also under QEMU), I guest instructions per run, M mismatching seeds, T s"
read -r n q insns bad < <(tail -1 "$log" | sed -E 's/^([0-9]+) seeds \(([0-9]+) also .*\), ([0-9]+) guest .*, ([0-9]+) mismatching.*/\1 \2 \3 \4/')
[ "${FUZZ_DOC:-1}" = 0 ] && exit 0

body="$OUT/fuzz.md"
{
  echo "Last campaign: \`bench/fuzz.sh $SEEDS $FIRST\` ran $n programs (up to 1,200 instructions, executing"
  echo "$(( insns / n / 1000 ))k each on average) on jvisor with the JIT off, eager, tiered and on, and $q of them"
  echo "also under qemu-riscv64 (the others read the counters or trap): $(awk -v i="$insns" 'BEGIN {printf "%.2f", i / 1e8}') × 10^8 guest"
  echo "instructions in each jvisor mode, $(awk -v i="$insns" -v n="$n" -v q="$q" 'BEGIN {printf "%.2f", i * (4 + q / n) / 1e8}') × 10^8 in all, in $secs s; $bad mismatching programs."
  echo
  echo "$(host_line); $(qemu-riscv64 --version | head -1)."
} > "$body"
write_section fuzz "$body"
cat "$body"
