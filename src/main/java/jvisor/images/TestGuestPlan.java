package jvisor.images;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The packages the test guest ({@link TestGuestBuild}) is made of: the kernel the catalog's
 * kernel meta-package depends on now, busybox, U-Boot, and the Depends closures of e2fsprogs and
 * of QEMU ({@link Resolver}). Saved beside the downloads under the index's SHA256, like
 * {@link ChosenPackages}, so that an unchanged index is not parsed again.
 */
record TestGuestPlan(PackageIndex.Package kernel, PackageIndex.Package busybox, PackageIndex.Package uboot,
                     List<PackageIndex.Package> e2fsprogs, List<PackageIndex.Package> qemu) {
    static final String BUSYBOX = "busybox-static", UBOOT = "u-boot-qemu", E2FSPROGS = "e2fsprogs",
            QEMU = "qemu-system-riscv";
    /** Firmware, keymaps and option ROMs: not needed by a QEMU started with -bios none, and large. */
    private static final Set<String> NOT_NEEDED = Set.of("qemu-system-data");

    static TestGuestPlan choose(PackageIndex index, String indexName) throws ImageException {
        ImageSpec catalog = ImageSpec.DEBIAN;
        Resolver resolver = new Resolver(index, indexName);
        List<PackageIndex.Package> qemu = new ArrayList<>(resolver.resolve(List.of(QEMU)));
        qemu.removeIf(p -> NOT_NEEDED.contains(p.name()));
        return new TestGuestPlan(index.resolve(catalog.kernelMeta(), catalog.kernelPackage(), indexName),
                index.get(BUSYBOX, indexName), index.get(UBOOT, indexName),
                resolver.resolve(List.of(E2FSPROGS)), List.copyOf(qemu));
    }

    /** Every package once: kernel, busybox, U-Boot, then {@link #programs}. */
    List<PackageIndex.Package> all() {
        Set<PackageIndex.Package> all = new LinkedHashSet<>(List.of(kernel, busybox, uboot));
        all.addAll(programs());
        return List.copyOf(all);
    }

    /** The packages of e2fsprogs' and QEMU's closures, once each (they share libc and more). */
    List<PackageIndex.Package> programs() {
        Set<PackageIndex.Package> all = new LinkedHashSet<>(e2fsprogs);
        all.addAll(qemu);
        return List.copyOf(all);
    }

    PackageIndex.Package named(String name) {
        return all().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    /** The cache key: the kernel's version, then every package version and the recipe, hashed. */
    String key(String recipe) { return ImageCache.key(kernel, all(), recipe); }

    /** One line per package: its role, then name, version, size, SHA256 and file name. */
    void save(Path file) throws IOException {
        List<String> lines = new ArrayList<>();
        for (PackageIndex.Package p : List.of(kernel, busybox, uboot)) lines.add(line("boot", p));
        for (PackageIndex.Package p : e2fsprogs) lines.add(line(E2FSPROGS, p));
        for (PackageIndex.Package p : qemu) lines.add(line(QEMU, p));
        Files.createDirectories(file.getParent());
        Files.write(file, lines);
    }

    private static String line(String role, PackageIndex.Package p) {
        return String.join(" ", role, p.name(), p.version(), Long.toString(p.size()), p.sha256(), p.filename());
    }

    /** The saved plan, or null when there is none or it is unreadable (then choose again). */
    static TestGuestPlan load(Path file) {
        if (!Files.isRegularFile(file)) return null;
        try {
            List<PackageIndex.Package> boot = new ArrayList<>(), e2fsprogs = new ArrayList<>(), qemu = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                String[] f = line.split(" ");
                PackageIndex.Package p = PackageIndex.Package.file(f[1], f[2], f[5], Long.parseLong(f[3]), f[4]);
                (f[0].equals("boot") ? boot : f[0].equals(E2FSPROGS) ? e2fsprogs : qemu).add(p);
            }
            if (boot.size() != 3 || e2fsprogs.isEmpty() || qemu.isEmpty()) return null;
            return new TestGuestPlan(boot.get(0), boot.get(1), boot.get(2), List.copyOf(e2fsprogs), List.copyOf(qemu));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
