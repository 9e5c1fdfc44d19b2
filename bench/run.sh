#!/usr/bin/env bash
# jvisor beside QEMU, all in one: installs what the parts need (Debian packages), then runs
#   bench/boot.sh        boot time to the shell prompt and to power-off, and peak memory
#   bench/cbench/run.sh  the C CPU benchmark in the guests, under qemu-riscv64 and natively
#   bench/mips.sh        guest MIPS of the interpreter and the JIT on one hart
#   bench/snapshot.sh    save and restore of an idle guest, and pause latency
# each alternating the systems run by run, and regenerates their sections of docs/PERFORMANCE.md.
#   bench/run.sh [RUNS]      runs per system in every part (default 5; 1 or 2 for a quick check)
# Longer measurements run alone: bench/nested.sh (a nested KVM boot inside the guest, beside QEMU's
# H extension) and bench/hext.sh (--cpu h=on against h=off on an ordinary guest), among others.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS="${1:-5}"
need_packages maven qemu-system-misc qemu-user gcc gcc-riscv64-linux-gnu binutils-riscv64-unknown-elf \
  cpio python3 debian-archive-keyring
echo "bench/run.sh: $RUNS runs per system; load average $LOAD_START" >&2
"$BENCH_DIR/boot.sh" "$RUNS"
"$BENCH_DIR/cbench/run.sh" "$RUNS"
"$BENCH_DIR/mips.sh" "$RUNS"
"$BENCH_DIR/snapshot.sh" "$RUNS"
echo "bench/run.sh: docs/PERFORMANCE.md regenerated; load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
