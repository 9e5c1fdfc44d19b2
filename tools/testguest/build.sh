#!/usr/bin/env bash
# Builds the Linux guest that jvisor's whole-system tests boot (src/test/java/jvisor/testing/LinuxGuest.java):
# Debian trixie's riscv64 kernel, busybox, e2fsprogs' mke2fs and e2fsck, and the virtio and kvm modules in an initramfs
# whose /init loads the modules named by jvisor.modules=a,b,c on the kernel command line (modprobe
# resolves their dependencies) and then runs a shell on the console.
#
# Module signatures are stripped: checking them costs seconds per module in an emulated guest.
#
# Usage: tools/testguest/build.sh [OUTDIR]   (default: $JVISOR_TESTGUEST or ~/.cache/jvisor/testguest)
# Produces OUTDIR/vmlinux and OUTDIR/initrd.gz, OUTDIR/u-boot.bin: Debian's S-mode U-Boot for
# QEMU's virt board (u-boot-qemu), which boots the two from a disk (UBootTest), and OUTDIR/qemu:
# Debian's qemu-system-riscv64 and its libraries, the VMM of the nested KVM boot (KvmGuestTest). Needs apt-get,
# dpkg-deb, cpio, gzip and xz, and network access to deb.debian.org the first time (the .deb files are kept in OUTDIR/debs).
set -euo pipefail
out="${1:-${JVISOR_TESTGUEST:-$HOME/.cache/jvisor/testguest}}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
[ -f "$out/vmlinux" ] && [ -f "$out/initrd.gz" ] && [ -f "$out/u-boot.bin" ] && [ -x "$out/qemu/qemu-system-riscv64" ] &&
  [ "$out/initrd.gz" -nt "${BASH_SOURCE[0]}" ] && exit 0

apt_dir="$out/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$out/debs"
echo 'deb [arch=riscv64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main' \
  > "$apt_dir/sources.list"
A=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=$apt_dir/lists"
   -o "Dir::Cache=$apt_dir/cache" -o APT::Architecture=riscv64 -o APT::Architectures=riscv64 -q)
if ! ls "$out"/debs/linux-image-*.deb >/dev/null 2>&1; then
  apt-get "${A[@]}" update
  kernel_pkg="$(apt-cache "${A[@]}" depends linux-image-riscv64 | sed -n 's/^ *Depends: \(linux-image-6[^ ]*\)$/\1/p' | head -1)"
  (cd "$out/debs" && apt-get "${A[@]}" download "$kernel_pkg" busybox-static e2fsprogs libext2fs2t64 libcom-err2 \
    libblkid1 libuuid1 libss2 libc6)
fi
if ! ls "$out"/debs/u-boot-qemu_*.deb >/dev/null 2>&1; then
  ls "$apt_dir"/lists/*_Packages* >/dev/null 2>&1 || apt-get "${A[@]}" update
  (cd "$out/debs" && apt-get "${A[@]}" download u-boot-qemu)
fi

# QEMU for riscv64 with every library it loads, in OUTDIR/qemu: inside the test guest, with
# kvm.ko loaded, it is the user-space VMM that boots this same kernel and initramfs as a nested
# KVM guest (KvmGuestTest). Run it as qemu/lib/ld-linux-riscv64-lp64d.so.1 --library-path qemu/lib
# qemu/qemu-system-riscv64. qemu-system-data (firmware, keymaps) is not needed with -bios none.
if ! ls "$out"/qemu-debs/qemu-system-riscv_*.deb >/dev/null 2>&1; then
  ls "$apt_dir"/lists/*_Packages* >/dev/null 2>&1 || apt-get "${A[@]}" update
  mkdir -p "$out/qemu-debs"
  qemu_pkgs="$(apt-cache "${A[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances qemu-system-riscv | grep -v '^[ <]' | grep -v '^qemu-system-data$' | sort -u)"
  # shellcheck disable=SC2086
  (cd "$out/qemu-debs" && apt-get "${A[@]}" download $qemu_pkgs)
fi
qx="$out/qemu-x"
rm -rf "$qx" "$out/qemu"
mkdir -p "$qx" "$out/qemu/lib"
for deb in "$out"/qemu-debs/*.deb; do dpkg-deb -x "$deb" "$qx"; done
readelf=readelf
command -v riscv64-linux-gnu-readelf >/dev/null && readelf=riscv64-linux-gnu-readelf
cp "$qx/usr/bin/qemu-system-riscv64" "$out/qemu/"
cp -L "$qx/usr/lib/riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1" "$out/qemu/lib/"
todo="$qx/usr/bin/qemu-system-riscv64"
while [ -n "$todo" ]; do
  set -- $todo; f="$1"; shift; todo="$*"
  for lib in $("$readelf" -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -f "$out/qemu/lib/$lib" ] && continue
    found="$(find "$qx" -name "$lib" | head -1)"
    [ -n "$found" ] || { echo "qemu-system-riscv64 needs $lib, which no package brought" >&2; exit 1; }
    cp -L "$found" "$out/qemu/lib/"
    todo="$todo $found"
  done
done
rm -rf "$qx"

x="$out/x"
root="$out/root"
rm -rf "$x" "$root"
mkdir -p "$x"
for deb in "$out"/debs/*.deb; do dpkg-deb -x "$deb" "$x"; done
kver="$(basename "$(ls -d "$x"/usr/lib/modules/*)")"
cp "$x/boot/vmlinux-$kver" "$out/vmlinux"
cp "$x/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin" "$out/u-boot.bin"

mkdir -p "$root"/{bin,dev,proc,sys,tmp,mnt,run,etc,usr/sbin,usr/lib/riscv64-linux-gnu}
ln -s usr/lib "$root/lib"
cp "$x/usr/bin/busybox" "$root/bin/busybox"
cp "$x/usr/sbin/mke2fs" "$x/usr/sbin/e2fsck" "$root/usr/sbin/"
cp "$x/etc/mke2fs.conf" "$root/etc/mke2fs.conf"
cp -a "$x"/usr/lib/riscv64-linux-gnu/{ld-linux-riscv64-lp64d.so.1,libc.so.6,libext2fs.so.2*,libe2p.so.2*,libcom_err.so.2*,libblkid.so.1*,libuuid.so.1*} \
  "$root/usr/lib/riscv64-linux-gnu/"
cp -a "$x/usr/lib/ld-linux-riscv64-lp64d.so.1" "$root/usr/lib/" 2>/dev/null || \
  ln -s riscv64-linux-gnu/ld-linux-riscv64-lp64d.so.1 "$root/usr/lib/ld-linux-riscv64-lp64d.so.1"

# The modules the tests may ask for, with what they depend on.
kmods="$x/usr/lib/modules/$kver/kernel"
mods="$root/usr/lib/modules/$kver"
mkdir -p "$mods"
wanted="drivers/virtio/virtio_mmio drivers/char/hw_random/virtio-rng drivers/block/virtio_blk
  net/core/failover drivers/net/net_failover drivers/net/virtio_net
  lib/crc16 fs/mbcache fs/jbd2/jbd2 crypto/crc32c_generic fs/ext4/ext4
  fs/netfs/netfs net/9p/9pnet net/9p/9pnet_virtio fs/9p/9p
  arch/riscv/kvm/kvm"
: > "$mods/modules.dep"
for m in $wanted; do
  name="$(basename "$m")"
  xz -dc "$kmods/$m.ko.xz" > "$mods/$name.ko"
  f="$mods/$name.ko"
  if tail -c 28 "$f" | grep -q 'Module signature appended'; then
    siglen="$(tail -c 32 "$f" | head -c 4 | od -An -tu1 | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')"
    truncate -s $(( $(stat -c %s "$f") - 28 - 12 - siglen )) "$f"
  fi
  deps="$(grep -a -o 'depends=[a-z0-9_,-]*' "$f" | head -1 | sed 's/depends=//; s/,/ /g')"
  line="$name.ko:"
  for d in $deps; do line="$line $d.ko"; done
  echo "$line" >> "$mods/modules.dep"
done
# busybox modprobe wants every dependency listed, deepest last (modules.dep order)
awk -F: '{ deps[$1] = $2 } END {
  for (m in deps) {
    out = ""; todo = deps[m]
    while (todo != "") {
      n = split(todo, a, " "); todo = ""
      for (i = 1; i <= n; i++) if (index(out " ", " " a[i] " ") == 0) { out = out " " a[i]; todo = todo " " deps[a[i]] }
    }
    print m ":" out
  } }' "$mods/modules.dep" | sort > "$mods/modules.dep.full"
mv "$mods/modules.dep.full" "$mods/modules.dep"

cat > "$root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(sed -n 's/.*jvisor\.modules=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' '); do
  modprobe "$m" || echo "jvisor-test: modprobe $m failed"
done
echo "jvisor-test-ready"
exec sh
INIT
chmod 755 "$root/init"
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$out/initrd.gz.tmp"
mv "$out/initrd.gz.tmp" "$out/initrd.gz"
rm -rf "$x" "$root"
echo "test guest: $out/vmlinux, $out/initrd.gz (linux $kver), $out/u-boot.bin, $out/qemu"
