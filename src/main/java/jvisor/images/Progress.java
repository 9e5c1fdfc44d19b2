package jvisor.images;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A one-line progress bar redrawn in place on a terminal ({@code label [####    ]  45%  51/113 MB}).
 * Quiet when its stream is null, which is what {@link #stderrIfTerminal()} gives when stderr is a
 * pipe or file, so logs and tests see no carriage returns.
 */
public final class Progress implements AutoCloseable {
    private static final int BAR = 28;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final String label;
    private final long total;
    /** What is counted, e.g. "packages"; null for bytes. */
    private final String unit;
    private long done;
    private long lastDraw;

    public Progress(PrintStream out, String label, long total) {
        this(out, label, total, null);
    }

    /** A bar counting {@code unit}s ({@code label [###   ]  12%  20/163 packages}) rather than bytes. */
    Progress(PrintStream out, String label, long total, String unit) {
        this.out = out;
        this.label = label;
        this.total = total;
        this.unit = unit;
        draw();
    }

    /** System.err when it is a terminal, else null (no progress output). */
    public static PrintStream stderrIfTerminal() {
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            if (Files.exists(fd2)) {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") ? System.err : null;
            }
        } catch (java.io.IOException | UnsupportedOperationException e) {
            // no /proc: fall back to asking whether the JVM's console is a terminal
        }
        java.io.Console c = System.console();
        return c != null && c.isTerminal() ? System.err : null;
    }

    void advance(long n) {
        done += n;
        long now = System.nanoTime();
        if (now - lastDraw >= REDRAW_NANOS) draw();
    }

    public void set(long value) {
        done = value;
        advance(0);
    }

    private void draw() {
        lastDraw = System.nanoTime();
        if (out == null) return;
        StringBuilder line = new StringBuilder("\r").append(label).append(' ');
        if (total > 0) {
            int filled = (int) Math.min(BAR, done * BAR / total);
            line.append('[').append("#".repeat(filled)).append(" ".repeat(BAR - filled)).append(']')
                    .append(String.format(Locale.ROOT, " %3d%%  %s/%s", Math.min(100, done * 100 / total),
                            amount(done), amount(total) + (unit == null ? "" : " " + unit)));
        } else {
            line.append(amount(done));
        }
        out.print(line.append("\033[K"));
        out.flush();
    }

    private String amount(long n) { return unit == null ? mb(n) : Long.toString(n); }

    private static String mb(long bytes) {
        return bytes >= 10 << 20 ? (bytes >> 20) + " MB" : String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0);
    }

    @Override
    public void close() {
        if (out == null) return;
        draw();
        out.println();
        out.flush();
    }
}
