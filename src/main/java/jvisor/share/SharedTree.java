package jvisor.share;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.util.List;

/**
 * A host directory shared with a guest, and the rule that keeps the guest inside it: a guest
 * path is a list of plain names below the root, and no name but the last may be a symbolic link
 * (checked on every use, not only when walked, since the guest can swap a directory for a link).
 * The last name is never followed either: opening a link fails with ELOOP, and links the guest
 * reads back ({@code readlink}) it resolves in its own namespace. Names are never "", ".", "..",
 * and never contain '/' or NUL. Only regular files and directories are opened, so a FIFO cannot
 * hang the device.
 *
 * <p>This holds as long as guest requests are the only ones changing the tree (they run one at a
 * time); a host process racing to replace directories with links is outside the guard.
 */
final class SharedTree {
    static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

    // errno values of Linux (9P2000.L reports Linux errors)
    static final int EPERM = 1, ENOENT = 2, EIO = 5, EBADF = 9, EACCES = 13, EBUSY = 16, EEXIST = 17, EXDEV = 18, ENOTDIR = 20,
            EISDIR = 21, EINVAL = 22, ENOSPC = 28, EROFS = 30, ENAMETOOLONG = 36, ENOTEMPTY = 39, ELOOP = 40,
            ENODATA = 61, EOPNOTSUPP = 95, EPROTO = 71;

    /** A guest-visible failure carrying its errno. */
    static final class Errno extends Exception {
        final int errno;

        Errno(int errno) {
            super(null, null, false, false);
            this.errno = errno;
        }
    }

    final Path root;
    final boolean readOnly;

    SharedTree(Path root, boolean readOnly) throws IOException {
        this.root = root.toRealPath();
        if (!Files.isDirectory(this.root)) throw new IOException(root + " is not a directory");
        this.readOnly = readOnly;
    }

    /** Checks a name the guest sent. */
    static String name(String n) throws Errno {
        if (n.isEmpty() || n.equals(".") || n.equals("..") || n.indexOf('/') >= 0 || n.indexOf('\0') >= 0) throw new Errno(EINVAL);
        if (n.length() > 255) throw new Errno(ENAMETOOLONG);
        return n;
    }

    /** The host path of {@code names}, whose last name is not followed: it may be a link, the others may not. */
    Path node(List<String> names) throws Errno {
        return resolve(names, names.size() - 1);
    }

    /** The host path of {@code names} used as a directory: no name may be a link. */
    Path dir(List<String> names) throws Errno {
        Path p = resolve(names, names.size());
        if (!Files.isDirectory(p, NOFOLLOW)) throw new Errno(Files.exists(p, NOFOLLOW) ? ENOTDIR : ENOENT);
        return p;
    }

    private Path resolve(List<String> names, int checked) throws Errno {
        Path p = root;
        for (int i = 0; i < names.size(); i++) {
            p = p.resolve(names.get(i));
            if (i < checked && Files.isSymbolicLink(p)) throw new Errno(ELOOP);
        }
        return p;
    }

    void writable() throws Errno {
        if (readOnly) throw new Errno(EROFS);
    }

    /** The errno for a failed host operation. */
    static int errno(Exception e) {
        return switch (e) {
            case Errno x -> x.errno;
            case NoSuchFileException x -> ENOENT;
            case FileAlreadyExistsException x -> EEXIST;
            case DirectoryNotEmptyException x -> ENOTEMPTY;
            case AccessDeniedException x -> EACCES;
            case NotDirectoryException x -> ENOTDIR;
            case FileSystemLoopException x -> ELOOP;
            case ReadOnlyFileSystemException x -> EROFS;
            case UnsupportedOperationException x -> EOPNOTSUPP;
            case FileSystemException x -> reason(x.getReason());
            default -> EIO;
        };
    }

    private static int reason(String r) {
        if (r == null) return EIO;
        if (r.contains("Is a directory")) return EISDIR;
        if (r.contains("Not a directory")) return ENOTDIR;
        if (r.contains("Too many levels of symbolic links")) return ELOOP;
        if (r.contains("No space")) return ENOSPC;
        if (r.contains("Read-only")) return EROFS;
        if (r.contains("Operation not permitted")) return EPERM;
        if (r.contains("Permission denied")) return EACCES;
        if (r.contains("cross-device")) return EXDEV;
        if (r.contains("File name too long")) return ENAMETOOLONG;
        return EIO;
    }
}
