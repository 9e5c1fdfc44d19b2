#!/usr/bin/env bash
# Density of the host daemon: N idle one-hart 128 MiB test guests (Debian's kernel, the busybox
# initramfs of the test guest, jvisor images pull testguest) in one `jvisor serve`, beside N idle QEMU processes
# running the same guest. Measures the time to start them all (until every shell is ready), the
# daemon's CPU while all are idle, and host memory per VM (the daemon's RSS growth / N, and the
# guests' touched memory); for QEMU, CPU and RSS of its processes. Writes the "density" section of
# docs/PERFORMANCE.md.
#   bench/density.sh [N] [QEMU_N]     (defaults: 20 and N; IDLE_SECONDS=60 sets the idle window)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/tools/jdk.sh"
N="${1:-20}"
QN="${2:-$N}"
IDLE="${IDLE_SECONDS:-60}"
test_guest
APPEND="console=ttyS0 quiet jvisor.modules=virtio_mmio"
TICK="$(getconf CLK_TCK)"
WORK="$(mktemp -d)"
DAEMON=""
QPIDS=()
cleanup() {
  [ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  for p in "${QPIDS[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done; echo "$t"; }
rss_kib() { local t=0 p; for p in "$@"; do t=$((t + $(awk '/VmRSS/{print $2}' "/proc/$p/status"))); done; echo "$t"; }
# percent of one core used by the processes over the idle window
idle_cpu() {
  local a b; a="$(cpu_ticks "$@")"; sleep "$IDLE"; b="$(cpu_ticks "$@")"
  awk -v d=$((b - a)) -v hz="$TICK" -v s="$IDLE" 'BEGIN {printf "%.2f", 100 * d / hz / s}'
}
now() { date +%s.%N; }

# ---- jvisor: one daemon ----
"$ROOT/jvisor" --version >/dev/null # builds the jar first, outside the timing
"$ROOT/jvisor" serve --state "$WORK/state" --listen 127.0.0.1:0 --max-memory 20G 2>"$WORK/daemon.log" &
DAEMON=$!
while [ ! -f "$WORK/state/address" ]; do kill -0 "$DAEMON" || { cat "$WORK/daemon.log"; exit 1; }; sleep 0.2; done
U="$(cat "$WORK/state/address")/api/v1"; A="Authorization: Bearer $(cat "$WORK/state/token")"
sleep 5
BASE_RSS="$(rss_kib "$DAEMON")"
t0="$(now)"
for i in $(seq 1 "$N"); do
  curl -sf -H "$A" -X POST "$U/vms?start=true" -o /dev/null -d "{\"name\":\"d$i\",\"kernel\":\"$G/vmlinux\",\"initrd\":\"$G/initrd.gz\",\"append\":\"$APPEND\",\"memory\":\"128M\"}" \
    || { echo "starting d$i failed:"; curl -s -H "$A" "$U/vms/d$i"; exit 1; }
done
for i in $(seq 1 "$N"); do
  until grep -q jvisor-test-ready "$WORK/state/logs/d$i.log" 2>/dev/null; do sleep 1; done
done
t1="$(now)"
sleep 20
J_CPU="$(idle_cpu "$DAEMON")"
# The daemon's heap shrinks in steps once the guests are idle (its collector hands memory back):
# its RSS is taken once it has settled (less than 1% change in 10 s, or after 5 minutes).
J_RSS="$(rss_kib "$DAEMON")"
for _ in $(seq 30); do
  sleep 10
  r="$(rss_kib "$DAEMON")"
  settled=$(( (J_RSS - r) * 100 < J_RSS && (r - J_RSS) * 100 < J_RSS ))
  J_RSS="$r"
  [ "$settled" = 1 ] && break
done
TOUCHED=0
for i in $(seq 1 "$N"); do
  TOUCHED=$((TOUCHED + $(curl -s -H "$A" "$U/vms/d$i/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("touchedBytes",0))')))
done
kill "$DAEMON"; wait "$DAEMON" 2>/dev/null || true; DAEMON=""

# ---- QEMU: one process per guest ----
t2="$(now)"
for i in $(seq 1 "$QN"); do
  qemu-system-riscv64 -M virt -m 128M -smp 1 -display none -monitor none -serial "file:$WORK/q$i.log" \
    -kernel "$G/vmlinux" -initrd "$G/initrd.gz" -append "$APPEND" &
  QPIDS+=($!)
done
for i in $(seq 1 "$QN"); do
  until grep -q jvisor-test-ready "$WORK/q$i.log" 2>/dev/null; do sleep 1; done
done
t3="$(now)"
sleep 20
Q_CPU="$(idle_cpu "${QPIDS[@]}")"
Q_RSS="$(rss_kib "${QPIDS[@]}")"

body="$WORK/section.md"
{
  echo "## Density: idle guests in one daemon"
  echo
  echo "bench/density.sh $N $QN: one-hart 128 MiB test guests (Debian's kernel, busybox initramfs) idle at their shell;"
  echo "CPU over ${IDLE} s once all were idle, as a percentage of one core. $(machine_line "$(basename "$G")/vmlinux")"
  echo
  echo "| | VMs | time to start all | idle CPU, all | idle CPU per VM | host memory per VM |"
  echo "|---|---|---|---|---|---|"
  awk -v n="$N" -v s="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" -v c="$J_CPU" -v r="$J_RSS" -v b="$BASE_RSS" -v t="$TOUCHED" 'BEGIN {
    printf "| jvisor serve | %d | %.0f s | %.2f%% | %.3f%% | %.1f MiB (RSS growth; guests touched %.1f MiB each) |\n", n, s, c, c / n, (r - b) / 1024 / n, t / 1048576 / n }'
  awk -v n="$QN" -v s="$(awk -v a="$t2" -v b="$t3" 'BEGIN{print b-a}')" -v c="$Q_CPU" -v r="$Q_RSS" 'BEGIN {
    printf "| QEMU (one process each) | %d | %.0f s | %.2f%% | %.3f%% | %.1f MiB (RSS) |\n", n, s, c, c / n, r / 1024 / n }'
} > "$body"
cat "$body"
write_section density "$body"
