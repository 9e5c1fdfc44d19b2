#!/usr/bin/env bash
# Idle cost: boots CPUS harts (default 4) to the shell prompt and types nothing for two spans of
# SECONDS (default 30); prints the CPU time the jvisor process used in each. The first span still
# has the JVM finishing JIT compilations queued during boot; the second is the steady state.
#   bench/smp/idle.sh [CPUS [SECONDS]]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cpus="${1:-4}" secs="${2:-30}"
. "$here/env.sh"
python3 "$CONSOLE" --timeout 600 --cmd "@idle $secs" --cmd "@idle $secs" --cmd 'poweroff -f' -- \
  "$JVISOR" run --cpus "$cpus" --kernel "$KERNEL" --initrd "$INITRD" 2>&1 >/dev/null | sed 's/^console.py: /  host: /'
