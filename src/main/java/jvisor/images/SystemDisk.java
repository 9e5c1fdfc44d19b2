package jvisor.images;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jvisor.storage.Qcow2Image;

/**
 * A user's persistent disk for a system image: a qcow2 overlay over the image's cached
 * {@code disk.qcow2}, in {@code $XDG_DATA_HOME/jvisor/disks/NAME.qcow2}, so the user's changes
 * outlive runs while the image stays as built. Beside it the seed share ({@code NAME.seed/}),
 * which carries the user's ssh public keys into the guest at each boot.
 */
public final class SystemDisk {
    /** The 9p tag of the seed share; the image's jvisor-seed.service mounts it ({@link SystemScript}). */
    public static final String SEED_TAG = "jvisor-seed";
    /** On the kernel command line when a seed share is attached. */
    public static final String SEED_PARAMETER = "jvisor.seed";

    private SystemDisk() {}

    /** {@code $XDG_DATA_HOME/jvisor/disks}, or {@code ~/.local/share/jvisor/disks}. */
    public static Path directory(Map<String, String> env) {
        String xdg = env.get("XDG_DATA_HOME");
        Path base = xdg != null && Path.of(xdg).isAbsolute() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("jvisor").resolve("disks");
    }

    public static Path path(Path directory, String image) { return directory.resolve(image + ".qcow2"); }

    /**
     * The image an existing {@code disk} was made over, which it must boot with: another build's
     * kernel would not find its modules on the disk. {@code newest} when the disk is absent or
     * over it; an error naming --fresh when its image is no longer cached.
     */
    public static CachedImage imageOf(Path disk, CachedImage newest) throws IOException {
        if (!Files.exists(disk)) return newest;
        String backing = Qcow2Image.backingFile(disk);
        if (backing == null) throw new ImageException(disk + " is not an overlay of a " + newest.name() + " image; move it away or use --fresh");
        Path base = Path.of(backing);
        if (newest.disk() != null && Files.exists(base) && Files.isSameFile(base, newest.disk())) return newest;
        CachedImage built = ImageCache.at(newest.name(), base.getParent());
        if (built == null) {
            throw new ImageException(disk + " was made over a " + newest.name() + " image that is no longer cached (" + backing
                    + "); --fresh starts a new disk over the current image (the files on the old one are lost)");
        }
        return built;
    }

    /**
     * Makes {@code disk} ready to boot {@code image}: created over the image's disk when absent or
     * {@code fresh}, grown to {@code size} bytes when that is larger (the guest grows its
     * filesystem at boot); {@code size} 0 keeps the size it has.
     */
    public static void prepare(CachedImage image, Path disk, long size, boolean fresh) throws IOException {
        Path base = image.disk();
        if (base == null) throw new ImageException("image " + image.name() + " has no disk; it boots from its initramfs");
        long baseSize = Qcow2Image.size(base);
        if (size != 0 && size < baseSize) {
            throw new ImageException("--disk-size " + size + " is smaller than the image's filesystem (" + baseSize
                    + " bytes); give at least " + (baseSize >> 30) + "G");
        }
        Files.createDirectories(disk.getParent());
        if (fresh || !Files.exists(disk)) {
            Qcow2Image.create(disk, Math.max(size, baseSize), base.toAbsolutePath(), "qcow2");
        } else if (size > Qcow2Image.size(disk)) {
            Qcow2Image.grow(disk, size);
        }
    }

    /**
     * Fills the seed share of {@code disk} with {@code keys} (public key files) as root's
     * authorized_keys, and returns its directory.
     */
    public static Path seed(Path disk, List<Path> keys) throws IOException {
        Path dir = disk.resolveSibling(disk.getFileName().toString().replaceFirst("\\.qcow2$", "") + ".seed");
        Files.createDirectories(dir);
        StringBuilder authorized = new StringBuilder();
        for (Path k : keys) {
            String key;
            try {
                key = Files.readString(k).strip();
            } catch (IOException e) {
                throw new ImageException("--ssh-key " + k + ": cannot read it (" + e.getMessage() + ")");
            }
            if (!key.matches("(?s)(ssh-|ecdsa-|sk-)\\S+ \\S+.*")) {
                throw new ImageException("--ssh-key " + k + " is not an OpenSSH public key (ssh-ed25519 AAAA...); give the .pub file");
            }
            authorized.append(key).append('\n');
        }
        Files.writeString(dir.resolve("authorized_keys"), authorized);
        return dir;
    }

    /** The user's public keys in {@code ~/.ssh} (id_*.pub), for when no --ssh-key is given. */
    public static List<Path> defaultKeys() throws IOException {
        List<Path> keys = new ArrayList<>();
        Path ssh = Path.of(System.getProperty("user.home"), ".ssh");
        if (!Files.isDirectory(ssh)) return keys;
        try (DirectoryStream<Path> found = Files.newDirectoryStream(ssh, "id_*.pub")) {
            for (Path k : found) keys.add(k);
        }
        keys.sort((a, b) -> a.toString().toLowerCase(Locale.ROOT).compareTo(b.toString().toLowerCase(Locale.ROOT)));
        return keys;
    }
}
