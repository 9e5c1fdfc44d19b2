package jvisor.images;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

/**
 * The image cache: {@code ROOT/NAME/KEY/} per built image, where KEY is made of the package
 * versions, and {@code ROOT/downloads/} for verified downloads on their way into an image. An
 * image directory appears by an atomic rename of a finished staging directory, so a listed image
 * is always whole.
 */
public final class ImageCache {
    private static final String STAGING_PREFIX = ".staging-";

    private final Path root;

    public ImageCache(Path root) { this.root = root; }

    /** {@code $XDG_CACHE_HOME/jvisor/images}, or {@code ~/.cache/jvisor/images} (XDG base directories). */
    public static Path defaultRoot(Map<String, String> env) {
        String xdg = env.get("XDG_CACHE_HOME");
        Path base = xdg != null && Path.of(xdg).isAbsolute() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("jvisor").resolve("images");
    }

    public Path root() { return root; }

    Path downloads() { return root.resolve("downloads"); }

    /** Every whole image, by name, newest first within a name. */
    public List<CachedImage> list() throws IOException {
        List<CachedImage> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        try (DirectoryStream<Path> names = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path n : names) {
                String name = n.getFileName().toString();
                if (name.equals("downloads")) continue;
                try (DirectoryStream<Path> keys = Files.newDirectoryStream(n, Files::isDirectory)) {
                    for (Path k : keys) {
                        if (k.getFileName().toString().startsWith(STAGING_PREFIX)) continue;
                        CachedImage img = load(name, k);
                        if (img != null) out.add(img);
                    }
                }
            }
        }
        out.sort(Comparator.comparing(CachedImage::name).thenComparing(
                (CachedImage i) -> i.property("built"), Comparator.reverseOrder()));
        return out;
    }

    Optional<CachedImage> find(String name, String key) {
        return Optional.ofNullable(load(name, root.resolve(name).resolve(key)));
    }

    /** The most recently built image called {@code name}. */
    public Optional<CachedImage> newest(String name) throws IOException {
        return list().stream().filter(i -> i.name().equals(name)).findFirst();
    }

    /** The image {@code name} built in {@code dir}, or null if there is none there. */
    static CachedImage at(String name, Path dir) { return dir == null ? null : load(name, dir); }

    private static CachedImage load(String name, Path dir) {
        Path props = dir.resolve(CachedImage.PROPERTIES);
        if (!Files.isRegularFile(props)) return null;
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(props)) {
            p.load(in);
        } catch (IOException e) {
            return null;
        }
        return new CachedImage(name, dir.getFileName().toString(), dir, p);
    }

    /** A fresh, empty directory to build an image in; leftovers of interrupted builds are removed. */
    Path staging(String name) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, STAGING_PREFIX + "*")) {
            for (Path p : old) deleteTree(p);
        }
        return Files.createTempDirectory(dir, STAGING_PREFIX);
    }

    /** Moves a finished staging directory into place as {@code NAME/KEY}. */
    CachedImage commit(String name, String key, Path staging) throws IOException {
        Path target = root.resolve(name).resolve(key);
        if (Files.exists(target)) deleteTree(target);
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        return load(name, target);
    }

    /**
     * Removes the images called {@code name} (all versions), or the one given as {@code NAME/KEY};
     * returns what was removed.
     */
    public List<CachedImage> remove(String name) throws IOException {
        List<CachedImage> gone = new ArrayList<>();
        for (CachedImage i : list()) {
            if (name.equals(i.name()) || name.equals(i.name() + "/" + i.key())) {
                deleteTree(i.dir());
                gone.add(i);
            }
        }
        Path dir = root.resolve(name);
        if (!gone.isEmpty() && Files.isDirectory(dir) && !name.contains("/")) deleteTree(dir);
        return gone;
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * The key of an image made of many packages: the kernel's version (readable), then every
     * package version and the recipe, hashed ("6.12.117-1_17c023cab072").
     */
    static String key(PackageIndex.Package kernel, List<PackageIndex.Package> packages, String recipe) {
        StringBuilder all = new StringBuilder(recipe);
        for (PackageIndex.Package p : packages) all.append('\n').append(p.name()).append('=').append(p.version());
        return key(kernel.version(), Downloader.sha256(all.toString().getBytes(StandardCharsets.UTF_8)).substring(0, 12));
    }

    /** A cache key from versions: file-name safe, readable ("6.12.117-1_1%3a1.37.0-6+b9_1.6-1"). */
    static String key(String... versions) {
        return String.join("_", versions).replace(":", "%3a").replace("/", "%2f");
    }
}
