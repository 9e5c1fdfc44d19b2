package jvisor.images;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns an image's verified .deb files into the files of a cached image: the kernel Image as
 * shipped, an initramfs made of busybox and the chosen kernel modules, and the firmware.
 */
final class ImageBuilder {
    private static final Pattern KERNEL = Pattern.compile("boot/vmlinu[xz]-(.+)");
    private static final Pattern MODULE_FILE = Pattern.compile("(?:usr/)?lib/modules/([^/]+)/(.+)");

    /** Bump when the initramfs layout changes in ways {@link #recipe} cannot see. */
    private static final int LAYOUT = 1;

    private final PrintStream log;
    private final PrintStream progress;

    ImageBuilder(PrintStream log, PrintStream progress) {
        this.log = log;
        this.progress = progress;
    }

    /** Builds into {@code dir} from the .debs of {@code pkgs} ({@code debs} in the same order). */
    void build(ImageSpec spec, ChosenPackages pkgs, List<Path> debs, Path dir, String mirror) throws IOException {
        long total = 0;
        for (Path d : debs) total += Files.size(d);
        KernelModules modules = new KernelModules();
        try (Progress bar = new Progress(progress, "building " + spec.name() + " image", total)) {
            String release = readKernel(debs.get(0), bar, dir.resolve(CachedImage.KERNEL), modules);
            byte[] busybox = readBusybox(debs.get(1), bar);
            DebArchive.read(debs.get(2), bar, (path, entry, in) -> {
                if (entry.isFile() && path.equals(spec.firmwarePath())) {
                    Files.copy(in, dir.resolve(CachedImage.FIRMWARE), StandardCopyOption.REPLACE_EXISTING);
                }
            });
            require(Files.exists(dir.resolve(CachedImage.FIRMWARE)), debs.get(2), "has no " + spec.firmwarePath());

            KernelModules.Selection chosen = modules.select(spec.modules());
            if (!chosen.missing().isEmpty()) {
                log.println("jvisor: kernel " + release + " has no module " + String.join(", ", chosen.missing())
                        + "; the image goes without");
            }
            String banner = spec.title() + " on jvisor: linux " + pkgs.kernel().version() + ", busybox "
                    + pkgs.busybox().version().replaceFirst("^\\d+:", "");
            Initramfs.Contents contents = new Initramfs.Contents(busybox, BusyboxApplets.of(busybox), release,
                    chosen, banner);
            try (OutputStream out = Files.newOutputStream(dir.resolve(CachedImage.INITRD))) {
                Initramfs.write(contents, out, Instant.now().getEpochSecond());
            }
            writeProperties(spec, pkgs, release, chosen, dir, mirror);
        }
    }

    /**
     * Copies the kernel of the kernel package {@code deb} to {@code kernel}, offers its modules to
     * {@code modules}, and returns its release ("6.12.9+deb13-riscv64").
     */
    static String readKernel(Path deb, Progress bar, Path kernel, KernelModules modules) throws IOException {
        String[] release = {null};
        DebArchive.read(deb, bar, (path, entry, in) -> {
            Matcher k = KERNEL.matcher(path);
            Matcher m = MODULE_FILE.matcher(path);
            if (k.matches() && entry.isFile()) {
                release[0] = k.group(1);
                Files.copy(in, kernel, StandardCopyOption.REPLACE_EXISTING);
            } else if (m.matches() && entry.isFile()) {
                modules.add(m.group(2), in);
            }
        });
        require(release[0] != null, deb, "has no boot/vmlinux-* kernel");
        require(!modules.isEmpty(), deb, "has no kernel modules under lib/modules/");
        return release[0];
    }

    /** The busybox binary of the busybox package {@code deb}. */
    static byte[] readBusybox(Path deb, Progress bar) throws IOException {
        byte[][] busybox = {null};
        DebArchive.read(deb, bar, (path, entry, in) -> {
            if (entry.isFile() && (path.equals("usr/bin/busybox") || path.equals("bin/busybox"))) {
                busybox[0] = in.readAllBytes();
            }
        });
        require(busybox[0] != null, deb, "has no busybox binary");
        return busybox[0];
    }

    /**
     * A short digest of how an image is built from its packages (layout, scripts, modules), part
     * of the cache key so that a jvisor with a new recipe builds anew instead of reusing.
     */
    static String recipe(ImageSpec spec) {
        String all = LAYOUT + "\n" + InitScript.init("") + InitScript.inittab() + InitScript.profile()
                + InitScript.dhcpHook() + spec.modules() + spec.firmwarePath();
        return Downloader.sha256(all.getBytes(java.nio.charset.StandardCharsets.UTF_8)).substring(0, 8);
    }

    private static void writeProperties(ImageSpec spec, ChosenPackages pkgs, String release,
                                        KernelModules.Selection chosen, Path dir, String mirror) throws IOException {
        Properties p = new Properties();
        p.setProperty("name", spec.name());
        p.setProperty("suite", spec.suite());
        p.setProperty("architecture", spec.architecture());
        p.setProperty("kernel.package", pkgs.kernel().name());
        p.setProperty("kernel.version", pkgs.kernel().version());
        p.setProperty("kernel.release", release);
        p.setProperty("busybox.version", pkgs.busybox().version());
        p.setProperty("firmware.package", pkgs.firmware().name());
        p.setProperty("firmware.version", pkgs.firmware().version());
        p.setProperty("modules", String.join(" ", chosen.modules().stream().map(KernelModules.Module::name).toList()));
        p.setProperty("cmdline", "console=ttyS0");
        p.setProperty("mirror", mirror);
        p.setProperty("built", Instant.now().toString());
        try (OutputStream out = Files.newOutputStream(dir.resolve(CachedImage.PROPERTIES))) {
            p.store(out, "jvisor image: " + spec.summary());
        }
    }

    private static void require(boolean ok, Path deb, String problem) throws ImageException {
        if (!ok) throw new ImageException(deb.getFileName() + " " + problem + "; the catalog entry needs updating");
    }
}
