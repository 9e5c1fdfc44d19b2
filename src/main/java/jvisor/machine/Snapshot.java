package jvisor.machine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import jvisor.state.StateException;

/**
 * A VM frozen into one file: the machine state stream written to disk with RAM page-aligned, so
 * restoring maps guest memory from the file instead of reading it. Saving writes a temporary
 * file beside the target and renames it into place once it is complete and on disk, so a failed
 * save loses nothing, and a running VM restored from the old file keeps its (mapped) pages.
 */
public final class Snapshot {
    private Snapshot() {}

    /** Saves a paused machine to {@code file}; returns the file's size. */
    public static long save(Machine m, Path file, StateStreamWriter.Progress progress) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".part");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                    FlushBehind flush = new FlushBehind(ch, progress)) {
                MachineState.write(m, ch, true, flush);
                flush.close();
                ch.force(false); // fdatasync: the data and the size a reader needs, not the timestamps
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return Files.size(file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Has the disk write what a save has written so far while it writes the rest: a second thread
     * calls fdatasync after every {@link #STEP} bytes of RAM (one at a time), so the last one waits
     * only for the tail. A 58 MB save wrote for 30-100 ms and then flushed for 70-90 ms; now the
     * flush after the writing takes 35-45 ms.
     */
    private static final class FlushBehind implements StateStreamWriter.Progress, AutoCloseable {
        private static final long STEP = 4 << 20;
        private final FileChannel ch;
        private final StateStreamWriter.Progress progress;
        private long flushedTo;
        private Thread flusher;

        FlushBehind(FileChannel ch, StateStreamWriter.Progress progress) {
            this.ch = ch;
            this.progress = progress;
        }

        @Override
        public void at(long done, long total) {
            if (progress != null) progress.at(done, total);
            if (done - flushedTo >= STEP && (flusher == null || !flusher.isAlive())) {
                flushedTo = done;
                flusher = Thread.ofPlatform().daemon().name("jvisor-snapshot-flush").start(() -> {
                    try {
                        ch.force(false);
                    } catch (IOException e) {
                        // the save's own fdatasync, after all is written, reports it
                    }
                });
            }
        }

        /** Waits for the flush under way, if any. */
        @Override
        public void close() {
            Thread t = flusher;
            flusher = null;
            if (t == null) return;
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Rebuilds the VM {@code file} holds, paused: call {@link Machine#resume} and then
     * {@link Machine#run}. {@code moved} maps disk and share paths as saved to where they are now.
     */
    public static Machine restore(Path file, OutputStream console, Map<Path, Path> moved) throws IOException {
        try (FileChannel ch = open(file)) {
            return MachineState.read(new StateStreamReader(ch, file.toString(), file), console, moved);
        }
    }

    /** The header and configuration of a snapshot file, without restoring it. */
    public static MachineState.Info info(Path file) throws IOException {
        try (FileChannel ch = open(file)) {
            return MachineState.info(new StateStreamReader(ch, file.toString(), null));
        }
    }

    private static FileChannel open(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new StateException(file + ": no such snapshot file");
        }
    }
}
