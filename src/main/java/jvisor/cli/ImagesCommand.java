package jvisor.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import jvisor.images.CachedImage;
import jvisor.images.ImageSpec;
import jvisor.images.SystemDisk;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code jvisor images}: lists the cached guest images; {@code pull} and {@code rm} manage them. */
@Command(name = "images", mixinStandardHelpOptions = true,
        description = {"List the cached guest images with their package versions and sizes.",
                "'jvisor run NAME' boots one, fetching it first when needed."},
        subcommands = {ImagesCommand.Pull.class, ImagesCommand.Remove.class})
final class ImagesCommand implements Callable<Integer> {
    @Mixin ImageOptions options;

    @Override
    public Integer call() throws IOException {
        PrintStream out = System.out;
        List<CachedImage> images = options.images().cache().list();
        if (images.isEmpty()) {
            out.println("No cached images in " + options.images().cache().root() + ".");
        } else {
            out.printf("%-14s %-8s %s%n", "NAME", "SIZE", "VERSIONS");
            java.util.Set<Path> shown = new java.util.HashSet<>();
            for (CachedImage i : images) {
                out.printf(Locale.ROOT, "%-14s %-8s %s (built %s)%n", i.name(), size(i.size()), i.versions(),
                        i.property("built").replaceFirst("\\.\\d+Z$", "Z"));
                Path disk = SystemDisk.path(SystemDisk.directory(System.getenv()), i.name());
                if (i.disk() != null && Files.exists(disk) && shown.add(disk)) {
                    out.printf(Locale.ROOT, "%-14s %-8s your disk: %s%n", "", size(Files.size(disk)), disk);
                }
            }
        }
        out.println("Available: " + String.join(", ", ImageSpec.CATALOG.stream()
                .map(s -> s.name() + " (" + s.summary() + ")").toList()) + ". 'jvisor images pull NAME' fetches one.");
        return 0;
    }

    private static String size(long bytes) {
        return String.format(Locale.ROOT, "%.1fM", bytes / 1048576.0);
    }

    @Command(name = "pull", mixinStandardHelpOptions = true,
            description = "Fetch and build an image from the mirror without booting it (up to date with the mirror).")
    static final class Pull implements Callable<Integer> {
        @ParentCommand ImagesCommand parent;
        @Mixin ImageOptions options;
        @Parameters(paramLabel = "NAME", description = "Catalog image, e.g. debian.") String name;

        @Override
        public Integer call() throws IOException {
            CachedImage image = options.or(parent.options).images().pull(name);
            System.out.println(image.name() + ": " + image.versions() + " in " + image.dir());
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true,
            description = "Remove a cached image (NAME, or NAME/KEY for one version).")
    static final class Remove implements Callable<Integer> {
        @ParentCommand ImagesCommand parent;
        @Mixin ImageOptions options;
        @Parameters(paramLabel = "NAME") String name;

        @Override
        public Integer call() throws IOException {
            List<CachedImage> gone = options.or(parent.options).images().cache().remove(name);
            if (gone.isEmpty()) {
                throw new Main.UsageError("no cached image called '" + name + "' (see 'jvisor images')");
            }
            for (CachedImage i : gone) System.out.println("removed " + i.name() + " (" + i.versions() + ")");
            return 0;
        }
    }
}
