#!/usr/bin/env bash
# Differential test of jvisor's F/D instructions against QEMU.
#
#   tools/fpdiff/run.sh [N] [SEED]
#
# Builds fpdiff.c twice: a static Linux program run under qemu-riscv64 (the reference) and a
# bare-metal HTIF program run on jvisor. Both print one line per case; any differing line is a
# mismatch. Needs gcc-riscv64-linux-gnu and qemu-user (Debian packages). JVISOR overrides the
# jvisor launcher command (default: the repository's ./jvisor script). Exit status: 0 if the
# outputs agree, 1 on mismatches, 2 if a tool is missing or a build/run failed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
n="${1:-1000000}"
seed="${2:-1}"
qemu="${QEMU_RISCV64:-qemu-riscv64}"
command -v "$qemu" >/dev/null || { echo "fpdiff: $qemu not found (apt-get install qemu-user)" >&2; exit 2; }
work="${FPDIFF_WORK:-$(mktemp -d "${TMPDIR:-/tmp}/fpdiff.XXXXXX")}"
"$here/build.sh" "$work" "$n" "$seed"

"$qemu" "$work/fpdiff-linux" > "$work/qemu.txt"
${JVISOR:-"$root/jvisor"} run --bios none --kernel "$work/fpdiff.elf" > "$work/jvisor.txt" || {
  echo "fpdiff: jvisor exited with status $?" >&2; exit 2; }

ref_lines=$(wc -l < "$work/qemu.txt")
if cmp -s "$work/qemu.txt" "$work/jvisor.txt"; then
  echo "fpdiff: $n cases (seed $seed): jvisor matches qemu ($ref_lines lines)"
  exit 0
fi
# Pair lines up and list the differing ones (reference first).
paste -d '\n' "$work/qemu.txt" "$work/jvisor.txt" | awk 'NR % 2 { ref = $0; next } ref != $0 { print "qemu:   " ref; print "jvisor: " $0; bad++ } END { exit bad > 0 ? 0 : 1 }' > "$work/mismatches.txt" || true
bad=$(( $(wc -l < "$work/mismatches.txt") / 2 ))
echo "fpdiff: $n cases (seed $seed): $bad mismatching lines; by op:"
grep '^qemu:' "$work/mismatches.txt" | awk '{ print $2 }' | sort | uniq -c | sort -rn
head -20 "$work/mismatches.txt"
echo "fpdiff: full outputs in $work"
exit 1
