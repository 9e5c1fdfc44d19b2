#!/usr/bin/env bash
# Builds the SMP benchmarks' initramfs: BASE (a busybox initramfs, e.g. the "debian" image's
# initrd.gz) followed by a layer holding /bin/smpstress and /bin/parwork, built with Debian's
# cross gcc.
#   bench/smp/initrd.sh BASE OUT
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
base="$1" out="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
riscv64-linux-gnu-gcc -static -O2 -pthread -o "$tmp/smpstress" "$ROOT/src/test/resources/jvisor/smp/smpstress.c"
riscv64-linux-gnu-gcc -static -O2 -pthread -o "$tmp/parwork" "$BENCH_DIR/smp/parwork.c"
initrd_layer "$base" "$out" "$tmp/smpstress" "$tmp/parwork"
