#!/usr/bin/env bash
# Boot time of Debian's riscv64 kernel + jvisor's busybox initramfs (the 'debian' image), from
# process start to the first shell prompt and to power-off: jvisor with its built-in SBI, jvisor
# through Debian's OpenSBI, and qemu-system-riscv64 -M virt with the same kernel, initramfs and
# OpenSBI, alternating run by run. Writes the "boot" section of docs/PERFORMANCE.md.
# Usage: bench/boot.sh [RUNS]
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS="${1:-5}"
need_packages qemu-system-misc python3
. "$ROOT/tools/jdk.sh"
"$ROOT/jvisor" images pull debian >&2
dir=$(dirname "$(ls -t "${XDG_CACHE_HOME:-$HOME/.cache}"/jvisor/images/debian/*/Image | head -1)")
kernel="$dir/Image" initrd="$dir/initrd.gz" fw="$dir/fw_dynamic.bin"

raw="$OUT/boot.raw"; : > "$raw"
for i in $(seq "$RUNS"); do
  echo "jvisor-sbi $("$BENCH_DIR/boot.py" "$ROOT/jvisor" run --kernel "$kernel" --initrd "$initrd")" >> "$raw"
  echo "jvisor-opensbi $("$BENCH_DIR/boot.py" "$ROOT/jvisor" run --bios "$fw" --kernel "$kernel" --initrd "$initrd")" >> "$raw"
  echo "qemu $("$BENCH_DIR/boot.py" qemu-system-riscv64 -M virt -m 512M -nographic -bios "$fw" \
      -kernel "$kernel" -initrd "$initrd" -append console=ttyS0)" >> "$raw"
done
val() { awk -v s="$1" -v k="$2" '$1==s {for (i=2;i<=NF;i++) {split($i,a,"="); if (a[1]==k) print a[2]}}' "$raw"; }
q=$(val qemu prompt | median)
body="$OUT/boot.md"
{
  echo "## Boot time (bench/boot.sh)"
  echo
  echo "Debian trixie's $(sed -n 's/^kernel.package=//p' "$dir/image.properties") with jvisor's busybox"
  echo "initramfs, 512 MiB, 1 hart; seconds from process start. $RUNS runs each, alternating."
  echo
  echo "| system | to shell prompt | to power-off | prompt time / QEMU's |"
  echo "|---|---|---|---|"
  for s in jvisor-sbi jvisor-opensbi qemu; do
    m=$(val "$s" prompt | median)
    echo "| $s | $(val "$s" prompt | stats 2) | $(val "$s" poweroff | stats 2) | $(echo "scale=2; $m / $q" | bc) |"
  done
  echo
  echo "jvisor-sbi: built-in SBI (no firmware runs); jvisor-opensbi and qemu: Debian's OpenSBI fw_dynamic.bin."
  echo
  machine_line
} > "$body"
write_section boot "$body"
cat "$body"
