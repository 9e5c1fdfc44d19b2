# Sourced by the SMP benchmarks: JVISOR (the launcher), KERNEL and INITRD. The kernel is the cached
# "debian" image's (./jvisor images pull debian); the initrd is that image's plus a layer with the
# benchmark programs (initrd.sh), rebuilt when missing. Override any of them from the environment.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JVISOR="${JVISOR:-$root/jvisor}"
image="$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/jvisor/images/debian/*/ 2>/dev/null | tail -1)"
if [ -z "${KERNEL:-}" ] || [ -z "${INITRD:-}" ]; then
  [ -n "$image" ] || "$JVISOR" images pull debian >&2
  image="$(ls -d "${XDG_CACHE_HOME:-$HOME/.cache}"/jvisor/images/debian/*/ | tail -1)"
fi
KERNEL="${KERNEL:-$image/Image}"
if [ -z "${INITRD:-}" ]; then
  INITRD="$root/bench/out/smp-initrd.gz"
  mkdir -p "$root/bench/out"
  [ -f "$INITRD" ] || "$root/bench/smp/initrd.sh" "$image/initrd.gz" "$INITRD"
fi
