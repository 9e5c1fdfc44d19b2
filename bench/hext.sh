#!/usr/bin/env bash
# What the H extension costs a guest that does not use it (issue 19): Debian's kernel and busybox
# initramfs (the cached "debian" image) with bench/cbench in an extra layer, booted on jvisor with
# --cpu h=on (the default) and --cpu h=off, alternating run by run (each first every other
# time); per run the seconds to the
# shell prompt, the guest's ISA string, then cbench SCALE and power-off, each step also in CPU
# seconds of the jvisor process (less moved by other processes' load than wall times). Writes
# the "hext" section of docs/PERFORMANCE.md; bench/run.sh leaves this script out.
#   bench/hext.sh [RUNS [SCALE]]     (defaults: 9, 100)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS="${1:-9}" SCALE="${2:-100}"
need_packages gcc-riscv64-linux-gnu qemu-system-misc cpio python3
jvisor_frozen
debian_image
dir="$OUT/hext"
mkdir -p "$dir"
cbench_initrd "$dir" "$IMAGE/initrd.gz"
SYSTEMS=(on off)
argv_of() { ARGV=("${JVISOR[@]}" run --kernel "$IMAGE/Image" --initrd "$dir/initrd.gz" --cpu "h=$1"); }
ISA='grep -m1 ^isa /proc/cpuinfo'

raw="$dir/raw"
: > "$raw"
for i in $(seq "$RUNS"); do
  order=("${SYSTEMS[@]}")
  [ $((i % 2)) -eq 0 ] && order=(off on) # either goes first as often: no order effect
  for h in "${order[@]}"; do
    argv_of "$h"
    out="$dir/$h-$i.out"
    if ! drive_console "$out.steps" "$out" --cmd "$ISA" --cmd "cbench $SCALE" --cmd 'poweroff -f' -- "${ARGV[@]}"; then
      echo "hext.sh: h=$h, run $i failed; see $out and $out.steps" >&2
      exit 1
    fi
    read -r int mem br fp total sum < <(cbench_parse < "$out")
    [ -n "$sum" ] || { echo "hext.sh: h=$h, run $i printed no checksum; see $out" >&2; exit 1; }
    isa="$(tr -d '\r' < "$out" | sed -n 's/^isa[[:space:]]*: *\([a-z0-9]*\).*/\1/p' | head -1)"
    boot="$(step_wall "$out.steps" boot)"
    wall="$(step_wall "$out.steps" "cbench $SCALE")"
    bootcpu="$(step_cpu "$out.steps" boot)"
    cpu="$(step_cpu "$out.steps" "cbench $SCALE")"
    echo "$h $i $boot $int $mem $br $fp $total $wall $sum $isa $bootcpu $cpu" >> "$raw"
    echo "hext.sh: h=$h run $i: prompt after $boot s (CPU $bootcpu s), cbench total $total s (wall $wall s, CPU $cpu s), isa $isa" >&2
  done
done
[ "$(awk '{print $10}' "$raw" | sort -u | wc -l)" -eq 1 ] || { echo "hext.sh: the checksums differ:" >&2; cat "$raw" >&2; exit 1; }
isa_of() { awk -v h="$1" '$1 == h {print $11}' "$raw" | sort -u | tr '\n' ' ' | sed 's/ $//'; }
case "$(isa_of on)" in *h*) ;; *) echo "hext.sh: with h=on the guest's ISA lacks h: $(isa_of on)" >&2; exit 1 ;; esac
case "$(isa_of off)" in *h*) echo "hext.sh: with h=off the guest's ISA has h: $(isa_of off)" >&2; exit 1 ;; esac

col() { awk -v h="$1" -v c="$2" '$1 == h {print $c}' "$raw"; }
med() { col "$1" "$2" | median; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.1f%%", b ? 100 * (a - b) / b : 0}'; }
body="$dir/hext.md"
{
  echo "## The H extension's cost to ordinary guests (bench/hext.sh)"
  echo
  echo "Debian's kernel $KERNEL_RELEASE and the debian image's busybox initramfs with"
  echo "bench/cbench in an extra layer, 512 MiB, one hart, JIT on, booted with \`--cpu h=on\` (the default: the guest"
  echo "sees ISA \`$(isa_of on)\`) and \`--cpu h=off\` (\`$(isa_of off)\`). Per run: seconds from starting the process to"
  echo "the first shell prompt, then \`cbench $SCALE\` (bench/cbench/run.sh describes its parts; seconds by the guest's"
  echo "clock, and host wall from typing it to the next prompt), and the CPU seconds the jvisor process used in each"
  echo "(all threads: the harts, HotSpot compiling the JIT's classes, GC). Checksum $(awk '{print $10; exit}' "$raw") on all runs."
  echo "Runs per setting: $RUNS, alternating, each setting first in every other pair; median (min–max)."
  echo
  echo "| --cpu | to the shell prompt | its CPU | int | memory | branch | fp | cbench total | cbench host wall | its CPU |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  for h in "${SYSTEMS[@]}"; do
    echo "| h=$h | $(for c in 3 12 4 5 6 7 8 9 13; do printf '%s | ' "$(col "$h" $c | stats 2)"; done)"
  done | sed 's/ | $/ |/'
  echo
  echo "h=on against h=off (medians): boot to the prompt $(pct "$(med on 3)" "$(med off 3)") (CPU $(pct "$(med on 12)" "$(med off 12)")), cbench total"\
       "$(pct "$(med on 8)" "$(med off 8)") (int $(pct "$(med on 4)" "$(med off 4)"), memory $(pct "$(med on 5)" "$(med off 5)"),"\
       "branch $(pct "$(med on 6)" "$(med off 6)"), fp $(pct "$(med on 7)" "$(med off 7)")), cbench host wall $(pct "$(med on 9)" "$(med off 9)") (CPU $(pct "$(med on 13)" "$(med off 13)"))."
  echo
  argv_of "h=on|off"
  echo "Command line: \`$(shown "${ARGV[@]}" | sed 's/h=h=/h=/')\`, typing \`$ISA\`, \`cbench $SCALE\` and \`poweroff -f\`."
  echo
  machine_line "$KERNEL_RELEASE"
  noise_line "$(for h in "${SYSTEMS[@]}"; do for c in 3 8; do col "$h" $c | spread; echo; done; done | sort -g | tail -1)" "boot and cbench total times"
} > "$body"
write_section hext "$body"
cat "$body"
