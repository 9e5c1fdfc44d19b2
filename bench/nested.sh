#!/usr/bin/env bash
# Nested KVM boot (issue 19): the Linux test guest (Debian's kernel, the busybox initramfs with
# kvm.ko; test_guest in lib.sh) boots on jvisor (built-in SBI, H on by default) and on
# qemu-system-riscv64 -cpu rv64,h=true (its own OpenSBI), with its folder shared over virtio-9p;
# inside it, Debian's QEMU from that folder boots the same kernel and initramfs with -accel kvm,
# as KvmGuestTest does (bench/nested.py drives the console). The systems alternate run by run.
# Writes the "nested" section of docs/PERFORMANCE.md. Runs take about a minute; bench/run.sh
# leaves this script out.   Usage: bench/nested.sh [RUNS [HARTS...]]   (defaults: 3, harts 1 and 2)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
RUNS="${1:-3}"
shift || true
HARTS=("$@")
[ ${#HARTS[@]} -gt 0 ] || HARTS=(1 2)
need_packages qemu-system-misc python3
jvisor_frozen
test_guest
[ -x "$G/qemu/qemu-system-riscv64" ] || { echo "nested.sh: no qemu/ in the test guest $G (jvisor images pull testguest)" >&2; exit 2; }
prop() { sed -n "s/^$1=//p" "$G/image.properties" | sed 's/\\//g'; }
KERNEL_RELEASE="$(prop kernel.release)"
APPEND="console=ttyS0 quiet jvisor.modules=virtio_mmio,9p,9pnet_virtio,kvm"
MEMORY=768M
SYSTEMS=(jvisor qemu)
argv_of() { # SYSTEM HARTS
  case "$1" in
    jvisor) ARGV=("${JVISOR[@]}" run --kernel "$G/vmlinux" --initrd "$G/initrd.gz" -m "$MEMORY" --cpus "$2"
                  --share "$G,tag=guest,readonly=on" --append "$APPEND") ;;
    qemu) ARGV=(qemu-system-riscv64 -M virt -cpu rv64,h=true -nographic -m "$MEMORY" -smp "$2" -nic none -bios default
                -kernel "$G/vmlinux" -initrd "$G/initrd.gz" -append "$APPEND"
                -fsdev "local,id=guest,path=$G,security_model=none,readonly=on"
                -device virtio-9p-device,fsdev=guest,mount_tag=guest) ;;
  esac
}

dir="$OUT/nested"
raw="$dir/raw"
mkdir -p "$dir"
: > "$raw"
for i in $(seq "$RUNS"); do
  for n in "${HARTS[@]}"; do
    for sys in "${SYSTEMS[@]}"; do
      argv_of "$sys" "$n"
      log="$dir/$sys-$n-$i.log"
      if python3 "$BENCH_DIR/nested.py" "$log" "$n" -- "${ARGV[@]}" > "$log.result"; then
        read -r _ outer _ nested _ down _ < "$log.result"
        echo "$sys $n $i $outer $nested $down" >> "$raw"
      else
        cp "$log.result" "$dir/$sys-$n.failed"
        echo "$sys $n $i failed" >> "$raw"
      fi
      echo "nested.sh: $sys, $n hart(s), run $i: $(head -1 "$log.result")" >&2
    done
  done
done

col() { awk -v s="$1" -v n="$2" -v c="$3" '$1 == s && $2 == n && $4 != "failed" {print $c}' "$raw"; }
ok_runs() { col "$1" "$2" 4 | wc -l; }
cell() { [ "$(ok_runs "$1" "$2")" -gt 0 ] && echo "$(col "$1" "$2" "$3" | stats 1) s" || echo "did not finish"; }
name_of() {
  case "$1" in
    jvisor) echo "jvisor, built-in SBI, H on (default)" ;;
    qemu) echo "QEMU $(qemu-system-riscv64 --version | sed -n '1s/.*version \([0-9.]*\).*/\1/p') TCG, -cpu rv64,h=true, OpenSBI (-bios default)" ;;
  esac
}
body="$dir/nested.md"
{
  echo "## Nested KVM boot (bench/nested.sh)"
  echo
  echo "The test guest (Debian's kernel $KERNEL_RELEASE, the busybox initramfs with kvm.ko; \`jvisor images pull testguest\`),"
  echo "$MEMORY, its folder shared read-only over virtio-9p, its /init loading 9p and kvm. In it, Debian's"
  echo "QEMU from that folder (\`qemu/\`, Debian's qemu-system-riscv $(prop qemu.version))"
  echo "boots the same kernel and initramfs with \`-accel kvm -cpu host -m 128M -bios none\` and as many vcpus as the"
  echo "outer guest has harts, exactly as KvmGuestTest does. Seconds from starting the outer machine to its shell,"
  echo "from typing the nested QEMU command to the nested guest's ready line (its /init, just before its shell), and"
  echo "from typing \`poweroff -f\` in the nested shell to QEMU's exit. Runs per system: $RUNS, alternating; median (min–max)."
  echo
  echo "| system | harts / vcpus | outer boot to shell | nested boot under -accel kvm | nested power-off | runs finished |"
  echo "|---|---|---|---|---|---|"
  for n in "${HARTS[@]}"; do
    for s in "${SYSTEMS[@]}"; do
      echo "| $(name_of "$s") | $n | $(cell "$s" "$n" 4) | $(cell "$s" "$n" 5) | $(cell "$s" "$n" 6) | $(ok_runs "$s" "$n") of $RUNS |"
    done
  done
  echo
  for n in "${HARTS[@]}"; do
    if [ "$(ok_runs jvisor "$n")" -gt 0 ] && [ "$(ok_runs qemu "$n")" -gt 0 ]; then
      echo "- $n hart(s): jvisor / QEMU (medians): outer boot $(ratio "$(col jvisor "$n" 4 | median)" "$(col qemu "$n" 4 | median)"),"\
           "nested boot $(ratio "$(col jvisor "$n" 5 | median)" "$(col qemu "$n" 5 | median)")."
    fi
  done
  for f in "$dir"/*.failed; do
    [ -e "$f" ] || continue
    echo
    echo "$(basename "$f" .failed): a run did not finish; the driver's report and the console's last lines:"
    echo
    echo '```'
    cat "$f"
    echo '```'
  done
  echo
  echo "Outer command lines (\`<guest>\` is the test guest's folder in ~/.cache/jvisor/images/testguest/):"
  echo
  for s in "${SYSTEMS[@]}"; do argv_of "$s" N; echo "- $(name_of "$s"): \`$(shown "${ARGV[@]}" | sed "s|$G|<guest>|g")\`"; done
  echo
  echo "Nested command, typed at the outer shell after \`mount -t 9p -o trans=virtio,version=9p2000.L guest /mnt\`:"
  echo "\`$(python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import nested; print(nested.NESTED.format(cpus="N"))' "$BENCH_DIR")\`"
  echo
  machine_line "$KERNEL_RELEASE"
  noise_line "$(for n in "${HARTS[@]}"; do for s in "${SYSTEMS[@]}"; do col "$s" "$n" 5 | spread; echo; done; done | sort -g | tail -1)" "nested boot times"
} > "$body"
write_section nested "$body"
cat "$body"
