#!/usr/bin/env bash
# Live migration on this machine, jvisor beside QEMU, alternating run by run
# (bench/migration/migration.py drives both): Debian's kernel and the image's busybox initramfs
# with gapwatch added (bench/migration/gapwatch.c: the guest's own view of its downtime), 512 MiB,
# one hart, downtime limit 50 ms, no bandwidth cap; the guest idle, then writing non-zero data
# into 64 MiB. jvisor migrates between two `jvisor serve` daemons, back and forth four times per
# run (the first move finds the destination JVM cold); QEMU from a process to one started with
# `-incoming tcp:`. Every migrated guest must go on (gapwatch printing, a command answered) for
# 10 s. Writes the "migration" section of docs/PERFORMANCE.md.  Usage: bench/migration.sh [RUNS]
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS="${1:-3}"
need_packages qemu-system-misc python3 gcc-riscv64-linux-gnu cpio
jvisor_ready
debian_image
dir="$OUT/migration"
mkdir -p "$dir"
riscv64-linux-gnu-gcc -O2 -static -o "$dir/gapwatch" "$BENCH_DIR/migration/gapwatch.c"
initrd_layer "$IMAGE/initrd.gz" "$dir/initrd.gz" "$dir/gapwatch"
raw="$dir/runs.raw"
: > "$raw"
for i in $(seq "$RUNS"); do
  for mode in idle write; do
    python3 "$BENCH_DIR/migration/migration.py" "$dir/run$i-$mode" jvisor "$mode" "$IMAGE/Image" "$dir/initrd.gz" "$ROOT/jvisor" | tee -a "$raw" >&2
    python3 "$BENCH_DIR/migration/migration.py" "$dir/run$i-$mode" qemu "$mode" "$IMAGE/Image" "$dir/initrd.gz" "$ROOT/jvisor" | tee -a "$raw" >&2
  done
done

# col SYSTEM MODE FIELD [MOVES]: the field's values (warm jvisor moves only, unless MOVES is "all")
col() {
  awk -v s="$1" -v m="$2" -v f="$3" -v all="${4:-}" '$1 == s && $2 == m && (s == "qemu" || all == "all" || $4 > 0) {
    for (i = 5; i < NF; i++) if ($i == f) print $(i + 1) }' "$raw"
}
ok_count() { awk -v s="$1" '$1 == s {n++; ok += $NF} END {printf "%d of %d", ok, n}' "$raw"; }
mb() { awk '{printf "%.1f\n", $1 / 1e6}'; }
body="$dir/migration.md"
{
  echo "## Live migration (bench/migration.sh)"
  echo
  echo "Debian's kernel $KERNEL_RELEASE and the image's busybox initramfs with gapwatch added, 512 MiB, one hart,"
  echo "booted to the shell prompt; gapwatch sleeps 1 ms again and again and prints, each second, the longest"
  echo "sleep beyond 1 ms that its CLOCK_MONOTONIC saw (\"guest gap\": the downtime as the guest sees it; the"
  echo "second after the move). \"write\": gapwatch also writes one word into each page of 64 MiB, then sleeps"
  echo "100 ms, again and again. jvisor: two \`jvisor serve\` daemons on loopback, \`POST /vms/g/migrate\`"
  echo "(maxDowntimeMs 50), time from the request until the source reports done; each run moves the guest"
  echo "back and forth four times and the table shows the three moves into a warm destination JVM (the first"
  echo "move, into a daemon that has run no guest yet, is listed apart). QEMU: \`migrate_set_parameter"
  echo "downtime-limit 50\`, \`max-bandwidth 100G\`, \`migrate -d tcp:\` to a process started with \`-incoming\`, time"
  echo "until \`info migrate\` says completed; its reported downtime is QEMU's own figure. Runs: $RUNS, alternating."
  echo "Median (min–max)."
  echo
  echo "| system | guest | total time | downtime reported | guest gap | sent |"
  echo "|---|---|---|---|---|---|"
  for mode in idle write; do
    for s in jvisor qemu; do
      echo "| $s | $mode | $(col "$s" "$mode" total | stats 2) s | $(col "$s" "$mode" reported_ms | stats 1) ms | $(col "$s" "$mode" guest_gap_ms | stats 1) ms | $(col "$s" "$mode" bytes | mb | stats 1) MB |"
    done
  done
  echo
  for mode in idle write; do
    echo "- jvisor's first move ($mode, destination JVM cold): total $(awk -v m="$mode" '$1 == "jvisor" && $2 == m && $4 == 0 {print $6}' "$raw" | stats 2) s," \
         "guest gap $(awk -v m="$mode" '$1 == "jvisor" && $2 == m && $4 == 0 {print $10}' "$raw" | stats 1) ms."
  done
  echo "- Guests that went on after their migration (gapwatch printing and a command answered, 10 s):" \
       "jvisor $(ok_count jvisor), QEMU $(ok_count qemu)."
  echo
  machine_line "$KERNEL_RELEASE"
  noise_line "$(for s in jvisor qemu; do for m in idle write; do col "$s" "$m" total | spread; echo; done; done | sort -g | tail -1)" "total times"
} > "$body"
write_section migration "$body"
cat "$body"
