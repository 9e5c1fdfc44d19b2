#!/usr/bin/env bash
# Boots Debian's kernel N times in a row on CPUS harts (defaults: 20 boots, 4 harts); each boot
# lists the harts, runs smpstress once and powers off. A boot passes when the shell came up, every
# hart is online, smpstress passed, the guest powered off cleanly, and the kernel printed no
# WARNING, RCU stall, soft lockup, BUG or Oops. Logs go to bench/out/smp-boots/.
#   bench/smp/boots.sh [N [CPUS]]     (kernel and initrd: see bench/smp/env.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
n="${1:-20}" cpus="${2:-4}"
. "$here/env.sh"
out="$here/../out/smp-boots"
mkdir -p "$out"
pass=0
for i in $(seq 1 "$n"); do
  log="$out/boot-$i.log"
  start=$(date +%s.%N)
  rc=0
  python3 "$CONSOLE" --timeout 300 --log "$log" --cmd 'cat /sys/devices/system/cpu/online' \
    --cmd "smpstress $cpus 20000 | tail -1" --cmd 'poweroff -f' -- \
    "$JVISOR" run --cpus "$cpus" --kernel "$KERNEL" --initrd "$INITRD" >/dev/null 2>"$log.steps" || rc=$?
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  verdict=ok
  [ "$rc" = 0 ] || verdict="exit status $rc"
  grep -aq "^0-$((cpus - 1))" "$log" || verdict="$verdict; not all harts online"
  grep -aq 'smpstress: .*PASS' "$log" || verdict="$verdict; smpstress failed"
  if grep -aqE 'WARNING:|rcu_.*[Ss]tall|soft lockup|hard LOCKUP|BUG:|Oops|Kernel panic' "$log"; then
    verdict="$verdict; kernel complained"
  fi
  boot=$(step_wall "$log.steps" boot)
  [ "$verdict" = ok ] && pass=$((pass + 1))
  printf 'boot %2d: %s (shell after %s s, %.0f s in all)\n' "$i" "$verdict" "$boot" "$secs"
done
echo "$pass of $n boots with $cpus harts passed"
[ "$pass" = "$n" ]
