package jvisor.images;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * A built image in the cache: a directory holding the kernel, the initramfs, the firmware and
 * {@code image.properties}, which records the package versions it was built from.
 */
public record CachedImage(String name, String key, Path dir, Properties properties) {
    static final String PROPERTIES = "image.properties";
    static final String KERNEL = "Image", INITRD = "initrd.gz", FIRMWARE = "fw_dynamic.bin";

    public Path kernel() { return dir.resolve(KERNEL); }
    public Path initrd() { return dir.resolve(INITRD); }

    /** OpenSBI fw_dynamic.bin for booting through firmware, or null if the image has none. */
    public Path firmware() {
        Path f = dir.resolve(FIRMWARE);
        return Files.isRegularFile(f) ? f : null;
    }

    /** A system image's disk (the base of users' overlays), or null for an initramfs image. */
    public Path disk() {
        String d = properties.getProperty("disk");
        return d == null ? null : dir.resolve(d);
    }

    /** Guest RAM the image wants when the user gives none, or 0 for jvisor's default. */
    public long memory() { return Long.parseLong(properties.getProperty("memory", "0")); }

    public String property(String key) { return properties.getProperty(key, "?"); }

    /** The kernel command line the image boots with when the user adds nothing. */
    public String cmdline() { return properties.getProperty("cmdline", "console=ttyS0"); }

    /** One line for listings and messages: what it was built from. */
    public String versions() {
        return "linux " + property("kernel.version") + (disk() != null ? ", " + property("packages") + " packages" : "")
                + ", busybox " + property("busybox.version")
                + (firmware() != null ? ", opensbi " + property("firmware.version") : "");
    }

    /** Bytes on disk. */
    public long size() {
        try (Stream<Path> files = Files.list(dir)) {
            return files.mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            return 0;
        }
    }
}
