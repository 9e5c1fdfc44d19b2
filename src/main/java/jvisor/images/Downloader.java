package jvisor.images;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * HTTP downloads from a mirror that end in a verified file or in nothing: data goes to
 * {@code NAME.part}, which is renamed to {@code NAME} only after its size and SHA256 match. A
 * dropped connection resumes with an HTTP Range request (or restarts when the server ignores it);
 * a checksum mismatch deletes the partial file.
 */
final class Downloader {
    private static final int ATTEMPTS = 4;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration HEADERS_TIMEOUT = Duration.ofSeconds(30);
    /** A body that brings no byte for this long is given up on (and resumed by the next attempt). */
    private static final long STALL_NANOS = Duration.ofSeconds(60).toNanos();

    private final HttpClient http;
    private final String mirror;
    private final PrintStream progress;

    /** {@code mirror} names the server in messages; {@code progress} is null for quiet downloads. */
    Downloader(String mirror, PrintStream progress) {
        this.http = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        this.mirror = mirror;
        this.progress = progress;
    }

    /** A small file, whole, into memory (InRelease). */
    byte[] get(URI uri) throws ImageException {
        try {
            HttpResponse<byte[]> r = http.send(request(uri).build(), HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() >= 500) { // the server is there but not serving: as good as unreachable
                throw new ImageException.Unreachable("the mirror " + mirror + " answers HTTP " + r.statusCode()
                        + " for " + uri + "; try again later, or pass --mirror URL or set JVISOR_MIRROR", null);
            }
            if (r.statusCode() != 200) throw httpError(uri, r.statusCode());
            return r.body();
        } catch (IOException e) {
            throw failure(uri, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException("interrupted while downloading " + uri);
        }
    }

    /**
     * Makes {@code target} hold the file at {@code uri} whose SHA256 is {@code sha256} (size
     * {@code size}, or -1 if unknown). A target that already matches is kept without a download.
     */
    void fetch(URI uri, Path target, String sha256, long size, String label) throws ImageException {
        try {
            if (Files.isRegularFile(target) && sha256(target).equals(sha256)) return;
            Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new ImageException("cannot write the cache at " + target.getParent() + ": " + e.getMessage(), e);
        }
        Path part = target.resolveSibling(target.getFileName() + ".part");
        IOException last = null;
        boolean resumed;
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            try {
                resumed = download(uri, part, size, label);
            } catch (ImageException e) {
                throw e;
            } catch (IOException e) {
                if (isUnreachable(e) && attempt == 0) throw failure(uri, e);
                last = e; // dropped midway: the next attempt resumes from what .part holds
                continue;
            }
            try {
                String actual = sha256(part);
                long actualSize = Files.size(part);
                if (actual.equals(sha256) && (size < 0 || actualSize == size)) {
                    Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    return;
                }
                Files.deleteIfExists(part);
                if (resumed) { // a resumed file may splice two versions of it: try once whole
                    last = new IOException("SHA256 mismatch after resuming");
                    continue;
                }
                throw new ImageException(uri + ": SHA256 mismatch (expected " + sha256 + ", got " + actual + ", "
                        + actualSize + " bytes); refused and deleted. The mirror " + mirror
                        + " serves a corrupt or altered file: try again later or pass --mirror URL");
            } catch (ImageException e) {
                throw e;
            } catch (IOException e) {
                throw new ImageException("cannot write the cache at " + part + ": " + e.getMessage(), e);
            }
        }
        throw new ImageException("download of " + uri + " from " + mirror + " failed " + ATTEMPTS + " times ("
                + describe(last) + "); run the command again to resume, or pass --mirror URL");
    }

    /** Downloads into {@code part}, resuming what it holds; returns whether it resumed. */
    private boolean download(URI uri, Path part, long size, String label) throws IOException {
        long have = Files.exists(part) ? Files.size(part) : 0;
        if (size >= 0 && have > size) {
            Files.delete(part);
            have = 0;
        }
        HttpRequest.Builder req = request(uri);
        if (have > 0) req.header("Range", "bytes=" + have + "-");
        HttpResponse<InputStream> r;
        try {
            r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageException("interrupted while downloading " + uri);
        }
        boolean append = have > 0 && r.statusCode() == 206;
        if (r.statusCode() == 416 && have > 0) { // nothing past what we hold: verify it as it is
            r.body().close();
            return true;
        }
        if (r.statusCode() != 200 && !append) {
            r.body().close();
            throw httpError(uri, r.statusCode());
        }
        if (!append) have = 0;
        try (InputStream in = r.body();
             OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
             Progress bar = new Progress(progress, label, size);
             Watchdog dog = new Watchdog()) {
            bar.set(have);
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) {
                dog.alive();
                out.write(buf, 0, n);
                bar.advance(n);
            }
        }
        return append;
    }

    /**
     * Interrupts the downloading thread when the body stalls: HttpClient's timeout covers only
     * the wait for headers, and an interrupted read ends in an IOException like a dropped link.
     */
    private static final class Watchdog implements AutoCloseable {
        private final Thread reader = Thread.currentThread();
        private final Thread dog;
        private volatile long last = System.nanoTime();
        private volatile boolean done;

        Watchdog() {
            dog = Thread.ofVirtual().start(() -> {
                while (!done) {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (!done && System.nanoTime() - last > STALL_NANOS) {
                        reader.interrupt();
                        return;
                    }
                }
            });
        }

        void alive() { last = System.nanoTime(); }

        @Override
        public void close() {
            done = true;
            dog.interrupt();
            Thread.interrupted(); // a bite that came too late must not hit the next blocking call
        }
    }

    private HttpRequest.Builder request(URI uri) {
        return HttpRequest.newBuilder(uri).timeout(HEADERS_TIMEOUT).header("User-Agent", "jvisor");
    }

    private ImageException httpError(URI uri, int status) {
        String hint = status != 404 ? "; try again later or pass --mirror URL"
                // the signed index names the package, so the mirror is one caught mid-update
                : uri.getPath().contains("/pool/") ? "; the mirror's index lists it but the mirror lacks it (an update "
                        + "under way?): try again later or pass --mirror URL to use another"
                : "; is " + mirror + " a Debian mirror with this suite? Pass --mirror URL to use another";
        return new ImageException(uri + ": HTTP " + status + " from the mirror" + hint);
    }

    private ImageException failure(URI uri, IOException e) {
        if (isUnreachable(e)) {
            return new ImageException.Unreachable("cannot reach the mirror " + mirror + " (" + describe(e)
                    + "); check the network, or pass --mirror URL or set JVISOR_MIRROR", e);
        }
        return new ImageException("download of " + uri + " failed (" + describe(e)
                + "); try again, or pass --mirror URL", e);
    }

    static boolean isUnreachable(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnknownHostException
                    || t instanceof NoRouteToHostException || t instanceof HttpTimeoutException
                    || t instanceof UnresolvedAddressException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        if (e == null) return "no answer";
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m);
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) >= 0) md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(byte[] data) {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
