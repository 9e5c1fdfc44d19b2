#!/usr/bin/env bash
# Save and restore of a booted, idle Debian guest (the image's kernel and busybox initramfs, one
# hart, 512 MiB), jvisor beside QEMU, alternating run by run (bench/snapshot.py drives both):
# the save time, the file's size, the time from starting the restoring process until the guest
# answers a console command; then jvisor's restore inside a running JVM (JMH, RestoreBench: what
# the host daemon does) and its pause latency (SnapshotTest). Writes the "snapshot" section of
# docs/PERFORMANCE.md.  Usage: bench/snapshot.sh [RUNS]
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS="${1:-5}"
need_packages qemu-system-misc python3
jvisor_ready
debian_image
machines "$IMAGE/initrd.gz"
dir="$OUT/snapshot"
mkdir -p "$dir"
raw="$dir/runs.raw"
: > "$raw"
for i in $(seq "$RUNS"); do
  python3 "$BENCH_DIR/snapshot.py" "$dir" jvisor -- "${JVISOR_BUILTIN[@]}" | tee -a "$raw" >&2
  python3 "$BENCH_DIR/snapshot.py" "$dir" qemu -- "${QEMU_SYSTEM[@]}" | tee -a "$raw" >&2
done
# jvisor.snapshot is the last run's file: restore it again and again inside one JVM.
JMH_DOC=0 "$BENCH_DIR/jmh.sh" RestoreBench -p snapshot="$dir/jvisor.snapshot" -bm ss -wi 5 -i 20 -f 1 > "$dir/jmh.txt"
warm="$(python3 - "$OUT/jmh.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))[0]["primaryMetric"]
p = m["scorePercentiles"]
print("mean %.1f ± %.1f ms, median %.1f ms, fastest %.1f ms" % (m["score"], m["scoreError"], p["50.0"], p["0.0"]))
PY
)"
(cd "$ROOT" && ./run-tests -q -Dtest='SnapshotTest#pauseTakesEffectWithinAMillisecondOnBusyAndIdleHarts' > "$dir/pause.txt" 2>&1) || true
busy="$(sed -n 's/^pause latency, busy harts: //p' "$dir/pause.txt")"
idle="$(sed -n 's/^pause latency, idle harts: //p' "$dir/pause.txt")"

# Column C of system S's runs; an answer of "none" (a restored guest that never answered) is left out.
col() { awk -v s="$1" -v c="$2" '$1 == s && $c != "none" {print $c}' "$raw"; }
hung() { awk -v s="$1" '$1 == s && $9 == "none"' "$raw" | wc -l; }
mb() { awk '{printf "%.1f\n", $1 / 1e6}'; }
body="$dir/snapshot.md"
{
  echo "## Save and restore (bench/snapshot.sh)"
  echo
  echo "Debian's kernel $KERNEL_RELEASE and the image's busybox initramfs, 512 MiB, one hart, booted to the"
  echo "shell prompt and left idle 3 s, then saved: jvisor by Ctrl-A S (pause, flush, write, fdatasync, rename;"
  echo "the time jvisor reports), QEMU by its monitor's \`migrate \"exec:cat > FILE\"\` with the bandwidth cap"
  echo "lifted (from the command to \`info migrate\` saying completed). Restored: \`jvisor restore FILE\`,"
  echo "\`qemu-system-riscv64 ... -incoming \"exec:cat FILE\"\`, each a new process with its console on pipes,"
  echo "\`echo R\$((2+2))\` typed every 20 ms from the start until the guest has printed R4. Runs per system:"
  echo "$RUNS, alternating; median (min–max)."
  echo
  echo "| system | save | file size | on disk | restore: process start to the guest's answer |"
  echo "|---|---|---|---|---|"
  for s in jvisor qemu; do
    echo "| $s | $(col "$s" 3 | stats 3) s | $(col "$s" 5 | mb | stats 1) MB | $(col "$s" 7 | mb | stats 1) MB | $(col "$s" 9 | stats 2) s |"
  done
  echo
  echo "- jvisor / QEMU (medians): save $(ratio "$(col jvisor 3 | median)" "$(col qemu 3 | median)"), file size" \
       "$(ratio "$(col jvisor 5 | median)" "$(col qemu 5 | median)"), restore to an answer" \
       "$(ratio "$(col jvisor 9 | median)" "$(col qemu 9 | median)")."
  [ "$(hung qemu)" -gt 0 ] && echo "- QEMU's restored guest never answered in $(hung qemu) of $RUNS runs (it echoed what was typed and ran nothing more: QEMU 7.2 does not carry the RISC-V timer across a migration); its figure is over the others."
  echo "- Restore inside a JVM that is already running (the host daemon's case; JMH RestoreBench, single"
  echo "  shot, 5 warm-up and 20 measured restores of the same file: open, check every section's CRC,"
  echo "  map RAM, rebuild the machine, resume, start its harts): $warm."
  echo "- Pause latency (SnapshotTest, a bare-metal program on 2 harts, 1000 pauses each, from \`pause()\`"
  echo "  to every hart and device stopped): busy harts $busy; harts idle in wfi $idle."
  echo
  machine_line "$KERNEL_RELEASE"
  noise_line "$(for s in jvisor qemu; do for c in 3 9; do col "$s" "$c" | spread; echo; done; done | sort -g | tail -1)" "save and restore times"
} > "$body"
write_section snapshot "$body"
cat "$body"
