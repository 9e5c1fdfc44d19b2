package jvisor.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jvisor.storage.Qcow2Image;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Builds a system image ({@link ImageSpec.Rootfs}): the image's kernel and initramfs as for the
 * busybox image, and {@code disk.qcow2} holding a Debian system installed by a build guest
 * ({@link BuildGuest}, running {@link SystemScript}) from packages the host has chosen
 * ({@link Resolver}), verified and uncompressed.
 */
final class SystemBuild {
    static final String DISK = "disk.qcow2";
    /** Bump when what goes on the disk changes in ways the script's text does not show (e.g. which modules). */
    static final int LAYOUT = 2;
    static final String SHARE_TAG = "debs";
    /** A build guest silent this long is stuck (a maintainer script waiting for input). */
    private static final Duration QUIET_LIMIT = Duration.ofMinutes(10);
    private static final Pattern MODULE_PATH = Pattern.compile("(?:usr/)?lib/modules/.+");
    /**
     * Drivers of hardware a jvisor machine cannot have (graphics, sound, media, USB, input,
     * wireless, Bluetooth, physical NICs...), left out as Debian's cloud kernels leave them out:
     * over half of the modules, which the build guest would otherwise unpack and index with depmod.
     */
    private static final Pattern HARDWARE_MODULE = Pattern.compile("(?:usr/)?lib/modules/[^/]+/kernel/(?:drivers/(?:"
            + "media|gpu|infiniband|iio|usb|hid|staging|input|mmc|mtd|bluetooth|net/wireless|net/usb|net/ethernet|net/can)"
            + "|sound|net/(?:bluetooth|wireless|mac80211))/.*");

    /**
     * Which packages go in at which stage: {@code required} (priority required and what it needs)
     * is unpacked by busybox and then installed; {@code base} is the rest, of which
     * {@code predependGroups} are installed first (others pre-depend on them, or on what they
     * need), group after group; {@code tools} are what the guest runs to make the filesystem.
     */
    record Plan(List<PackageIndex.Package> required, List<PackageIndex.Package> base,
                List<List<PackageIndex.Package>> predependGroups, List<PackageIndex.Package> tools, ChosenPackages boot) {

        List<PackageIndex.Package> system() { return Stream.concat(required.stream(), base.stream()).toList(); }

        /** Every package to download: the system's and the boot's (kernel, busybox, firmware). */
        List<PackageIndex.Package> downloads() { return Stream.concat(boot.all().stream(), system().stream()).toList(); }

        /** The cache key: every package version and the recipe, hashed. */
        String key(String recipe) { return ImageCache.key(boot.kernel(), downloads(), recipe); }
    }

    private final ImageSpec spec;
    private final String mirror;
    private final PrintStream log;
    private final PrintStream progress;
    private final BuildGuest guest;

    SystemBuild(ImageSpec spec, String mirror, PrintStream log, PrintStream progress, BuildGuest guest) {
        this.spec = spec;
        this.mirror = mirror;
        this.log = log;
        this.progress = progress;
        this.guest = guest;
    }

    /** Chooses the packages of {@code spec}'s system from {@code index}. */
    static Plan plan(ImageSpec spec, PackageIndex index, String indexName, ChosenPackages boot) throws ImageException {
        Resolver resolver = new Resolver(index, indexName);
        ImageSpec.Rootfs rootfs = spec.rootfs();
        List<String> requiredRoots = new ArrayList<>(names(index.withPriority(PackageIndex.Priority.REQUIRED)));
        for (PackageIndex.Package p : index.essential()) if (!requiredRoots.contains(p.name())) requiredRoots.add(p.name());
        Set<String> roots = new LinkedHashSet<>(requiredRoots);
        for (String priority : rootfs.priorities()) roots.addAll(names(index.withPriority(PackageIndex.Priority.of(priority))));
        roots.addAll(rootfs.packages());
        List<PackageIndex.Package> all = resolver.resolve(List.copyOf(roots));

        // the required stage in the system's install order; what the required closure alone would
        // have chosen differently (another alternative) is left to the base stage
        Set<String> requiredNames = new HashSet<>(names(resolver.resolve(requiredRoots)));
        List<PackageIndex.Package> required = new ArrayList<>(), base = new ArrayList<>();
        for (PackageIndex.Package p : all) (requiredNames.contains(p.name()) ? required : base).add(p);
        // base-files first: it makes /bin, /lib and /sbin links into /usr before anything lands there
        required.sort((a, b) -> Boolean.compare(!a.name().equals("base-files"), !b.name().equals("base-files")));

        Set<String> baseNames = new HashSet<>(names(base)), grouped = new HashSet<>();
        List<PackageIndex.Package> predepended = new ArrayList<>();
        for (PackageIndex.Package p : base) {
            for (List<Relation> alternatives : p.relations().preDepends()) {
                for (Relation r : alternatives) {
                    if (!baseNames.contains(r.name()) || grouped.contains(r.name())) continue;
                    Set<String> closure = new HashSet<>(names(resolver.resolve(List.of(r.name()))));
                    for (PackageIndex.Package q : base) {
                        if (closure.contains(q.name()) && grouped.add(q.name())) predepended.add(q);
                    }
                }
            }
        }
        Set<String> toolNames = new HashSet<>(names(resolver.resolve(List.of("e2fsprogs"))));
        List<PackageIndex.Package> tools = all.stream().filter(p -> toolNames.contains(p.name())).toList();
        return new Plan(List.copyOf(required), List.copyOf(base), batches(predepended), tools, boot);
    }

    /**
     * Splits packages in install order into runs of {@code dpkg --install}: one run unpacks all
     * its packages before it configures any, so a package whose pre-dependency is in the same run
     * would find it unconfigured; it starts the next run.
     */
    private static List<List<PackageIndex.Package>> batches(List<PackageIndex.Package> ordered) {
        List<List<PackageIndex.Package>> batches = new ArrayList<>();
        List<PackageIndex.Package> batch = new ArrayList<>();
        Set<String> inBatch = new HashSet<>();
        for (PackageIndex.Package p : ordered) {
            boolean needsBatch = p.relations().preDepends().stream().flatMap(List::stream)
                    .anyMatch(r -> inBatch.contains(r.name()));
            if (needsBatch) {
                batches.add(List.copyOf(batch));
                batch.clear();
                inBatch.clear();
            }
            batch.add(p);
            inBatch.add(p.name());
        }
        if (!batch.isEmpty()) batches.add(List.copyOf(batch));
        return List.copyOf(batches);
    }

    private static List<String> names(List<PackageIndex.Package> packages) {
        return packages.stream().map(PackageIndex.Package::name).toList();
    }

    /**
     * Builds into {@code dir}; {@code debs} maps each of {@link Plan#downloads()} (same order) to
     * its verified file. {@code buildLog} receives the guest's console.
     */
    void build(Plan plan, List<Path> debs, Path dir, Path buildLog) throws IOException {
        List<PackageIndex.Package> downloads = plan.downloads();
        new ImageBuilder(log, progress).build(spec, plan.boot(), debs.subList(0, 3), dir, mirror);
        Path share = Files.createDirectories(dir.resolve("share"));
        try {
            prepareShare(plan, downloads, debs, share);
            Path initrd = buildInitrd(dir);
            Qcow2Image.create(dir.resolve(DISK), spec.rootfs().diskBytes(), null, null);
            runGuest(plan, dir, initrd, share, buildLog);
            Files.delete(initrd);
        } finally {
            ImageCache.deleteTree(share);
        }
        recordProperties(plan, dir);
    }

    /** Uncompressed packages, the lists the script reads, the kernel's modules, the script. */
    private void prepareShare(Plan plan, List<PackageIndex.Package> downloads, List<Path> debs, Path share) throws IOException {
        List<PackageIndex.Package> system = plan.system();
        try (Progress bar = new Progress(progress, "unpacking packages", system.size(), "packages")) {
            for (int i = 3; i < downloads.size(); i++) {
                DebArchive.decompress(debs.get(i), share.resolve(downloads.get(i).fileName()));
                bar.advance(1);
            }
        }
        Files.write(share.resolve(SystemScript.REQUIRED), fileNames(plan.required()));
        Files.write(share.resolve(SystemScript.BASE), fileNames(plan.base()));
        Files.write(share.resolve(SystemScript.TOOLS), fileNames(plan.tools()));
        List<String> groups = plan.predependGroups().stream().map(g -> String.join(" ", fileNames(g))).toList();
        Files.write(share.resolve(SystemScript.PREDEPENDS), groups);
        String dpkg = system.stream().filter(p -> p.name().equals("dpkg")).findFirst()
                .orElseThrow(() -> new ImageException("the system's packages include no dpkg")).version();
        Files.writeString(share.resolve(SystemScript.DPKG_VERSION), dpkg + "\n");
        writeModules(debs.get(0), share.resolve(SystemScript.MODULES));
        Files.writeString(share.resolve(SystemScript.SCRIPT), SystemScript.build(mirror, spec.suite()));
    }

    /** The kernel package's modules as a plain tarball, for the system's /usr/lib/modules. */
    private void writeModules(Path kernelDeb, Path tar) throws IOException {
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(tar), 1 << 16))) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            DebArchive.read(kernelDeb, null, (path, entry, in) -> {
                if (!MODULE_PATH.matcher(path).matches() || HARDWARE_MODULE.matcher(path).matches()) return;
                TarArchiveEntry copy = new TarArchiveEntry(entry.isDirectory() ? "usr/" + path.replaceFirst("^usr/", "") + "/"
                        : "usr/" + path.replaceFirst("^usr/", ""), entry.isSymbolicLink() ? TarArchiveEntry.LF_SYMLINK
                        : entry.isDirectory() ? TarArchiveEntry.LF_DIR : TarArchiveEntry.LF_NORMAL);
                copy.setMode(entry.getMode());
                copy.setModTime(entry.getModTime());
                if (entry.isSymbolicLink()) copy.setLinkName(entry.getLinkName());
                if (entry.isFile()) copy.setSize(entry.getSize());
                out.putArchiveEntry(copy);
                if (entry.isFile()) in.transferTo(out);
                out.closeArchiveEntry();
            });
        }
    }

    /** The image's initramfs with an inittab that runs the build script from the share instead of a shell. */
    private static Path buildInitrd(Path dir) throws IOException {
        Path initrd = dir.resolve("build-initrd.gz");
        ByteArrayOutputStream extra = new ByteArrayOutputStream();
        try (CpioWriter cpio = new CpioWriter(extra, Instant.now().getEpochSecond())) {
            cpio.directory("etc");
            cpio.file("etc/inittab", 0644, ("::once:/bin/sh -c 'mkdir -p /debs && mount -t 9p -o trans=virtio,version=9p2000.L,ro "
                    + SHARE_TAG + " /debs && exec /bin/sh /debs/" + SystemScript.SCRIPT + "'\n").getBytes(StandardCharsets.UTF_8));
        }
        // an initramfs may be several archives one after the other; later files win
        try (OutputStream out = Files.newOutputStream(initrd)) {
            Files.copy(dir.resolve(CachedImage.INITRD), out);
            extra.writeTo(out);
        }
        return initrd;
    }

    private void runGuest(Plan plan, Path dir, Path initrd, Path share, Path buildLog) throws IOException {
        int cpus = Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors()));
        BuildGuest.Spec s = new BuildGuest.Spec(dir.resolve(CachedImage.KERNEL), initrd, "console=ttyS0 quiet",
                1L << 30, cpus, dir.resolve(DISK), share, SHARE_TAG);
        BuildConsole console = new BuildConsole(buildLog, plan.required().size(), plan.system().size(), progress);
        int status;
        try (console) {
            status = guest.run(s, console, QUIET_LIMIT);
        }
        if (!console.done()) {
            String stopped = status == BuildGuest.SILENT ? " (its console was silent for " + QUIET_LIMIT.toMinutes()
                    + " minutes, so the build machine was stopped)"
                    : status != 0 ? " (the build machine stopped with status " + status + ")" : "";
            throw new ImageException("building the " + spec.name() + " image failed " + console.failure() + stopped
                    + "; the guest's console is in " + buildLog);
        }
    }

    private void recordProperties(Plan plan, Path dir) throws IOException {
        Path file = dir.resolve(CachedImage.PROPERTIES);
        Properties p = new Properties();
        try (var in = Files.newInputStream(file)) {
            p.load(in);
        }
        p.setProperty("cmdline", "console=ttyS0 root=/dev/vda ro");
        p.setProperty("disk", DISK);
        p.setProperty("disk.size", Long.toString(spec.rootfs().diskBytes()));
        p.setProperty("memory", Long.toString(spec.rootfs().memoryBytes()));
        p.setProperty("packages", Integer.toString(plan.system().size()));
        try (OutputStream out = Files.newOutputStream(file)) {
            p.store(out, "jvisor image: " + spec.summary());
        }
    }

    private static List<String> fileNames(List<PackageIndex.Package> packages) {
        return packages.stream().map(PackageIndex.Package::fileName).toList();
    }

    /**
     * The build guest's console: kept whole in the build log; its step lines and dpkg's drive
     * the progress bars; the failed step and dpkg's last error make the message of a failure.
     */
    static final class BuildConsole extends OutputStream {
        private static final Pattern STEP = Pattern.compile("@jvisor (\\S+)(?: (.*))?");
        private static final Pattern DPKG_ERROR = Pattern.compile("(?:dpkg: error processing .*|E: .*|.*: No space left on device.*)");

        private final OutputStream file;
        private final int required, all;
        private final PrintStream out;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream();
        private Progress bar;
        private int configured;
        private boolean done, errorContinues;
        private String failedStep, lastError;

        BuildConsole(Path log, int required, int all, PrintStream out) throws IOException {
            this.file = new java.io.BufferedOutputStream(Files.newOutputStream(log));
            this.required = required;
            this.all = all;
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            file.write(b);
            if (b == '\n') {
                file.flush(); // someone may be watching the log
                line(line.toString(StandardCharsets.UTF_8).replaceAll("\u001b\\[[0-9;]*m", "").stripTrailing());
                line.reset();
            } else if (line.size() < 4096) {
                line.write(b);
            }
        }

        private void line(String raw) {
            String s = raw.strip();
            if (errorContinues && raw.startsWith(" ") && !s.isEmpty()) {
                lastError += " " + s; // dpkg gives the reason on the next, indented line
                errorContinues = false;
                return;
            }
            errorContinues = false;
            Matcher m = STEP.matcher(s);
            if (m.matches()) {
                switch (m.group(1)) {
                    case "extracted" -> { if (bar != null) bar.set(Long.parseLong(m.group(2))); }
                    case "done" -> { done = true; finishBar(); }
                    case "failed" -> failedStep = m.group(2);
                    case "extract" -> newBar("unpacking the system", required);
                    case "core" -> newBar("installing packages", all);
                    case "tools", "mkfs", "prepare" -> { }
                    default -> { if (bar == null) newBar("installing packages", all); }
                }
            } else if (s.startsWith("Setting up ")) {
                configured++;
                if (bar != null) bar.set(configured);
            } else if (DPKG_ERROR.matcher(s).matches()) {
                lastError = s;
                errorContinues = s.endsWith(":");
            }
        }

        private void newBar(String label, long total) {
            finishBar();
            bar = new Progress(out, label, total, "packages");
        }

        private void finishBar() {
            if (bar != null) bar.close();
            bar = null;
        }

        boolean done() { return done; }

        /** Where it failed, for the error message. */
        String failure() {
            String where = failedStep != null ? "at step '" + failedStep + "'" : "before it finished";
            return where + (lastError != null ? " (" + lastError + ")" : "");
        }

        @Override
        public void close() throws IOException {
            finishBar();
            file.close();
        }
    }
}
