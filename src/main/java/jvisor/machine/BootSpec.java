package jvisor.machine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import jvisor.images.CachedImage;
import jvisor.images.ImageSpec;

/**
 * What a VM boots, as the user said it: a catalog image, or a kernel with an optional initrd,
 * a command line and a firmware choice. {@code jvisor run} and the host daemon both turn it into
 * a {@link Boot} here, so a definition means the same thing in both.
 *
 * @param image  a catalog image name (see {@code jvisor images}), or null
 * @param kernel a Linux Image or ELF file, or null with {@code image}
 * @param initrd an initial ramdisk; with {@code image}, replaces the image's
 * @param append kernel command line; with {@code image}, added to the image's
 * @param bios   builtin, none, opensbi (with {@code image}) or a firmware file
 */
public record BootSpec(String image, Path kernel, Path initrd, String append, String bios) {
    /** A boot input the user must fix: {@code field} is the option it came from ("kernel", "bios"...). */
    public static final class Invalid extends IllegalArgumentException {
        private final String field;

        public Invalid(String field, String message) {
            super(message);
            this.field = field;
        }

        public String field() { return field; }
    }

    /** Where catalog images come from: the CLI pulls or updates them, the daemon prefers its cache. */
    @FunctionalInterface
    public interface ImageSource {
        CachedImage image(String name) throws IOException;
    }

    public BootSpec {
        append = append == null ? "" : append;
        bios = bios == null || bios.isBlank() ? "builtin" : bios;
    }

    /**
     * Checks what can be checked without reading or fetching anything: one of image and kernel,
     * a known image name, readable files. Throws {@link Invalid}.
     */
    public void check() {
        if ((image == null) == (kernel == null)) {
            throw new Invalid(image == null ? "kernel" : "image", image == null
                    ? "give an IMAGE to boot (e.g. 'jvisor run debian') or --kernel FILE"
                    : "give IMAGE or --kernel, not both");
        }
        if (image != null) {
            try {
                ImageSpec.named(image);
            } catch (IOException e) {
                throw new Invalid("image", e.getMessage());
            }
        }
        if (kernel != null) readable(kernel, "kernel");
        if (initrd != null) readable(initrd, "initrd");
        switch (bios) {
            case "builtin", "none" -> { }
            default -> {
                if (!(bios.equals("opensbi") && image != null)) readable(Path.of(bios), "bios");
            }
        }
    }

    /** Reads the files (obtaining the image from {@code images}) into a {@link Boot}. */
    public Boot resolve(ImageSource images) throws IOException {
        check();
        Path kernelFile = kernel, initrdFile = initrd, firmware = null;
        String cmdline = append.isBlank() ? "console=ttyS0" : append;
        if (image != null) {
            CachedImage img = images.image(image);
            kernelFile = img.kernel();
            if (initrdFile == null) initrdFile = img.initrd();
            firmware = img.firmware();
            cmdline = (img.cmdline() + " " + append).strip();
        }
        byte[] kernelBytes = read(kernelFile, "kernel");
        byte[] initrdBytes = initrdFile == null ? null : read(initrdFile, "initrd");
        String name = kernelFile.toString();
        return switch (bios) {
            case "builtin" -> new Boot(Boot.Bios.BUILTIN, null, null, kernelBytes, name, initrdBytes, cmdline);
            case "none" -> new Boot(Boot.Bios.NONE, null, null, kernelBytes, name, initrdBytes, cmdline);
            default -> {
                Path fw = bios.equals("opensbi") && image != null ? firmware : Path.of(bios);
                if (fw == null) throw new Invalid("bios", "image " + image + " has no OpenSBI firmware; pull it again");
                yield new Boot(Boot.Bios.FILE, read(fw, "bios"), fw.toString(), kernelBytes, name, initrdBytes, cmdline);
            }
        };
    }

    private static void readable(Path file, String field) {
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new Invalid(field, "--" + field + " " + file + ": no such readable file");
        }
    }

    private static byte[] read(Path file, String field) throws IOException {
        readable(file, field);
        return Files.readAllBytes(file);
    }
}
