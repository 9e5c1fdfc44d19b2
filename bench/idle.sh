#!/usr/bin/env bash
# Idle CPU of the host daemon, per thread: N one-hart 128 MiB test guests (Debian's kernel, the
# busybox initramfs of the test guest, jvisor images pull testguest) started in one `jvisor serve`; once every shell is
# ready and SETTLE seconds have passed, the daemon's user+system CPU time (utime+stime of
# /proc/PID/stat and of each /proc/PID/task/TID/stat) is read twice, IDLE seconds apart. Prints the
# share of one core used, and the threads that used it (hart threads are jvisor-vm-NAME, the JVM's
# compilers C1/C2_CompilerThre, jvisor's JIT jvisor-jit).
#   bench/idle.sh [N] [JAR]     (defaults: 1, the jar ./jvisor builds; SETTLE=60 IDLE=60)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/tools/jdk.sh"
N="${1:-1}"
SETTLE="${SETTLE:-60}"
IDLE="${IDLE:-60}"
test_guest
daemon_jar "${2:-}"
TICK="$(getconf CLK_TCK)"
daemon_work

start_daemon "$WORK"
t0=$SECONDS
for i in $(seq 1 "$N"); do
  curl -sf -H "$A" -X POST "$U/vms?start=true" -o /dev/null -d "{\"name\":\"i$i\",\"kernel\":\"$G/vmlinux\",\"initrd\":\"$G/initrd.gz\",\"append\":\"console=ttyS0 quiet jvisor.modules=virtio_mmio\",\"memory\":\"128M\"}"
done
for i in $(seq 1 "$N"); do
  until grep -q jvisor-test-ready "$WORK/state/logs/i$i.log" 2>/dev/null; do sleep 1; done
done
echo "$N guests at their shell after $((SECONDS - t0)) s; idle for ${SETTLE} s, then measuring ${IDLE} s" >&2
sleep "$SETTLE"

# utime+stime per thread name (the name is between the parentheses; it may hold spaces)
threads() {
  for t in /proc/"$DAEMON"/task/*; do
    sed -E 's/^[0-9]+ \((.*)\) [A-Z] (.*)$/\1|\2/' "$t/stat" | awk -F'|' '{split($2, f, " "); n=$1; gsub(/ /, "_", n); print n, f[11] + f[12]}'
  done | awk '{n=$1; sub(/[-#]?[0-9]+$/, "", n); if ($1 ~ /^jvisor-vm-/) n="jvisor-vm-*"; s[n]+=$2} END {for (k in s) print k, s[k]}' | sort
}
threads >"$WORK/a"; a="$(proc_ticks "$DAEMON")"
sleep "$IDLE"
threads >"$WORK/b"; b="$(proc_ticks "$DAEMON")"
awk -v d=$((b - a)) -v hz="$TICK" -v s="$IDLE" -v n="$N" \
  'BEGIN {printf "idle CPU: %.2f%% of one core for %d guests, %.3f%% per guest\n", 100 * d / hz / s, n, 100 * d / hz / s / n}'
join -a2 -e0 -o 0,1.2,2.2 "$WORK/a" "$WORK/b" | awk -v hz="$TICK" -v s="$IDLE" '$3 > $2 {printf "  %-18s %.2f%%\n", $1, 100 * ($3 - $2) / hz / s}' | sort -k2 -g -r
