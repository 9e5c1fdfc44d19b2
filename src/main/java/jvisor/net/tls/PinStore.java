package jvisor.net.tls;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Which certificate each daemon may present: a known-hosts file of lines
 * {@code HOST:PORT FINGERPRINT} ({@code #} starts a comment), filled on first use like SSH's, or
 * one fingerprint given explicitly. {@link #check} is the whole policy:
 * <ul>
 *   <li>an explicit fingerprint must match; the file is neither read nor written;</li>
 *   <li>else a pinned fingerprint must match; a different certificate is refused, naming the
 *       file and line to delete if the change was intended;</li>
 *   <li>else, with trust on first use, the certificate is pinned (and the notes callback told);
 *       without it, refused.</li>
 * </ul>
 * The default file is {@code $XDG_CONFIG_HOME/jvisor/known-hosts} (else
 * {@code ~/.config/jvisor/known-hosts}). Safe for use by several threads of one process.
 */
public final class PinStore {
    private final Path file;
    private final Fingerprint explicit;
    private final boolean trustOnFirstUse;
    private final Consumer<String> notes;

    private PinStore(Path file, Fingerprint explicit, boolean trustOnFirstUse, Consumer<String> notes) {
        this.file = file;
        this.explicit = explicit;
        this.trustOnFirstUse = trustOnFirstUse;
        this.notes = notes;
    }

    /** Pins in {@code file}; on first use a new daemon is pinned and {@code notes} hears about it (may be null). */
    public static PinStore trustOnFirstUse(Path file, Consumer<String> notes) {
        return new PinStore(file, null, true, notes == null ? s -> { } : notes);
    }

    /** Pins in {@code file}, which must already name the daemon (no trust on first use). */
    public static PinStore strict(Path file) { return new PinStore(file, null, false, s -> { }); }

    /** Trusts exactly the certificate with {@code fingerprint}, whatever the file says. */
    public static PinStore exactly(Fingerprint fingerprint) { return new PinStore(null, fingerprint, false, s -> { }); }

    /** $XDG_CONFIG_HOME/jvisor/known-hosts, or ~/.config/jvisor/known-hosts. */
    public static Path defaultFile(Map<String, String> env) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path config = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return config.resolve("jvisor").resolve("known-hosts");
    }

    /** The known-hosts file (null for an explicit fingerprint). */
    public Path file() { return file; }

    /** The key of a daemon in the file: host (lower case; IPv6 in brackets) and port, e.g. {@code 10.0.0.5:7407}. */
    public static String key(String host, int port) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.contains(":") && !h.startsWith("[")) h = "[" + h + "]";
        return h + ":" + port;
    }

    /** The key for {@code uri} (https or wss; the port defaults to 443). */
    public static String key(URI uri) {
        return key(uri.getHost(), uri.getPort() >= 0 ? uri.getPort() : 443);
    }

    /** The fingerprint pinned for {@code key}, if any. */
    public synchronized Optional<Fingerprint> pinned(String key) {
        if (explicit != null) return Optional.of(explicit);
        for (Line l : read()) if (l.key.equals(key)) return Optional.of(l.fingerprint);
        return Optional.empty();
    }

    /** Pins {@code fingerprint} for {@code key}, replacing an earlier pin. */
    public synchronized void pin(String key, Fingerprint fingerprint) {
        if (file == null) throw new IllegalStateException("an explicit fingerprint has no file");
        List<String> out = new ArrayList<>();
        try {
            if (Files.exists(file)) {
                for (String s : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    Line l = Line.parse(s);
                    if (l == null || !l.key.equals(key)) out.add(s);
                }
            } else {
                out.add("# jvisor: the TLS certificates of daemons, by SHA-256 fingerprint (HOST:PORT FINGERPRINT)");
            }
            out.add(key + " " + fingerprint);
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = file.resolveSibling("." + file.getFileName() + ".part");
            Files.write(tmp, out, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Whether the daemon at {@code key} may present a certificate with {@code presented}: returns
     * if so (pinning it on first use), else throws with a one-line message that says what to do.
     */
    public void check(String key, Fingerprint presented) throws PinMismatchException {
        if (explicit != null) {
            if (!explicit.equals(presented)) {
                throw new PinMismatchException("the daemon at " + key + " presented the certificate " + presented
                        + ", not the one given with --fingerprint (" + explicit + ")");
            }
            return;
        }
        synchronized (this) {
            List<Line> lines;
            try {
                lines = read();
            } catch (UncheckedIOException e) {
                throw new PinMismatchException(e.getMessage());
            }
            for (Line l : lines) {
                if (!l.key.equals(key)) continue;
                if (l.fingerprint.equals(presented)) return;
                throw new PinMismatchException("the TLS certificate of " + key + " changed (now " + presented + ", pinned "
                        + l.fingerprint + "): if the daemon's certificate was replaced on purpose, delete line " + l.number
                        + " of " + file + " (or give --fingerprint); otherwise someone may be intercepting the connection");
            }
            if (!trustOnFirstUse) {
                throw new PinMismatchException("no certificate is pinned for " + key + " in " + file
                        + ": give its SHA-256 fingerprint (the daemon prints it at start) with --fingerprint");
            }
            try {
                pin(key, presented);
            } catch (UncheckedIOException e) {
                throw new PinMismatchException(e.getMessage());
            }
        }
        notes.accept("pinned the TLS certificate of " + key + " (SHA-256 " + presented + ") in " + file);
    }

    private record Line(String key, Fingerprint fingerprint, int number) {
        static Line parse(String s) { return parse(s, 0); }

        static Line parse(String s, int number) {
            String t = s.strip();
            if (t.isEmpty() || t.startsWith("#")) return null;
            String[] f = t.split("\\s+");
            if (f.length < 2) return null;
            try {
                return new Line(f[0].toLowerCase(Locale.ROOT), Fingerprint.parse(f[1]), number);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    }

    private List<Line> read() {
        List<Line> lines = new ArrayList<>();
        if (file == null || !Files.exists(file)) return lines;
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            for (int i = 0; i < all.size(); i++) {
                Line l = Line.parse(all.get(i), i + 1);
                if (l != null) lines.add(l);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return lines;
    }
}
