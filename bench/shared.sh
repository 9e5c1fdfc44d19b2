#!/usr/bin/env bash
# Shared compiled code: one `jvisor serve` boots N one-hart 128 MiB test guests (Debian's kernel,
# a busybox initramfs: test_guest in lib.sh) one after another, each once the previous
# one's shell is ready (the earlier ones stay up, idle). For each: the time from `vm create` to its
# shell, the daemon's CPU seconds meanwhile (all threads, and HotSpot's C1 and C2), the regions its
# JIT compiled and those it took from the process's region cache, its hart's CPU seconds and the
# daemon's RSS growth; QEMU's boot of the same guest alongside.
#   bench/shared.sh [N] [RUNS] [JAR]     (defaults: 3, 3, the jar ./jvisor builds)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/tools/jdk.sh"
N="${1:-3}"
RUNS="${2:-3}"
test_guest
daemon_jar "${3:-}"
APPEND="console=ttyS0 quiet jvisor.modules=virtio_mmio"
daemon_work
rss_kib() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
TICK="$(getconf CLK_TCK)"
# CPU ticks of the JVM's compiler threads (C1, C2): HotSpot compiling the regions' bytecode
compiler_ticks() { { cat /proc/"$1"/task/*/stat 2>/dev/null || true; } | awk '/\((C1|C2) Compiler/ {sub(/^.*\) [A-Z] /, ""); split($0, f, " "); t += f[11] + f[12]} END {print t + 0}'; }
now() { date +%s.%N; }

for run in $(seq 1 "$RUNS"); do
  # QEMU first: the same guest, its own process
  rm -f "$WORK/q.log"
  t0="$(now)"
  qemu-system-riscv64 -M virt -m 128M -smp 1 -display none -monitor none -serial "file:$WORK/q.log" \
    -kernel "$G/vmlinux" -initrd "$G/initrd.gz" -append "$APPEND" &
  q=$!
  until grep -q jvisor-test-ready "$WORK/q.log" 2>/dev/null; do sleep 0.1; done
  echo "run $run qemu boot $(awk -v a="$t0" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}')"
  kill "$q"; wait "$q" 2>/dev/null || true

  rm -rf "$WORK/state"
  start_daemon "$WORK"
  sleep 5
  rss="$(rss_kib "$DAEMON")"
  for i in $(seq 1 "$N"); do
    t0="$(now)"; c0="$(proc_ticks "$DAEMON")"; h0="$(compiler_ticks "$DAEMON")"
    curl -sf -H "$A" -X POST "$U/vms?start=true" -o /dev/null -d "{\"name\":\"s$i\",\"kernel\":\"$G/vmlinux\",\"initrd\":\"$G/initrd.gz\",\"append\":\"$APPEND\",\"memory\":\"128M\"}"
    until grep -q jvisor-test-ready "$WORK/state/logs/s$i.log" 2>/dev/null; do sleep 0.1; done
    t1="$(now)"; c1="$(proc_ticks "$DAEMON")"; h1="$(compiler_ticks "$DAEMON")"
    sleep 2
    r="$(rss_kib "$DAEMON")"
    curl -s -H "$A" "$U/vms/s$i/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
f = lambda k: "-" if s.get(k) is None else s[k]
print(f("regionsCompiled"), f("regionsShared"), "%.1f" % sum(s["cpuSeconds"]), "%.3f" % s["jitCoverage"])' \
      | { read -r c sh cpu cov; echo "run $run vm $i boot $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') daemoncpu $(awk -v d=$((c1 - c0)) -v hz="$TICK" 'BEGIN{printf "%.1f", d / hz}') hotspot $(awk -v d=$((h1 - h0)) -v hz="$TICK" 'BEGIN{printf "%.1f", d / hz}') compiled $c shared $sh hartcpu $cpu coverage $cov rssgrowth_mib $(( (r - rss) / 1024 ))"; }
    rss="$r"
  done
  kill "$DAEMON"; wait "$DAEMON" 2>/dev/null || true; DAEMON=""
done
echo "$(machine_line "$(basename "$G")/vmlinux")"
