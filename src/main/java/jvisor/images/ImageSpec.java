package jvisor.images;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A catalog entry: which Debian packages make an image and what the initramfs loads. The kernel
 * comes from whatever {@code kernelMeta} depends on now, so the image follows the suite's
 * security and point-release updates. An entry with a {@link Rootfs} is a whole system on a disk,
 * booted by the same kernel and initramfs.
 */
public record ImageSpec(String name, String title, String summary, String suite, String component, String architecture,
                        String kernelMeta, Pattern kernelPackage, String busyboxPackage,
                        String firmwarePackage, String firmwarePath, List<String> modules, Rootfs rootfs) {

    /**
     * A Debian system installed on a disk: every package of the given priorities and the named
     * ones, with what they depend on.
     *
     * @param diskBytes the filesystem's size when built (a run may grow it, never shrink it)
     * @param memoryBytes guest RAM when the user gives none (systemd and apt want more than a shell)
     */
    public record Rootfs(List<String> priorities, List<String> packages, long diskBytes, long memoryBytes) {}

    /** Debian trixie riscv64: its current 6.12 kernel, busybox-static, and OpenSBI as firmware. */
    public static final ImageSpec DEBIAN = new ImageSpec("debian", "Debian 13 (trixie) riscv64",
            "Debian 13 (trixie) riscv64: Linux kernel and a busybox shell",
            "trixie", "main", "riscv64",
            "linux-image-riscv64", Pattern.compile("linux-image-6\\.12\\.[0-9].*-riscv64"), "busybox-static",
            "opensbi", "usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
            List.of("virtio_mmio", "virtio_blk", "virtio_net", "virtio_console", "virtio_rng",
                    "9pnet_virtio", "9p", "ext4",
                    // ext4 and jbd2 want crc32c through a soft dependency on an alias
                    // ("crypto-crc32c"), which only a full depmod resolves: name its provider
                    "crc32c_generic",
                    // KVM, for a guest that runs VMs itself on jvisor's hypervisor extension: 'modprobe kvm'
                    "kvm"),
            null);

    /** The same kernel booting a real Debian system from a persistent disk: systemd, apt, ssh. */
    public static final ImageSpec DEBIAN_SYSTEM = new ImageSpec("debian-system", "Debian 13 (trixie) riscv64 system",
            "Debian 13 (trixie) riscv64 on a persistent disk: systemd, apt and ssh",
            DEBIAN.suite, DEBIAN.component, DEBIAN.architecture, DEBIAN.kernelMeta, DEBIAN.kernelPackage,
            DEBIAN.busyboxPackage, DEBIAN.firmwarePackage, DEBIAN.firmwarePath, DEBIAN.modules,
            new Rootfs(List.of("required", "important"),
                    List.of("apt", "systemd-sysv", "udev", "systemd-resolved", "openssh-server", "ca-certificates",
                            "less", "nano", "e2fsprogs", "kmod"),
                    8L << 30, 1L << 30));

    public static final List<ImageSpec> CATALOG = List.of(DEBIAN, DEBIAN_SYSTEM);

    /** The catalog entry called {@code name}; the error lists what there is. */
    public static ImageSpec named(String name) throws ImageException {
        for (ImageSpec s : CATALOG) if (s.name().equals(name.toLowerCase(Locale.ROOT))) return s;
        throw new ImageException("no image called '" + name + "'; available: "
                + String.join(", ", CATALOG.stream().map(ImageSpec::name).toList()));
    }

    /** The index files of this suite for the architecture, best compression first. */
    List<String> packagesIndexCandidates() {
        String base = component + "/binary-" + architecture + "/Packages";
        return List.of(base + ".xz", base + ".gz", base);
    }
}
