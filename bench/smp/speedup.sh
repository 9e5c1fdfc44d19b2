#!/usr/bin/env bash
# SMP speedup: the same CPU-bound work (bench/smp/parwork.c, ROUNDS million rounds, default 40)
# on 1 thread with --cpus 1 and on 2 threads with --cpus 2. Each boot runs it once to warm up the
# JVM's JIT, then RUNS times (default 3). Prints the guest's own timings and, per run, the wall
# and CPU time of the jvisor process (other processes on the host steal wall time, not CPU time).
#   bench/smp/speedup.sh [ROUNDS [RUNS]]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rounds="${1:-40}" runs="${2:-3}"
. "$here/env.sh"
for cpus in 1 2; do
  cmds=(--cmd "parwork $cpus $rounds")
  for _ in $(seq 1 "$runs"); do cmds+=(--cmd "parwork $cpus $rounds"); done
  echo "--cpus $cpus (first run: JIT warm-up)"
  log="$(mktemp)"
  python3 "$CONSOLE" --timeout 900 "${cmds[@]}" --cmd 'poweroff -f' -- \
    "$JVISOR" run --cpus "$cpus" --kernel "$KERNEL" --initrd "$INITRD" 2>&1 >"$log" |
    grep -v ': boot:' | sed 's/^console.py: /  host: /'
  grep -a '^parwork:' "$log" | sed 's/^/  guest: /'
  rm -f "$log"
done
