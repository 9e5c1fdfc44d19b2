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

    /** The current image called {@code name}, built if need be; a cached one if the mirror is unreachable. */
    public CachedImage obtain(String name) throws IOException {
        ImageSpec spec = ImageSpec.named(name);
        if (spec.rootfs() != null) {
            // building a system takes many minutes: a cached one serves until 'jvisor images pull'
            Optional<CachedImage> cached = cache.newest(spec.name());
            if (cached.isPresent()) return cached.get();
        }
        try {
            return pull(spec);
        } catch (ImageException.Unreachable e) {
            Optional<CachedImage> cached = cache.newest(spec.name());
            if (cached.isEmpty()) throw e;
            log.println("jvisor: " + e.getMessage().replaceFirst(";.*", "") + "; using the cached " + spec.name()
                    + " image (" + cached.get().versions() + ")");
            return cached.get();
        }
    }

    /** Brings the cache up to date with the mirror for {@code name}, without an offline fallback. */
    public CachedImage pull(String name) throws IOException {
        return pull(ImageSpec.named(name));
    }

    /** One jvisor at a time updates the cache: two would write the same downloads. */
    private CachedImage pull(ImageSpec spec) throws IOException {
        Files.createDirectories(cache.root());
        try (FileChannel lock = FileChannel.open(cache.root().resolve(".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            FileLock held = lock.tryLock();
            if (held == null) {
                log.println("jvisor: waiting for another jvisor to finish with " + cache.root());
                held = lock.lock();
            }
            try {
                return pullLocked(spec);
            } finally {
                held.release();
            }
        }
    }

    private CachedImage pullLocked(ImageSpec spec) throws IOException {
        checkMirror();
        Downloader http = new Downloader(mirror, progress);
        if (spec.rootfs() != null) return pullSystem(spec);
        ChosenPackages pkgs = resolve(spec, http);
        String key = ImageCache.key(pkgs.kernel().version(), pkgs.busybox().version(), pkgs.firmware().version(),
                ImageBuilder.recipe(spec));
        Optional<CachedImage> cached = cache.find(spec.name(), key);
        if (cached.isPresent()) return cached.get();

        List<Path> debs = new ArrayList<>();
        for (PackageIndex.Package p : pkgs.all()) {
            Path deb = cache.downloads().resolve(p.filename().substring(p.filename().lastIndexOf('/') + 1));
            http.fetch(URI.create(mirror + "/" + p.filename()), deb, p.sha256(), p.size(), p.name());
            debs.add(deb);
        }
        Path staging = cache.staging(spec.name());
        try {
            new ImageBuilder(log, progress).build(spec, pkgs, debs, staging, mirror);
            CachedImage image = cache.commit(spec.name(), key, staging);
            for (Path d : debs) Files.deleteIfExists(d); // the image holds what we need from them
            for (CachedImage old : cache.list()) { // superseded: a cache keeps the current image only
                if (old.name().equals(spec.name()) && !old.key().equals(key)) {
                    cache.remove(old.name() + "/" + old.key());
                }
            }
            return image;
        } finally {
            ImageCache.deleteTree(staging);
        }
    }

    /**
     * A system image: the packages the index now names, resolved; the cached image built from
     * exactly those, or a new build. Older builds stay (users' disks are overlays on them) until
     * 'jvisor images rm'.
     */
    private CachedImage pullSystem(ImageSpec spec) throws IOException {
        Downloader quiet = new Downloader(mirror, null);
        VerifiedIndex index = verifiedIndex(spec, quiet);
        PackageIndex packages = index.fetch();
        SystemBuild.Plan plan = SystemBuild.plan(spec, packages, index.name(), choose(spec, packages, index.name()));
        String key = plan.key(ImageBuilder.recipe(spec) + SystemScript.build(mirror, spec.suite()));
        Optional<CachedImage> cached = cache.find(spec.name(), key);
        if (cached.isPresent()) return cached.get();
        if (buildGuest == null) throw new ImageException("the " + spec.name() + " image is built in a virtual machine, "
                + "which this command cannot run; build it with 'jvisor images pull " + spec.name() + "'");

        List<PackageIndex.Package> downloads = plan.downloads();
        List<Path> debs = new ArrayList<>();
        long total = downloads.stream().mapToLong(PackageIndex.Package::size).sum();
        try (Progress bar = new Progress(progress, "downloading " + downloads.size() + " packages", total)) {
            for (PackageIndex.Package p : downloads) {
                Path deb = cache.downloads().resolve(SystemBuild.fileName(p));
                quiet.fetch(URI.create(mirror + "/" + p.filename()), deb, p.sha256(), p.size(), p.name());
                debs.add(deb);
                bar.advance(p.size());
            }
        }
        Path staging = cache.staging(spec.name());
        Path buildLog = cache.root().resolve(spec.name() + "-build.log");
        try {
            long start = System.nanoTime();
            new SystemBuild(spec, mirror, log, progress, buildGuest).build(plan, debs, staging, buildLog);
            CachedImage image = cache.commit(spec.name(), key, staging);
            for (Path d : debs) Files.deleteIfExists(d);
            log.printf("jvisor: built %s in %d s: %d packages, %s%n", spec.name(), (System.nanoTime() - start) / 1_000_000_000L,
                    plan.system().size(), image.dir());
            return image;
        } finally {
            ImageCache.deleteTree(staging);
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
        try (DirectoryStream<Path> old = Files.newDirectoryStream(cache.downloads(), spec.name() + "-*.properties")) {
            for (Path f : old) Files.delete(f); // chosen from an index that is gone
        }
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
