package jvisor.cli;

import java.nio.file.Path;
import jvisor.images.Images;
import picocli.CommandLine.Option;

/** Where images come from and where they are kept: shared by {@code run} and {@code images}. */
final class ImageOptions {
    @Option(names = "--mirror", paramLabel = "URL",
            description = "Debian mirror for images (default: $" + Images.MIRROR_ENV + " or "
                    + Images.DEFAULT_MIRROR + ").")
    String mirror;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "Image cache (default: $XDG_CACHE_HOME/jvisor/images or ~/.cache/jvisor/images).")
    Path cache;

    Images images() {
        return Images.forUser(cache, mirror, System.getenv()).withBuildGuest(new jvisor.machine.ImageBuildGuest());
    }

    /** These options where given, else {@code outer}'s (for {@code images --cache D pull NAME}). */
    ImageOptions or(ImageOptions outer) {
        ImageOptions o = new ImageOptions();
        o.mirror = mirror != null ? mirror : outer.mirror;
        o.cache = cache != null ? cache : outer.cache;
        return o;
    }
}
