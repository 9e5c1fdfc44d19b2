package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DownloaderTest {
    @TempDir Path dir;
    private FakeMirror mirror;
    private final byte[] content = new byte[300_000];

    @BeforeEach
    void start() throws IOException {
        new Random(8).nextBytes(content);
        mirror = new FakeMirror();
        mirror.put("pool/f.deb", content);
    }

    @AfterEach
    void stop() { mirror.close(); }

    private void fetch(Path target) throws ImageException {
        new Downloader(mirror.url(), null).fetch(URI.create(mirror.url() + "/pool/f.deb"), target,
                Downloader.sha256(content), content.length, "f.deb");
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    @Test
    void downloadsAndVerifies() throws IOException {
        Path target = dir.resolve("f.deb");
        fetch(target);
        assertArrayEquals(content, Files.readAllBytes(target));
        assertEquals(List.of(target), files(), "no .part left behind");
        fetch(target); // already there and verified: no second download
        assertEquals(1, mirror.count("pool/f.deb"));
    }

    @Test
    void droppedConnectionResumesWithRange() throws IOException {
        mirror.dropMidway("pool/f.deb", 1);
        Path target = dir.resolve("f.deb");
        fetch(target);
        assertArrayEquals(content, Files.readAllBytes(target));
        // The mirror sends half and drops the connection; what was still in flight when it did is
        // lost (1 run in 8 on a busy host), so the resume starts at what arrived, at most half.
        // The content check above proves it started exactly where the .part file ended.
        List<String> requests = mirror.requests();
        assertEquals(2, requests.size(), requests.toString());
        assertEquals("pool/f.deb", requests.get(0));
        var resume = java.util.regex.Pattern.compile("pool/f\\.deb range=bytes=(\\d+)-").matcher(requests.get(1));
        assertTrue(resume.matches(), requests.get(1));
        long from = Long.parseLong(resume.group(1));
        assertTrue(from > 0 && from <= content.length / 2, "resumed at " + from + " of " + content.length);
        assertEquals(List.of(target), files());
    }

    @Test
    void droppedConnectionRestartsWhenServerIgnoresRange() throws IOException {
        mirror.dropMidway("pool/f.deb", 1);
        mirror.ignoreRange(true);
        Path target = dir.resolve("f.deb");
        fetch(target);
        assertArrayEquals(content, Files.readAllBytes(target));
        assertEquals(2, mirror.count("pool/f.deb"));
    }

    @Test
    void interruptedRunLeavesOnlyAPartFileThatTheNextRunResumes() throws IOException {
        mirror.dropMidway("pool/f.deb", 4); // every attempt of this run fails
        Path target = dir.resolve("f.deb");
        ImageException e = assertThrows(ImageException.class, () -> fetch(target));
        assertTrue(e.getMessage().contains("run the command again to resume"), e.getMessage());
        assertFalse(Files.exists(target), "no file under the final name");
        Path part = dir.resolve("f.deb.part");
        assertTrue(Files.size(part) < content.length);

        fetch(target); // the next run picks up where the last one stopped
        assertArrayEquals(content, Files.readAllBytes(target));
        assertFalse(Files.exists(part));
        assertTrue(mirror.requests().getLast().startsWith("pool/f.deb range=bytes="), mirror.requests().toString());
    }

    @Test
    void tamperedFileIsRefusedAndNothingIsLeft() throws IOException {
        byte[] tampered = content.clone();
        tampered[1234] ^= 1;
        mirror.put("pool/f.deb", tampered);
        Path target = dir.resolve("f.deb");
        ImageException e = assertThrows(ImageException.class, () -> fetch(target));
        assertTrue(e.getMessage().contains("SHA256 mismatch"), e.getMessage());
        assertTrue(e.getMessage().contains(mirror.url()), "names the mirror: " + e.getMessage());
        assertEquals(List.of(), files(), "neither the file nor a partial download stays in the cache");
    }

    @Test
    void tamperedFileDoesNotReplaceAGoodOne() throws IOException {
        Path target = dir.resolve("f.deb");
        Files.write(target, "an older, different file".getBytes());
        mirror.put("pool/f.deb", new byte[content.length]);
        assertThrows(ImageException.class, () -> fetch(target));
        assertEquals("an older, different file", Files.readString(target));
    }

    @Test
    void unreachableMirrorIsNamed() throws IOException {
        String url = FakeMirror.deadUrl();
        ImageException e = assertThrows(ImageException.Unreachable.class,
                () -> new Downloader(url, null).get(URI.create(url + "/dists/trixie/InRelease")));
        assertTrue(e.getMessage().startsWith("cannot reach the mirror " + url), e.getMessage());
        assertTrue(e.getMessage().contains("--mirror"), e.getMessage());
    }

    @Test
    void missingFileNamesTheMirror() {
        ImageException e = assertThrows(ImageException.class,
                () -> new Downloader(mirror.url(), null).get(URI.create(mirror.url() + "/dists/trixie/InRelease")));
        assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains(mirror.url()), e.getMessage());
    }
}
