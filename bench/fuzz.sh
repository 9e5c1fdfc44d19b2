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
# the last line: "N seeds, I guest instructions per environment (E environments), M mismatching seeds, T s"
read -r n insns envs bad < <(tail -1 "$log" | sed -E 's/^([0-9]+) seeds, ([0-9]+) guest .* \(([0-9]+) environments\), ([0-9]+) mismatching.*/\1 \2 \3 \4/')
[ "${FUZZ_DOC:-1}" = 0 ] && exit 0

body="$OUT/fuzz.md"
{
  echo "Last campaign: \`bench/fuzz.sh $SEEDS $FIRST\` ran $n seeds (programs of up to 1,200 instructions"
  echo "that execute about $(( insns / n / 1000 ))k each), $(awk -v i="$insns" 'BEGIN {printf "%.2g", i}') guest instructions in each of"
  echo "$envs environments (jvisor with the JIT off, eager, tiered and on; qemu-riscv64) in $secs s:"
  echo "$bad mismatching seeds."
  echo
  echo "$(host_line); $(qemu-riscv64 --version | head -1)."
} > "$body"
write_section fuzz "$body"
cat "$body"
