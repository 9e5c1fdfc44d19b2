#!/usr/bin/env bash
# Live migration on this machine, jvisor beside QEMU, alternating run by run
# (bench/migration/migration.py drives both): Debian's kernel and the image's busybox initramfs
# with gapwatch added (bench/migration/gapwatch.c: the guest's own view of its downtime), 512 MiB,
# one hart, downtime limit 50 ms, no bandwidth cap; the guest idle, then writing non-zero data
# into 64 MiB. jvisor migrates between two `jvisor serve` daemons, back and forth four times per
# run (the first move finds the destination JVM cold); QEMU from a process to one started with
# `-incoming tcp:`. Every migrated guest must go on (gapwatch printing, a command answered) for
# 10 s. Writes the "migration" section of docs/PERFORMANCE.md.
# Usage: bench/migration.sh [RUNS]   (or --report: the section again from the last runs' figures)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
REPORT_ONLY=0
[ "${1:-}" = --report ] && REPORT_ONLY=1 && shift
RUNS="${1:-3}"
need_packages qemu-system-misc python3 gcc-riscv64-linux-gnu cpio
jvisor_ready
debian_image
dir="$OUT/migration"
mkdir -p "$dir"
riscv64-linux-gnu-gcc -O2 -static -o "$dir/gapwatch" "$BENCH_DIR/migration/gapwatch.c"
initrd_layer "$IMAGE/initrd.gz" "$dir/initrd.gz" "$dir/gapwatch"
raw="$dir/runs.raw"
[ "$REPORT_ONLY" = 1 ] && RUNS="$(awk '$1 == "qemu" && $2 == "idle"' "$raw" | wc -l)"
if [ "$REPORT_ONLY" = 1 ]; then LOAD_START="$(cat "$dir/load")"; else : > "$raw"; echo "$LOAD_START" > "$dir/load"; fi
for i in $(seq "$RUNS"); do
  [ "$REPORT_ONLY" = 1 ] && break
  for mode in idle write; do
    python3 "$BENCH_DIR/migration/migration.py" "$dir/run$i-$mode" jvisor "$mode" "$IMAGE/Image" "$dir/initrd.gz" "$ROOT/jvisor" | tee -a "$raw" >&2
    python3 "$BENCH_DIR/migration/migration.py" "$dir/run$i-$mode" qemu "$mode" "$IMAGE/Image" "$dir/initrd.gz" "$ROOT/jvisor" | tee -a "$raw" >&2
  done
done

# col SYSTEM MODE FIELD [first]: the field's values (the guest gap only of migrations whose guest
# went on); for jvisor the moves into daemons that have each received the guest before (moves 2
# and 3), or with "first" the first move into each (0 and 1).
col() {
  awk -v s="$1" -v m="$2" -v f="$3" -v first="${4:-}" '$1 == s && $2 == m && ($NF == 1 || f != "guest_gap_ms") &&
    (s == "qemu" || (first == "first") == ($4 < 2)) { for (i = 5; i < NF; i++) if ($i == f) print $(i + 1) }' "$raw"
}
# gap SYSTEM MODE: the guest-gap cell; none when no migrated guest of that kind went on.
gap() { local v; v="$(col "$1" "$2" guest_gap_ms)"; if [ -n "$v" ]; then echo "$(echo "$v" | stats 1) ms"; else echo "none (the guests hung)"; fi; }
ok_count() { awk -v s="$1" '$1 == s {n++; ok += $NF} END {printf "%d of %d", ok, n}' "$raw"; }
mb() { awk '{printf "%.1f\n", $1 / 1e6}'; }
body="$dir/migration.md"
{
  echo "## Live migration (bench/migration.sh)"
  echo
  echo "Debian's kernel $KERNEL_RELEASE and the image's busybox initramfs with gapwatch added, 512 MiB, one hart,"
  echo "booted to the shell prompt; gapwatch sleeps 1 ms again and again and prints, each second, the longest"
  echo "sleep beyond 1 ms that its CLOCK_MONOTONIC saw (\"guest gap\": the largest in the first three such lines"
  echo "on the destination, from the second of the move on: the downtime as the guest sees it, and the slow"
  echo "start that may follow it; jvisor's destination console is attached 4 s after the move, its lines"
  echo "replayed by the daemon, so that the console client's own JVM does not compete with the guest in those"
  echo "seconds). \"write\": gapwatch also writes one word into each page of 64 MiB, then sleeps"
  echo "100 ms, again and again. jvisor: two \`jvisor serve\` daemons (ZGC) on loopback, \`POST /vms/g/migrate\`"
  echo "(maxDowntimeMs 50), time from the request until the source reports done, downtime from the source's"
  echo "stop to the destination's resume (wall clocks); each run moves the guest back and forth four times"
  echo "and the table shows moves 2 and 3, into daemons that have each received it before (the first move into"
  echo "each daemon is listed apart: a daemon warms its stop-and-copy path at its start, but the rest of a"
  echo "migration's code, from its HTTP and WebSocket requests on, is compiled by HotSpot as it first runs). QEMU: \`migrate_set_parameter"
  echo "downtime-limit 50\`, \`max-bandwidth 100G\`, \`migrate -d tcp:\` to a process started with \`-incoming\`, time"
  echo "until \`info migrate\` says completed; its reported downtime is QEMU's own figure. Runs: $RUNS, alternating."
  echo "Median (min–max); the guest gap over the migrations whose guest went on (a hung guest has none to show)."
  echo
  echo "| system | guest | total time | downtime reported | guest gap | sent |"
  echo "|---|---|---|---|---|---|"
  for mode in idle write; do
    for s in jvisor qemu; do
      echo "| $s | $mode | $(col "$s" "$mode" total | stats 2) s | $(col "$s" "$mode" reported_ms | stats 1) ms | $(gap "$s" "$mode") | $(col "$s" "$mode" bytes | mb | stats 1) MB |"
    done
  done
  echo
  for mode in idle write; do
    echo "- jvisor, first move into each daemon ($mode): total $(col jvisor "$mode" total first | stats 2) s," \
         "downtime $(col jvisor "$mode" reported_ms first | stats 1) ms, guest gap $(col jvisor "$mode" guest_gap_ms first | stats 1) ms."
  done
  echo "- Guests that went on after their migration (gapwatch printing and a command answered, 10 s):" \
       "jvisor $(ok_count jvisor), QEMU $(ok_count qemu)."
  echo
  machine_line "$KERNEL_RELEASE"
  noise_line "$(for s in jvisor qemu; do for m in idle write; do col "$s" "$m" total | spread; echo; done; done | sort -g | tail -1)" "total times"
} > "$body"
write_section migration "$body"
cat "$body"
