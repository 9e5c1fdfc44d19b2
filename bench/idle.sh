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
JAR="${2:-}"
SETTLE="${SETTLE:-60}"
IDLE="${IDLE:-60}"
test_guest
if [ -z "$JAR" ]; then "$ROOT/jvisor" --version >/dev/null; JAR="$ROOT/target/jvisor.jar"; fi
TICK="$(getconf CLK_TCK)"
WORK="$(mktemp -d)"
DAEMON=""
cleanup() { [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# The same JVM options as ./jvisor.
"$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -XX:-UseFPUForSpilling ${JVISOR_JAVA_OPTS:-} \
  -jar "$JAR" serve --state "$WORK/state" --listen 127.0.0.1:0 --max-memory 20G >"$WORK/daemon.out" 2>"$WORK/daemon.log" &
DAEMON=$!
while [ ! -f "$WORK/state/address" ]; do kill -0 "$DAEMON" || { cat "$WORK/daemon.log"; exit 1; }; sleep 0.2; done
U="$(cat "$WORK/state/address")/api/v1"; A="Authorization: Bearer $(cat "$WORK/state/token")"
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
total() { sed -E 's/^.*\) [A-Z] //' "/proc/$DAEMON/stat" | awk '{print $11 + $12}'; }
threads >"$WORK/a"; a="$(total)"
sleep "$IDLE"
threads >"$WORK/b"; b="$(total)"
awk -v d=$((b - a)) -v hz="$TICK" -v s="$IDLE" -v n="$N" \
  'BEGIN {printf "idle CPU: %.2f%% of one core for %d guests, %.3f%% per guest\n", 100 * d / hz / s, n, 100 * d / hz / s / n}'
join -a2 -e0 -o 0,1.2,2.2 "$WORK/a" "$WORK/b" | awk -v hz="$TICK" -v s="$IDLE" '$3 > $2 {printf "  %-18s %.2f%%\n", $1, 100 * ($3 - $2) / hz / s}' | sort -k2 -g -r
