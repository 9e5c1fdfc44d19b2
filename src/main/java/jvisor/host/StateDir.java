package jvisor.host;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;

/**
 * The daemon's state directory:
 * <pre>
 *   token          the API's bearer token (mode 0600), made at first start
 *   address        the URL the daemon listens on (for clients on this host)
 *   lock           held while a daemon uses the directory
 *   vms/NAME.json  each VM's definition and state
 *   saved/NAME.jvs saved VMs (snapshot files)
 *   logs/NAME.log  each VM's console output and the host's notes
 * </pre>
 * Files are replaced atomically (written beside, then renamed), so a crash never leaves half a file.
 */
public final class StateDir implements AutoCloseable {
    private final Path root;
    private final FileChannel lockChannel;
    private final FileLock lock;

    /** Opens (creating) {@code root} and locks it against a second daemon. */
    public StateDir(Path root) throws IOException {
        this.root = root.toAbsolutePath();
        for (String d : new String[] {"vms", "saved", "logs"}) Files.createDirectories(this.root.resolve(d));
        lockChannel = FileChannel.open(this.root.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;
        }
        if (l == null) {
            lockChannel.close();
            throw new IOException(this.root + " is in use by another jvisor daemon (give another --state)");
        }
        lock = l;
    }

    /** $XDG_DATA_HOME/jvisor, or ~/.local/share/jvisor. */
    public static Path defaultRoot(Map<String, String> env) {
        String xdg = env.get("XDG_DATA_HOME");
        Path data = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return data.resolve("jvisor");
    }

    public Path root() { return root; }
    Path vmFile(String name) { return root.resolve("vms").resolve(name + ".json"); }
    Path savedFile(String name) { return root.resolve("saved").resolve(name + ".jvs"); }
    Path logFile(String name) { return root.resolve("logs").resolve(name + ".log"); }
    /** A VM's persistent disk over a system image (kept when the VM is removed: it is the user's data). */
    Path diskFile(String name) { return root.resolve("disks").resolve(name + ".qcow2"); }
    Path vmsDir() { return root.resolve("vms"); }

    /** The API token: read, or made (32 random bytes, hex) and written with mode 0600. */
    public String token() throws IOException {
        Path f = root.resolve("token");
        if (Files.exists(f)) {
            String t = Files.readString(f, StandardCharsets.UTF_8).strip();
            if (!t.isEmpty()) return t;
        }
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        String t = HexFormat.of().formatHex(b);
        Path tmp = root.resolve(".token.part");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, t + "\n", StandardCharsets.UTF_8);
        move(tmp, f);
        return t;
    }

    /** Writes {@code text} to {@code file} atomically. */
    public void write(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".part");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        move(tmp, file);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Override
    public void close() throws IOException {
        lock.release();
        lockChannel.close();
    }
}
