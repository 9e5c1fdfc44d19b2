#!/usr/bin/env bash
# Boot time and peak memory: Debian's kernel and busybox initramfs (the cached "debian" image)
# booted to the shell prompt, then `poweroff -f` typed, on jvisor with its built-in SBI, on jvisor
# through the image's OpenSBI, and on qemu-system-riscv64 -M virt; one hart, 512 MiB. The systems
# alternate run by run. The console is a pty (bench/console.py); times run from starting the
# process to the first prompt and to its exit; peak memory is the process's max RSS (wait4).
# Writes the "boot" and "memory" sections of docs/PERFORMANCE.md.  Usage: bench/boot.sh [RUNS]
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS="${1:-5}"
need_packages qemu-system-misc python3
jvisor_ready
debian_image
machines "$IMAGE/initrd.gz"
SYSTEMS=(jvisor-builtin jvisor-opensbi qemu)
argv_of() {
  case "$1" in
    jvisor-builtin) ARGV=("${JVISOR_BUILTIN[@]}") ;;
    jvisor-opensbi) ARGV=("${JVISOR_OPENSBI[@]}") ;;
    qemu) ARGV=("${QEMU_SYSTEM[@]}") ;;
  esac
}

raw="$OUT/boot.raw"
mkdir -p "$OUT/boot"
: > "$raw"
for i in $(seq "$RUNS"); do
  for sys in "${SYSTEMS[@]}"; do
    argv_of "$sys"
    log="$OUT/boot/$sys-$i.log"
    if ! drive_console "$log.steps" "$log" --cmd 'poweroff -f' -- "${ARGV[@]}"; then
      echo "boot.sh: $sys, run $i failed; see $log and $log.steps" >&2
      exit 1
    fi
    read -r status total cpu rss < <(exit_info "$log.steps")
    prompt="$(step_wall "$log.steps" boot)"
    echo "$sys $i $prompt $total $cpu $rss" >> "$raw"
    printf 'boot.sh: %-15s run %d: prompt after %6.2f s, exited after %6.2f s, CPU %6.2f s, max RSS %4d MiB\n' \
      "$sys" "$i" "$prompt" "$total" "$cpu" $((rss / 1024)) >&2
  done
done

col() { awk -v s="$1" -v c="$2" '$1 == s {print $c}' "$raw"; }
mib() { col "$1" 6 | awk '{print $1 / 1024}'; }
opensbi() { grep -aom1 'OpenSBI v[0-9.]*' "$OUT/boot/$1-1.log" | sed 's/OpenSBI //'; }
name_of() {
  case "$1" in
    jvisor-builtin) echo "jvisor, built-in SBI" ;;
    jvisor-opensbi) echo "jvisor, OpenSBI $(opensbi jvisor-opensbi) (the image's fw_dynamic.bin)" ;;
    qemu) echo "QEMU $(qemu-system-riscv64 --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p') TCG, OpenSBI $(opensbi qemu) (-bios default)" ;;
  esac
}
spreads() { for s in "${SYSTEMS[@]}"; do for c in "$@"; do col "$s" "$c" | spread; echo; done; done | sort -g | tail -1; }
commands() {
  echo "Command lines (\`<image>\` is the image's directory in ~/.cache/jvisor/images/debian/; \`./jvisor run debian\`"
  echo "boots that same kernel and initramfs with the same defaults, after checking the mirror for a newer image):"
  echo
  for s in "${SYSTEMS[@]}"; do argv_of "$s"; echo "- $(name_of "$s"): \`$(shown "${ARGV[@]}")\`"; done
}

body="$OUT/boot.md"
{
  echo "## Boot time, one hart (bench/boot.sh)"
  echo
  echo "Debian's kernel $KERNEL_RELEASE and the image's busybox initramfs, 512 MiB, one hart, console on a pty"
  echo "driven by bench/console.py. Seconds from starting the process to the first shell prompt, and to the"
  echo "process's exit after \`poweroff -f\` is typed at that prompt, and the CPU time the process used in all"
  echo "(all threads: for jvisor also the JVM's compilers and GC; it does not grow when other processes"
  echo "take the cores). Runs per system: $RUNS, alternating; median (min–max)."
  echo
  echo "| system | to the shell prompt | to power-off (process exit) | CPU time of the process |"
  echo "|---|---|---|---|"
  for s in "${SYSTEMS[@]}"; do
    echo "| $(name_of "$s") | $(col "$s" 3 | stats 2) s | $(col "$s" 4 | stats 2) s | $(col "$s" 5 | stats 2) s |"
  done
  echo
  q3=$(col qemu 3 | median) q4=$(col qemu 4 | median) q5=$(col qemu 5 | median)
  for s in jvisor-builtin jvisor-opensbi; do
    echo "- $(name_of "$s") / QEMU (medians): $(ratio "$(col "$s" 3 | median)" "$q3") to the prompt," \
         "$(ratio "$(col "$s" 4 | median)" "$q4") to power-off, $(ratio "$(col "$s" 5 | median)" "$q5") in CPU time."
  done
  echo
  commands
  echo
  machine_line "$KERNEL_RELEASE"
  noise_line "$(spreads 3 4 5)" "boot times"
} > "$body"
write_section boot "$body"

body="$OUT/memory.md"
{
  echo "## Peak memory of the host process while booting (bench/boot.sh)"
  echo
  echo "Maximum resident set size of the jvisor (JVM) and QEMU processes over each boot run above, from the"
  echo "kernel's accounting at exit (wait4's ru_maxrss, what GNU time reports). The guest has 512 MiB; both"
  echo "systems allocate it up front and the host backs only the pages the guest touches. Runs per system: $RUNS."
  echo
  echo "| system | peak RSS, MiB |"
  echo "|---|---|"
  for s in "${SYSTEMS[@]}"; do echo "| $(name_of "$s") | $(mib "$s" | stats 0) |"; done
  echo
  q=$(mib qemu | median)
  for s in jvisor-builtin jvisor-opensbi; do
    echo "- $(name_of "$s") / QEMU (medians): $(ratio "$(mib "$s" | median)" "$q")"
  done
  echo
  echo "jvisor's JVM runs with the launcher's defaults (\`-XX:+UseParallelGC -XX:-UseFPUForSpilling -XX:-ClipInlining\`, default heap sizing); its"
  echo "figure includes the heap, the JIT's generated classes and code cache, and the touched guest RAM."
  echo
  machine_line "$KERNEL_RELEASE"
  noise_line "$(spreads 6)" "peak RSS"
} > "$body"
write_section memory "$body"
cat "$OUT/boot.md" "$OUT/memory.md"
