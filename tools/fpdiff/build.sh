#!/usr/bin/env bash
# Builds the two fpdiff programs from the same source:
#   OUT/fpdiff-linux  static Linux program, the reference under qemu-riscv64
#   OUT/fpdiff.elf    bare-metal HTIF program for jvisor (--bios none)
# Usage: tools/fpdiff/build.sh OUT N [SEED]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$1" n="$2" seed="${3:-1}"
cc="${RISCV_CC:-riscv64-linux-gnu-gcc}"
command -v "$cc" >/dev/null || { echo "fpdiff: $cc not found (apt-get install gcc-riscv64-linux-gnu)" >&2; exit 2; }
mkdir -p "$out"
defs=(-DNCASES="$n" -DSEED="$seed")
"$cc" -static -O2 "${defs[@]}" -o "$out/fpdiff-linux" "$here/fpdiff.c"
"$cc" -O2 -DBAREMETAL "${defs[@]}" -nostdlib -nostartfiles -ffreestanding -static -no-pie -fno-pic \
  -mcmodel=medany -march=rv64gc -mabi=lp64d -Wl,--build-id=none -T "$here/link.ld" \
  -o "$out/fpdiff.elf" "$here/crt0.S" "$here/fpdiff.c"
