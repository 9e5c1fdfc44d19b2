#!/usr/bin/env bash
# Builds the benchmarks' initramfs: BASE (a busybox initramfs, e.g. the "debian" image's initrd.gz)
# followed by a layer holding /bin/smpstress and /bin/parwork, built with Debian's cross gcc.
# Linux unpacks concatenated cpio archives in order.
#   bench/smp/initrd.sh BASE OUT
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
base="$1" out="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
riscv64-linux-gnu-gcc -static -O2 -pthread -o "$tmp/bin/smpstress" "$here/../../src/test/resources/jvisor/smp/smpstress.c"
riscv64-linux-gnu-gcc -static -O2 -pthread -o "$tmp/bin/parwork" "$here/parwork.c"
(cd "$tmp" && find bin | cpio -o -H newc --quiet | gzip) > "$tmp/layer.gz"
cat "$base" "$tmp/layer.gz" > "$out"
