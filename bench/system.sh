#!/usr/bin/env bash
# The Debian system image (docs/IMAGES.md): how long jvisor takes to build it and how big it is,
# and its boot on jvisor beside QEMU booting the same disk with the same kernel, initramfs and
# command line: to the login prompt, then (logged in as root) until `systemctl is-system-running
# --wait` answers. Every boot is a first boot on a fresh qcow2 overlay of the image's disk (it
# makes the machine's ssh host keys); one hart, 1 GiB, a user-mode network card. The systems
# alternate run by run. Writes the "system" section of docs/PERFORMANCE.md.
#   bench/system.sh [RUNS] [--rebuild]     (--rebuild: remove the cached image and time its build)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS="${1:-3}"
need_packages qemu-system-misc qemu-utils python3 debian-archive-keyring
jvisor_ready
build="$OUT/system-build.txt" # kept between runs: a rebuild takes many minutes
if [ "${2:-}" = --rebuild ] || [ ! -f "$build" ]; then
  "$ROOT/jvisor" images rm debian-system >/dev/null 2>&1 || true
  start=$(date +%s.%N)
  "$ROOT/jvisor" images pull debian-system 2> "$OUT/system-pull.log" >&2
  end=$(date +%s.%N)
  guest="$(sed -n 's/^jvisor: built debian-system in \([0-9]*\) s.*/\1/p' "$OUT/system-pull.log")"
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", b - a}') $guest $(cut -d' ' -f1-3 /proc/loadavg)" > "$build"
fi
IMG="$(ls -dt "${XDG_CACHE_HOME:-$HOME/.cache}"/jvisor/images/debian-system/*/ | head -1)"
IMG="${IMG%/}"
IMAGE="$IMG" # how shown() abbreviates it
CMDLINE="$(sed -n 's/^cmdline=//p' "$IMG/image.properties" | sed 's/\\//g')" # unescaped: a properties file writes = as \=
PACKAGES="$(sed -n 's/^packages=//p' "$IMG/image.properties")"
ovl="$OUT/system-overlay.qcow2"
SYSTEMS=(jvisor qemu)
argv_of() {
  case "$1" in
    jvisor) ARGV=("$ROOT/jvisor" run -m 1G --kernel "$IMG/Image" --initrd "$IMG/initrd.gz" --append "$CMDLINE"
                  --disk "$ovl,format=qcow2" --net user) ;;
    qemu) ARGV=(qemu-system-riscv64 -M virt -nographic -m 1G -smp 1 -bios default -kernel "$IMG/Image"
                -initrd "$IMG/initrd.gz" -append "$CMDLINE" -drive "file=$ovl,format=qcow2,if=none,id=d"
                -device virtio-blk-device,drive=d -netdev user,id=n -device virtio-net-device,netdev=n) ;;
  esac
}

raw="$OUT/system.raw"
mkdir -p "$OUT/system"
: > "$raw"
for i in $(seq "$RUNS"); do
  for sys in "${SYSTEMS[@]}"; do
    argv_of "$sys"
    qemu-img create -q -f qcow2 -b "$IMG/disk.qcow2" -F qcow2 "$ovl"
    log="$OUT/system/$sys-$i.log"
    if ! drive_console "$log.steps" "$log" --login root --cmd 'systemctl is-system-running --wait' \
        --cmd 'poweroff -f' -- "${ARGV[@]}"; then
      echo "system.sh: $sys, run $i failed; see $log and $log.steps" >&2
      exit 1
    fi
    login="$(step_wall "$log.steps" boot)"
    running="$(step_wall "$log.steps" 'systemctl is-system-running --wait')"
    state="$(grep -ao 'running\|degraded' "$log" | tail -1)"
    echo "$sys $i $login $running $state" >> "$raw"
    printf 'system.sh: %-6s run %d: login prompt after %6.2f s, then %s after %6.2f s more\n' \
      "$sys" "$i" "$login" "$state" "$running" >&2
  done
done
rm -f "$ovl"

col() { awk -v s="$1" -v c="$2" '$1 == s {print $c}' "$raw"; }
total() { awk -v s="$1" '$1 == s {print $3 + $4}' "$raw"; }
read -r build_wall build_guest build_load < <(cut -d' ' -f1-3 "$build")
body="$OUT/system.md"
{
  echo "$(machine_line "$(sed -n 's/^kernel.release=//p' "$IMG/image.properties")")"
  echo
  echo "Image: debian-system, $PACKAGES packages; disk.qcow2 $(( $(stat -c %s "$IMG/disk.qcow2") >> 20 )) MiB"
  echo "(the whole image with kernel and initramfs $(( $(du -sb "$IMG" | cut -f1) >> 20 )) MiB)."
  echo "Build (\`jvisor images pull debian-system\` with an empty cache): $build_wall s in all, of which"
  echo "$build_guest s in the build VM; the rest downloads and prepares the packages (load average at start: $build_load)."
  echo
  echo "| Boot, $RUNS runs each (median, min–max) | jvisor | QEMU | jvisor / QEMU |"
  echo "|---|---|---|---|"
  for row in "to the login prompt:3" "then until systemd reports running:4"; do
    label="${row%%:*}" c="${row##*:}"
    j="$(col jvisor "$c" | median)" q="$(col qemu "$c" | median)"
    echo "| $label | $(col jvisor "$c" | stats 1) s | $(col qemu "$c" | stats 1) s | $(ratio "$j" "$q") |"
  done
  j="$(total jvisor | median)" q="$(total qemu | median)"
  echo "| in all | $(total jvisor | stats 1) s | $(total qemu | stats 1) s | $(ratio "$j" "$q") |"
  echo
  echo "systemd's final state: jvisor $(col jvisor 5 | sort | uniq -c | awk '{printf "%s%s ×%s", s, $2, $1; s=", "}'),"
  echo "QEMU $(col qemu 5 | sort | uniq -c | awk '{printf "%s%s ×%s", s, $2, $1; s=", "}')."
  echo "Command lines (\`<img>\` is the image's directory; both boot a fresh overlay \`ovl.qcow2\` of its disk.qcow2):"
  echo
  for s in "${SYSTEMS[@]}"; do argv_of "$s"; echo "- $s: \`$(shown "${ARGV[@]}" | sed "s|<image>|<img>|g; s|bench/out/system-overlay.qcow2|ovl.qcow2|g")\`"; done
} > "$body"
write_section system "$body"
cat "$body"
