package jvisor.images;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Builds the Linux guest that jvisor's whole-system tests boot ({@code jvisor.testing.LinuxGuest})
 * from its packages ({@link TestGuestPlan}), into a directory holding:
 * <ul>
 * <li>{@code vmlinux}: Debian's kernel as shipped;
 * <li>{@code initrd.gz}: busybox, e2fsprogs' mke2fs and e2fsck with the libraries they load, and
 * the virtio, ext4, 9p and kvm modules with a modules.dep for busybox's modprobe. Its /init loads
 * the modules named by {@code jvisor.modules=a,b} on the kernel command line, prints
 * {@value #READY} and runs a shell on the console;
 * <li>{@code u-boot.bin}: Debian's S-mode U-Boot for QEMU's virt board, which finds the two on a
 * disk (UBootTest);
 * <li>{@code qemu/}: Debian's qemu-system-riscv64 and, in {@code qemu/lib}, its dynamic loader and
 * every library it loads, so that inside the guest, with kvm.ko loaded, it can boot this same
 * guest as a nested KVM guest (KvmGuestTest): {@code qemu/lib/ld-linux-riscv64-lp64d.so.1
 * --library-path qemu/lib qemu/qemu-system-riscv64}.
 * </ul>
 * Module signatures are stripped: checking them costs seconds per module in an emulated guest.
 */
final class TestGuestBuild {
    static final String NAME = "testguest";
    static final String READY = "jvisor-test-ready";
    static final String KERNEL = "vmlinux", INITRD = "initrd.gz", UBOOT = "u-boot.bin", QEMU_DIR = "qemu";
    /** What the tests load; modprobe finds what these need (failover, jbd2, netfs, ...) in modules.dep. */
    static final List<String> MODULES = List.of("virtio_mmio", "virtio_rng", "virtio_blk", "virtio_net", "ext4",
            "crc32c_generic", "9pnet_virtio", "9p", "kvm");
    private static final String UBOOT_FILE = "usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";
    private static final String QEMU = "usr/bin/qemu-system-riscv64";
    private static final List<String> E2FS_PROGRAMS = List.of("usr/sbin/mke2fs", "usr/sbin/e2fsck");
    private static final String MKE2FS_CONF = "etc/mke2fs.conf";
    /** What to unpack from e2fsprogs' and QEMU's packages: the programs and any shared library. */
    private static final Pattern WANTED = Pattern.compile(
            "usr/(bin/qemu-system-riscv64|sbin/(mke2fs|e2fsck)|lib/(riscv64-linux-gnu/)?[^/]*\\.so(\\.[^/]*)?)|etc/mke2fs\\.conf");
    /** Bump when the layout changes in ways {@link #recipe} cannot see. */
    private static final int LAYOUT = 1;

    static final String INIT = """
            #!/bin/busybox sh
            /bin/busybox --install -s /bin
            export PATH=/usr/sbin:/usr/bin:/sbin:/bin
            mount -t proc proc /proc
            mount -t sysfs sysfs /sys
            mount -t devtmpfs devtmpfs /dev
            for m in $(sed -n 's/.*jvisor\\.modules=\\([^ ]*\\).*/\\1/p' /proc/cmdline | tr , ' '); do
              modprobe "$m" || echo "jvisor-test: modprobe $m failed"
            done
            echo "READY"
            exec sh
            """.replace("READY", READY);

    private final Progress progress;

    TestGuestBuild(Progress progress) { this.progress = progress; }

    /** Part of the cache key: a guest built by an older recipe is built anew. */
    static String recipe() {
        String all = LAYOUT + "\n" + INIT + MODULES + UBOOT_FILE + QEMU + E2FS_PROGRAMS + WANTED;
        return Downloader.sha256(all.getBytes(StandardCharsets.UTF_8)).substring(0, 8);
    }

    /** Builds into the empty directory {@code dir} from the .debs of {@code plan}'s packages. */
    void build(TestGuestPlan plan, Map<PackageIndex.Package, Path> debs, Path dir, String mirror) throws IOException {
        KernelModules modules = new KernelModules();
        String release = ImageBuilder.readKernel(debs.get(plan.kernel()), progress, dir.resolve(KERNEL), modules);
        byte[] busybox = ImageBuilder.readBusybox(debs.get(plan.busybox()), progress);
        DebArchive.read(debs.get(plan.uboot()), progress, (path, entry, in) -> {
            if (entry.isFile() && path.equals(UBOOT_FILE)) Files.copy(in, dir.resolve(UBOOT));
        });
        PackageFiles files = new PackageFiles();
        for (PackageIndex.Package p : plan.programs()) {
            files.add(debs.get(p), path -> WANTED.matcher(path).matches(), progress);
        }
        if (!Files.exists(dir.resolve(UBOOT))) {
            throw new ImageException(plan.uboot() + " has no /" + UBOOT_FILE + "; the test guest's recipe needs updating");
        }

        KernelModules.Selection chosen = modules.select(MODULES);
        if (!chosen.missing().isEmpty()) {
            throw new ImageException(plan.kernel() + " has no module " + String.join(", ", chosen.missing())
                    + ", which the whole-system tests load");
        }
        try (OutputStream out = Files.newOutputStream(dir.resolve(INITRD))) {
            initramfs(busybox, files, release, chosen).write(out, Instant.now().getEpochSecond());
        }
        writeQemu(files, dir.resolve(QEMU_DIR));
        writeProperties(plan, release, dir, mirror);
    }

    private static Tree initramfs(byte[] busybox, PackageFiles files, String release, KernelModules.Selection chosen)
            throws IOException {
        Tree t = new Tree();
        for (String d : List.of("bin", "dev", "etc", "mnt", "proc", "run", "sys", "tmp")) t.dir(d);
        t.link("lib", "usr/lib"); // Debian's merged /usr: the loader is /lib/ld-linux-riscv64-lp64d.so.1
        t.file("init", 0755, INIT.getBytes(StandardCharsets.UTF_8));
        t.file("bin/busybox", 0755, busybox);
        t.file(MKE2FS_CONF, files.mode(MKE2FS_CONF), files.data(MKE2FS_CONF));
        for (String program : E2FS_PROGRAMS) {
            t.file(program, files.mode(program), files.data(program));
            t.copy(files, interpreter(files, program));
            for (String lib : files.libraries(program)) t.copy(files, lib);
        }
        // flat, as modprobe needs no more: usr/lib/modules/RELEASE/ext4.ko
        String base = "usr/lib/modules/" + release + "/";
        t.dir(base.substring(0, base.length() - 1));
        for (KernelModules.Module m : chosen.modules()) {
            t.file(base + fileName(m.path()), 0644, KernelModules.withoutSignature(m.ko()));
        }
        StringBuilder dep = new StringBuilder();
        for (String line : chosen.modulesDep().split("\n")) {
            dep.append(Arrays.stream(line.split(" ")).map(TestGuestBuild::fileName).collect(Collectors.joining(" ")))
                    .append('\n');
        }
        t.file(base + "modules.dep", 0644, dep.toString().getBytes(StandardCharsets.UTF_8));
        return t;
    }

    private static String interpreter(PackageFiles files, String program) throws IOException {
        String interp = ElfDynamic.parse(files.data(program), "/" + program).interpreter();
        if (interp == null) throw new ImageException("/" + program + " names no dynamic loader (PT_INTERP)");
        return interp.substring(1);
    }

    /** QEMU with its loader and libraries in one flat folder, links followed, each under the name it is looked up by. */
    private static void writeQemu(PackageFiles files, Path qemu) throws IOException {
        Path lib = Files.createDirectories(qemu.resolve("lib"));
        writeFile(qemu.resolve(fileName(QEMU)), files.data(QEMU), files.mode(QEMU));
        String loader = interpreter(files, QEMU);
        writeFile(lib.resolve(fileName(loader)), files.data(loader), files.mode(loader));
        for (String l : files.libraries(QEMU)) writeFile(lib.resolve(fileName(l)), files.data(l), files.mode(l));
    }

    private static void writeFile(Path file, byte[] data, int mode) throws IOException {
        Files.write(file, data);
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] all = PosixFilePermission.values(); // OWNER_READ first, OTHERS_EXECUTE last
        for (int bit = 0; bit < 9; bit++) if ((mode & (0400 >> bit)) != 0) perms.add(all[bit]);
        Files.setPosixFilePermissions(file, perms);
    }

    private static String fileName(String path) { return path.substring(path.lastIndexOf('/') + 1); }

    private static void writeProperties(TestGuestPlan plan, String release, Path dir, String mirror) throws IOException {
        Properties p = new Properties();
        p.setProperty("name", NAME);
        p.setProperty("kernel.package", plan.kernel().name());
        p.setProperty("kernel.version", plan.kernel().version());
        p.setProperty("kernel.release", release);
        p.setProperty("busybox.version", plan.busybox().version());
        p.setProperty("u-boot.version", plan.uboot().version());
        p.setProperty("e2fsprogs.version", plan.named(TestGuestPlan.E2FSPROGS).version());
        p.setProperty("qemu.version", plan.named(TestGuestPlan.QEMU).version());
        p.setProperty("modules", String.join(" ", MODULES));
        p.setProperty("mirror", mirror);
        p.setProperty("built", Instant.now().toString());
        try (OutputStream out = Files.newOutputStream(dir.resolve(CachedImage.PROPERTIES))) {
            p.store(out, "jvisor's whole-system test guest");
        }
    }

    /** The initramfs's entries by path; a parent sorts before its children, so it is written first. */
    private static final class Tree {
        private sealed interface Entry permits Dir, File, Link {}
        private record Dir() implements Entry {}
        private record File(int mode, byte[] data) implements Entry {}
        private record Link(String target) implements Entry {}

        private final TreeMap<String, Entry> entries = new TreeMap<>();

        void dir(String path) {
            for (int slash = path.indexOf('/'); slash > 0; slash = path.indexOf('/', slash + 1)) {
                entries.putIfAbsent(path.substring(0, slash), new Dir());
            }
            entries.putIfAbsent(path, new Dir());
        }

        void file(String path, int mode, byte[] data) { parents(path).put(path, new File(mode, data)); }

        void link(String path, String target) { parents(path).put(path, new Link(target)); }

        /** {@code path} with the symbolic links that lead from it to its file, as the packages have them. */
        void copy(PackageFiles files, String path) throws IOException {
            for (String p : files.chain(path)) {
                String target = files.symlink(p);
                if (target == null) { // the file, or a hard link to it
                    file(p, files.mode(p), files.data(p));
                    return;
                }
                link(p, target);
            }
        }

        private TreeMap<String, Entry> parents(String path) {
            int slash = path.lastIndexOf('/');
            if (slash > 0) dir(path.substring(0, slash));
            return entries;
        }

        void write(OutputStream out, long mtime) throws IOException {
            try (CpioWriter cpio = new CpioWriter(out, mtime)) {
                for (Map.Entry<String, Entry> e : entries.entrySet()) {
                    switch (e.getValue()) {
                        case Dir d -> cpio.directory(e.getKey());
                        case File f -> cpio.file(e.getKey(), f.mode(), f.data());
                        case Link l -> cpio.symlink(e.getKey(), l.target());
                    }
                }
            }
        }
    }
}
