package jvisor.images;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Obtains catalog images: asks the mirror which package versions are current (through the signed
 * InRelease and the Packages index it vouches for), reuses the cached image built from exactly
 * those versions, or downloads and builds it. When the mirror cannot be reached, {@link #obtain}
 * falls back to the newest cached image and says so.
 */
public final class Images {
    public static final String DEFAULT_MIRROR = "http://deb.debian.org/debian";
    public static final String MIRROR_ENV = "JVISOR_MIRROR";

    private final ImageCache cache;
    private final String mirror;
    private final PrintStream log;
    private final PrintStream progress;
    private final List<Path> keyrings;
    private BuildGuest buildGuest;

    /**
     * {@code log} takes one-line notices (stderr); {@code progress} takes progress bars or is
     * null for none; {@code keyrings} are tried in order for the archive's signing keys.
     */
    public Images(ImageCache cache, String mirror, PrintStream log, PrintStream progress, List<Path> keyrings) {
        this.cache = cache;
        this.mirror = mirror.endsWith("/") ? mirror.substring(0, mirror.length() - 1) : mirror;
        this.log = log;
        this.progress = progress;
        this.keyrings = keyrings;
    }

    /** For the command line: the mirror from the option, else {@code $JVISOR_MIRROR}, else Debian's. */
    public static Images forUser(Path cacheRoot, String mirrorOption, Map<String, String> env) {
        String mirror = mirrorOption != null ? mirrorOption : env.getOrDefault(MIRROR_ENV, DEFAULT_MIRROR);
        Path root = cacheRoot != null ? cacheRoot : ImageCache.defaultRoot(env);
        return new Images(new ImageCache(root), mirror, System.err, Progress.stderrIfTerminal(),
                SignatureCheck.DEFAULT_KEYRINGS);
    }

    public ImageCache cache() { return cache; }

    /** Lets this build system images ({@link ImageSpec#rootfs}), which needs a virtual machine. */
    public Images withBuildGuest(BuildGuest guest) {
        this.buildGuest = guest;
        return this;
    }

    /**
     * The current image called {@code name}, built if need be; a cached one if the mirror is
     * unreachable. Besides the catalog's names, {@value TestGuestBuild#NAME} is the guest of
     * jvisor's whole-system tests ({@link TestGuestBuild}).
     */
    public CachedImage obtain(String name) throws IOException {
        boolean testGuest = name.equals(TestGuestBuild.NAME);
        if (!testGuest && ImageSpec.named(name).rootfs() != null) {
            // building a system takes many minutes: a cached one serves until 'jvisor images pull'
            Optional<CachedImage> cached = cache.newest(name);
            if (cached.isPresent()) return cached.get();
        }
        try {
            return pull(name);
        } catch (ImageException.Unreachable e) {
            Optional<CachedImage> cached = cache.newest(name);
            if (cached.isEmpty()) throw e;
            log.println("jvisor: " + e.getMessage().replaceFirst(";.*", "") + "; using the cached " + name
                    + " image (" + cached.get().versions() + ")");
            return cached.get();
        }
    }

    /** Brings the cache up to date with the mirror for {@code name}, without an offline fallback. */
    public CachedImage pull(String name) throws IOException {
        if (name.equals(TestGuestBuild.NAME)) return locked(cache.root(), this::pullTestGuest);
        ImageSpec spec = ImageSpec.named(name);
        if (spec.rootfs() != null) return pullSystem(spec);
        return locked(cache.root(), () -> pullLocked(spec));
    }

    @FunctionalInterface
    private interface Pull<T> { T run() throws IOException; }

    /**
     * Runs {@code pull} holding {@code dir}'s lock, across processes. One jvisor at a time updates
     * the cache (its root's lock: two would write the same downloads), and one builds a given
     * system image (that image's directory's lock).
     */
    private <T> T locked(Path dir, Pull<T> pull) throws IOException {
        Files.createDirectories(dir);
        try (FileChannel lock = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock held = lock.tryLock();
            if (held == null) {
                log.println("jvisor: waiting for another jvisor to finish with " + dir);
                held = lock.lock();
            }
            try {
                return pull.run();
            } finally {
                held.release();
            }
        }
    }

    private CachedImage pullLocked(ImageSpec spec) throws IOException {
        checkMirror();
        Downloader http = new Downloader(mirror, progress);
        ChosenPackages pkgs = resolve(spec, http);
        String key = ImageCache.key(pkgs.kernel().version(), pkgs.busybox().version(), pkgs.firmware().version(),
                ImageBuilder.recipe(spec));
        Optional<CachedImage> cached = cache.find(spec.name(), key);
        if (cached.isPresent()) return cached.get();

        List<Path> debs = new ArrayList<>();
        for (PackageIndex.Package p : pkgs.all()) {
            Path deb = cache.downloads().resolve(p.fileName());
            http.fetch(URI.create(mirror + "/" + p.filename()), deb, p.sha256(), p.size(), p.name());
            debs.add(deb);
        }
        Path staging = cache.staging(spec.name());
        try {
            new ImageBuilder(log, progress).build(spec, pkgs, debs, staging, mirror);
            CachedImage image = cache.commit(spec.name(), key, staging);
            for (Path d : debs) Files.deleteIfExists(d); // the image holds what we need from them
            removeSuperseded(image);
            return image;
        } finally {
            ImageCache.deleteTree(staging);
        }
    }

    /**
     * A system image: the packages the index now names, resolved; the cached image built from
     * exactly those, or a new build. The cache's lock is held while the index is read and the
     * packages downloaded and linked into the build's own directory; the build, minutes in a VM,
     * holds only this image's lock, so the other images stay usable meanwhile. Older builds stay
     * (users' disks are overlays on them) until 'jvisor images rm'.
     */
    private CachedImage pullSystem(ImageSpec spec) throws IOException {
        checkMirror();
        return locked(cache.root().resolve(spec.name()), () -> {
            SystemPull p = locked(cache.root(), () -> prepareSystem(spec));
            if (p.cached() != null) return p.cached();
            Path staging = cache.staging(spec.name());
            Path buildLog = cache.root().resolve(spec.name() + "-build.log");
            try {
                long start = System.nanoTime();
                new SystemBuild(spec, mirror, log, progress, buildGuest).build(p.plan(), p.debs(), staging, buildLog);
                CachedImage image = locked(cache.root(), () -> {
                    for (PackageIndex.Package d : p.plan().downloads()) {
                        Files.deleteIfExists(cache.downloads().resolve(d.fileName())); // the image holds them now
                    }
                    return cache.commit(spec.name(), p.key(), staging);
                });
                log.printf("jvisor: built %s in %d s: %d packages, %s%n", spec.name(), (System.nanoTime() - start) / 1_000_000_000L,
                        p.plan().system().size(), image.dir());
                return image;
            } catch (IOException e) {
                throw buildFailure(spec, e);
            } finally {
                ImageCache.deleteTree(staging);
                ImageCache.deleteTree(p.debs().getFirst().getParent());
            }
        });
    }

    /** Room a system build needs in the cache: the uncompressed packages, the disk, the downloads. */
    private static final long SYSTEM_BUILD_ROOM = 2L << 30;

    /**
     * A failed system build, told with the cache's free space when that is short: a full host
     * disk shows first as whatever failed to write, on the host or (as I/O errors) in the guest.
     */
    private ImageException buildFailure(ImageSpec spec, IOException e) {
        long free;
        try {
            free = Files.getFileStore(cache.root()).getUsableSpace();
        } catch (IOException unknown) {
            free = Long.MAX_VALUE;
        }
        String room = free < SYSTEM_BUILD_ROOM ? "; only " + (free >> 20) + " MiB are free in " + cache.root()
                + ", and a build needs about " + (SYSTEM_BUILD_ROOM >> 30) + " GiB: free some space and run it again" : "";
        if (e instanceof ImageException known) return room.isEmpty() ? known : new ImageException(known.getMessage() + room, e);
        return new ImageException("building the " + spec.name() + " image in " + cache.root() + " failed: " + e.getMessage() + room, e);
    }

    /** What a system build starts from: the cached image if there is one, else the plan and its packages. */
    private record SystemPull(CachedImage cached, SystemBuild.Plan plan, String key, List<Path> debs) {}

    private SystemPull prepareSystem(ImageSpec spec) throws IOException {
        Downloader quiet = new Downloader(mirror, null);
        VerifiedIndex index = verifiedIndex(spec, quiet);
        PackageIndex packages = index.fetch();
        SystemBuild.Plan plan = SystemBuild.plan(spec, packages, index.name(), choose(spec, packages, index.name()));
        String key = plan.key(ImageBuilder.recipe(spec) + SystemBuild.LAYOUT + SystemScript.build(mirror, spec.suite()));
        Optional<CachedImage> cached = cache.find(spec.name(), key);
        if (cached.isPresent()) return new SystemPull(cached.get(), plan, key, List.of());
        if (buildGuest == null) throw new ImageException("the " + spec.name() + " image is built in a virtual machine, "
                + "which this command cannot run; build it with 'jvisor images pull " + spec.name() + "'");
        List<Path> shared = fetchAll(plan.downloads(), quiet);
        // links of its own: another image's build may delete the shared downloads meanwhile
        try (DirectoryStream<Path> old = Files.newDirectoryStream(cache.root().resolve(spec.name()), ".debs-*")) {
            for (Path o : old) ImageCache.deleteTree(o); // an interrupted build's (this image's lock is held)
        }
        Path own = Files.createTempDirectory(cache.root().resolve(spec.name()), ".debs-");
        List<Path> debs = new ArrayList<>();
        for (Path d : shared) {
            Path link = own.resolve(d.getFileName());
            try {
                Files.createLink(link, d);
            } catch (IOException | UnsupportedOperationException e) {
                Files.copy(d, link);
            }
            debs.add(link);
        }
        return new SystemPull(null, plan, key, debs);
    }

    /**
     * The test guest: its packages as the index now names them (the choice remembered under the
     * index's SHA256), the cached guest built from exactly those, or a new build.
     */
    private CachedImage pullTestGuest() throws IOException {
        checkMirror();
        Downloader quiet = new Downloader(mirror, null);
        VerifiedIndex index = verifiedIndex(ImageSpec.DEBIAN, quiet);
        Path remembered = cache.downloads().resolve(TestGuestBuild.NAME + "-" + index.sha256() + ".plan");
        TestGuestPlan plan = TestGuestPlan.load(remembered);
        if (plan == null) {
            plan = TestGuestPlan.choose(index.fetch(), index.name());
            forget(TestGuestBuild.NAME + "-*.plan");
            plan.save(remembered);
        }
        String key = plan.key(TestGuestBuild.recipe());
        Optional<CachedImage> cached = cache.find(TestGuestBuild.NAME, key);
        if (cached.isPresent()) return cached.get();

        log.println("jvisor: building the test guest (linux " + plan.kernel().version() + ", " + plan.all().size()
                + " packages) in " + cache.root());
        long start = System.nanoTime();
        List<Path> debs = fetchAll(plan.all(), quiet);
        Map<PackageIndex.Package, Path> byPackage = new HashMap<>();
        for (int i = 0; i < debs.size(); i++) byPackage.put(plan.all().get(i), debs.get(i));
        Path staging = cache.staging(TestGuestBuild.NAME);
        try {
            long total = plan.all().stream().mapToLong(PackageIndex.Package::size).sum();
            try (Progress bar = new Progress(progress, "building the test guest", total)) {
                new TestGuestBuild(bar).build(plan, byPackage, staging, mirror);
            }
            CachedImage image = cache.commit(TestGuestBuild.NAME, key, staging);
            for (Path d : debs) Files.deleteIfExists(d);
            removeSuperseded(image);
            log.printf("jvisor: built the test guest in %d s: %s%n", (System.nanoTime() - start) / 1_000_000_000L,
                    image.dir());
            return image;
        } finally {
            ImageCache.deleteTree(staging);
        }
    }

    /** Downloads and verifies {@code packages} into the cache's downloads, under one progress bar. */
    private List<Path> fetchAll(List<PackageIndex.Package> packages, Downloader quiet) throws IOException {
        List<Path> debs = new ArrayList<>();
        long total = packages.stream().mapToLong(PackageIndex.Package::size).sum();
        try (Progress bar = new Progress(progress, "downloading " + packages.size() + " packages", total)) {
            for (PackageIndex.Package p : packages) {
                Path deb = cache.downloads().resolve(p.fileName());
                quiet.fetch(URI.create(mirror + "/" + p.filename()), deb, p.sha256(), p.size(), p.name());
                debs.add(deb);
                bar.advance(p.size());
            }
        }
        return debs;
    }

    /** A cache keeps the current build of an initramfs image only. */
    private void removeSuperseded(CachedImage current) throws IOException {
        for (CachedImage old : cache.list()) {
            if (old.name().equals(current.name()) && !old.key().equals(current.key())) {
                cache.remove(old.name() + "/" + old.key());
            }
        }
    }

    /** Deletes remembered choices matching {@code glob}: they were made from an index that is gone. */
    private void forget(String glob) throws IOException {
        try (DirectoryStream<Path> old = Files.newDirectoryStream(cache.downloads(), glob)) {
            for (Path f : old) Files.delete(f);
        }
    }

    private void checkMirror() throws ImageException {
        try {
            URI u = new URI(mirror + "/");
            if (("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null) return;
        } catch (java.net.URISyntaxException e) {
            // reported below
        }
        throw new ImageException("the mirror '" + mirror + "' is not an http:// or https:// URL (e.g. "
                + DEFAULT_MIRROR + "); fix --mirror or JVISOR_MIRROR");
    }

    /** Finds the packages of {@code spec} in the mirror's current, verified index. */
    private ChosenPackages resolve(ImageSpec spec, Downloader http) throws IOException {
        VerifiedIndex index = verifiedIndex(spec, http);
        Path remembered = cache.downloads().resolve(spec.name() + "-" + index.sha256() + ".properties");
        ChosenPackages known = ChosenPackages.load(remembered);
        if (known != null) return known;

        ChosenPackages found = choose(spec, index.fetch(), index.name());
        forget(spec.name() + "-*.properties");
        found.save(remembered);
        return found;
    }

    private static ChosenPackages choose(ImageSpec spec, PackageIndex packages, String indexName) throws ImageException {
        return new ChosenPackages(packages.resolve(spec.kernelMeta(), spec.kernelPackage(), indexName),
                packages.get(spec.busyboxPackage(), indexName), packages.get(spec.firmwarePackage(), indexName));
    }

    /**
     * The suite's Packages index as the signed InRelease vouches for it: its URL and SHA256 now,
     * the index itself on {@link #fetch}.
     */
    private record VerifiedIndex(String name, String sha256, IndexFetch fetcher) {
        PackageIndex fetch() throws IOException { return fetcher.fetch(); }
    }

    @FunctionalInterface
    private interface IndexFetch { PackageIndex fetch() throws IOException; }

    private VerifiedIndex verifiedIndex(ImageSpec spec, Downloader http) throws IOException {
        String dists = mirror + "/dists/" + spec.suite() + "/";
        String inReleaseName = dists + "InRelease";
        ClearSigned signed = ClearSigned.parse(http.get(URI.create(inReleaseName)), inReleaseName);
        Path keyring = SignatureCheck.findKeyring(keyrings);
        if (keyring != null) {
            SignatureCheck.verify(signed, keyring, inReleaseName);
        } else {
            log.println("jvisor: could not verify the signature of " + inReleaseName + ": no Debian keyring"
                    + (keyrings.isEmpty() ? "" : " at " + keyrings.getFirst())
                    + " (install debian-archive-keyring); checksums are still checked against it");
        }
        ReleaseIndex release = ReleaseIndex.parse(signed.text(), inReleaseName);
        if (!spec.suite().equals(release.codename()) && !spec.suite().equals(release.suite())) {
            throw new ImageException(inReleaseName + " is for '" + release.codename() + "', not " + spec.suite()
                    + "; the mirror " + mirror + " is misconfigured");
        }
        String indexPath = release.firstListed(spec.packagesIndexCandidates());
        if (indexPath == null) {
            throw new ImageException(inReleaseName + " lists no " + spec.packagesIndexCandidates().getLast()
                    + "; does the mirror " + mirror + " carry " + spec.architecture() + "?");
        }
        ReleaseIndex.FileSum sum = release.sha256().get(indexPath);
        String name = dists + indexPath;
        return new VerifiedIndex(name, sum.sha256(), () -> {
            Path index = cache.downloads().resolve(spec.suite() + "_" + indexPath.replace('/', '_'));
            http.fetch(URI.create(name), index, sum.sha256(), sum.size(), "Packages index");
            try (Reader r = new InputStreamReader(decompress(index, indexPath), StandardCharsets.UTF_8)) {
                return PackageIndex.parse(r, name);
            } finally {
                Files.delete(index); // what matters from it is kept by the caller
            }
        });
    }

    private static InputStream decompress(Path file, String name) throws IOException {
        InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16);
        if (name.endsWith(".xz")) return new XZInputStream(in);
        if (name.endsWith(".gz")) return new GZIPInputStream(in, 1 << 16);
        return in;
    }
}
