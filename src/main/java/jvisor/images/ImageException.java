package jvisor.images;

import java.io.IOException;

/**
 * A failure to obtain an image, told in one line that names the mirror or file and the fix. It is
 * an {@link IOException} so the command line reports it as a usage-level error (exit status 2).
 */
public class ImageException extends IOException {
    public ImageException(String message) { super(message); }

    public ImageException(String message, Throwable cause) { super(message, cause); }

    /** The mirror could not be reached at all; a cached image may stand in. */
    public static final class Unreachable extends ImageException {
        public Unreachable(String message, Throwable cause) { super(message, cause); }
    }
}
