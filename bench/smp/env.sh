# Sourced by the SMP benchmarks: JVISOR (the launcher), KERNEL, INITRD and CONSOLE (the pty driver,
# bench/console.py). The kernel is the cached "debian" image's (fetched when absent); the initrd
# is that image's plus a layer with the benchmark programs (initrd.sh), rebuilt when missing.
# Override JVISOR, KERNEL or INITRD from the environment.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
JVISOR="${JVISOR:-$ROOT/jvisor}"
CONSOLE="$BENCH_DIR/console.py"
if [ -z "${KERNEL:-}" ] || [ -z "${INITRD:-}" ]; then debian_image; fi
KERNEL="${KERNEL:-$IMAGE/Image}"
if [ -z "${INITRD:-}" ]; then
  INITRD="$OUT/smp-initrd.gz"
  [ -f "$INITRD" ] || "$BENCH_DIR/smp/initrd.sh" "$IMAGE/initrd.gz" "$INITRD"
fi
