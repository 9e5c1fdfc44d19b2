package jvisor.host;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A VM's log file in the state directory: everything its console printed and the host's notes
 * about it, appended by one virtual thread that follows the {@link ConsoleBuffer}, so the guest
 * never waits for the disk. At {@link #ROTATE_BYTES} the file moves to NAME.log.1. A failing
 * disk stops the log (said once on stderr), never the VM.
 */
public final class VmLog implements AutoCloseable {
    static final long ROTATE_BYTES = 8L << 20;

    private final Path file;
    private final ConsoleBuffer console;
    private final Thread pump;
    /** The console position up to which the file is written; guarded by this. */
    private long written;
    private volatile boolean closing;

    VmLog(Path file, ConsoleBuffer console) {
        this.file = file;
        this.console = console;
        this.written = console.position();
        this.pump = Thread.ofVirtual().name("jvisor-log-" + file.getFileName()).start(this::pump);
    }

    Path file() { return file; }

    /** The log's text so far and the console position where it ends (to follow on from). */
    synchronized Contents contents() throws IOException {
        byte[] text = Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
        return new Contents(text, written);
    }

    /** A log's text and the console position where it ends. */
    public record Contents(byte[] text, long end) {}

    private void pump() {
        long pos = written;
        try {
            while (true) {
                ConsoleBuffer.Chunk c = console.read(pos, 60_000);
                if (c == null || closing && c.data().length == 0) return;
                if (c.data().length == 0) continue;
                append(c);
                pos = c.next();
            }
        } catch (InterruptedException e) {
            // closing
        } catch (IOException e) {
            System.err.println("jvisor: cannot write the log " + file + ": " + e.getMessage() + "; this VM's log stops here");
        }
    }

    private synchronized void append(ConsoleBuffer.Chunk c) throws IOException {
        if (Files.exists(file) && Files.size(file) > ROTATE_BYTES) {
            Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
        }
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            out.write(c.data());
        }
        written = c.next();
    }

    /** Writes what is left and stops the pump. */
    @Override
    public void close() {
        closing = true;
        pump.interrupt();
        try {
            pump.join(2000);
            ConsoleBuffer.Chunk c = console.read(written, 0);
            if (c != null && c.data().length > 0) append(c);
        } catch (InterruptedException | IOException e) {
            // best effort at shutdown
        }
    }

    /** Removes the log files (the VM was deleted). */
    void delete() throws IOException {
        close();
        Files.deleteIfExists(file);
        Files.deleteIfExists(file.resolveSibling(file.getFileName() + ".1"));
    }
}
