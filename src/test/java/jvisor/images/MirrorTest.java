package jvisor.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests of {@link Images} against {@link FakeMirror}'s signed archive on loopback: the mirror,
 * its key in a keyring, a cache under {@link #dir}, and the one-line notices Images prints.
 */
abstract class MirrorTest {
    static TestKeys keys;

    @TempDir Path dir;
    FakeMirror mirror;
    Path keyring;
    final ByteArrayOutputStream log = new ByteArrayOutputStream();

    @BeforeAll
    static void makeKeys() { keys = new TestKeys("Test Archive <ftpmaster@example.org>"); }

    @BeforeEach
    void start() throws IOException {
        mirror = fill(new FakeMirror());
        keyring = keys.writeKeyring(dir.resolve("keyring.gpg"));
    }

    @AfterEach
    void stop() { mirror.close(); }

    /** What the archive holds: the kernel, busybox and firmware unless a test needs more. */
    FakeMirror fill(FakeMirror m) throws IOException { return m.debianLike(keys); }

    Path cacheRoot() { return dir.resolve("cache"); }

    /** Images over the cache, from {@code url}, with these keyrings and no progress bars. */
    Images images(String url, List<Path> keyrings) {
        return new Images(new ImageCache(cacheRoot()), url, new PrintStream(log, true, StandardCharsets.UTF_8), null, keyrings);
    }

    String log() { return log.toString(StandardCharsets.UTF_8); }
}
