package jvisor.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's gdb-multiarch in batch mode (gdb-multiarch package, installed by .ci/run) against
 * a gdb stub on the loopback address: {@code gdb -batch -nx -ex CMD ...}. A command
 * {@code echo INTERRUPT\n} makes this helper send gdb SIGINT shortly after, as a user's Ctrl-C,
 * which gdb turns into an interrupt packet for the running target.
 */
public final class GdbBatch {
    public static final String GDB = "gdb-multiarch";
    private static final String MARK = "INTERRUPT";

    private GdbBatch() {}

    /** Skips the calling test unless gdb-multiarch is installed. */
    public static void assumeAvailable() {
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, GDB))) found = true;
        }
        assumeTrue(found, GDB + " is not installed (apt-get install gdb-multiarch)");
    }

    /**
     * Runs {@code commands} after loading {@code symbols} (may be null) and connecting to
     * {@code port}; returns everything gdb printed. Fails on timeout.
     */
    public static String run(Path symbols, int port, List<String> commands, Duration timeout)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(GDB, "-batch", "-nx", "-ex", "set pagination off",
                "-ex", "set confirm off"));
        if (symbols != null) cmd.addAll(List.of("-ex", "file " + symbols));
        cmd.addAll(List.of("-ex", "target remote 127.0.0.1:" + port));
        for (String c : commands) cmd.addAll(List.of("-ex", c));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().daemon().start(() -> pump(p, out));
        long deadline = System.nanoTime() + timeout.toNanos();
        int interruptsSent = 0;
        while (p.isAlive() && System.nanoTime() < deadline) {
            String text;
            synchronized (out) { text = out.toString(StandardCharsets.UTF_8); }
            if (count(text, MARK) > interruptsSent) {
                Thread.sleep(1000); // let the target run a while first
                new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
                interruptsSent++;
            }
            p.waitFor(100, TimeUnit.MILLISECONDS);
        }
        if (p.isAlive()) {
            p.destroyForcibly();
            reader.join(2000);
            throw new AssertionError("gdb did not finish within " + timeout + ":\n" + out.toString(StandardCharsets.UTF_8));
        }
        reader.join(2000);
        synchronized (out) { return out.toString(StandardCharsets.UTF_8); }
    }

    private static void pump(Process p, ByteArrayOutputStream out) {
        byte[] buf = new byte[4096];
        try (InputStream in = p.getInputStream()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (out) { out.write(buf, 0, n); }
            }
        } catch (IOException e) {
            // gdb ended
        }
    }

    private static int count(String text, String word) {
        int n = 0;
        for (int i = text.indexOf(word); i >= 0; i = text.indexOf(word, i + 1)) n++;
        return n;
    }
}
