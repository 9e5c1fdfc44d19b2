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
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                MachineState.write(m, ch, true, progress);
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
