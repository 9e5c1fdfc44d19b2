package jvisor.share;

import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import jvisor.share.P9Message.In;
import jvisor.share.P9Message.Out;
import jvisor.share.P9Message.Qid;
import jvisor.share.SharedTree.Errno;

/**
 * A 9P2000.L file server for one {@link SharedTree} (the protocol of Linux's v9fs with
 * {@code version=9p2000.L}; message layouts in Linux include/net/9p/9p.h and net/9p/protocol.c,
 * described in the diod project's protocol notes). A fid names a path below the root; requests
 * are handled one at a time, each giving a reply or {@code Rlerror} with a Linux errno.
 *
 * <p>Supported: version, attach, walk, getattr, setattr, statfs, lopen, lcreate, read, write,
 * readdir, mkdir, symlink, readlink, link, rename, renameat, unlinkat, remove, fsync, clunk,
 * flush, lock (always granted: one client), getlock. Extended attributes, mknod and auth answer
 * EOPNOTSUPP.
 */
public final class P9Server {
    // message types (T; the reply is T + 1)
    static final int TLERROR = 6, RLERROR = 7, TSTATFS = 8, TLOPEN = 12, TLCREATE = 14, TSYMLINK = 16, TMKNOD = 18,
            TRENAME = 20, TREADLINK = 22, TGETATTR = 24, TSETATTR = 26, TXATTRWALK = 30, TXATTRCREATE = 32,
            TREADDIR = 40, TFSYNC = 50, TLOCK = 52, TGETLOCK = 54, TLINK = 70, TMKDIR = 72, TRENAMEAT = 74,
            TUNLINKAT = 76, TVERSION = 100, TAUTH = 102, TATTACH = 104, TFLUSH = 108, TWALK = 110, TREAD = 116,
            TWRITE = 118, TCLUNK = 120, TREMOVE = 122;
    static final int MAX_MSIZE = 512 * 1024, MAX_WALK = 16, MAX_FIDS = 1 << 16;
    static final String VERSION = "9P2000.L";
    // open flags (Linux values, as 9P2000.L sends them)
    static final int O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_TRUNC = 01000;
    static final int AT_REMOVEDIR = 0x200;
    // setattr valid bits
    static final int SET_MODE = 1, SET_UID = 2, SET_GID = 4, SET_SIZE = 8, SET_ATIME = 16, SET_MTIME = 32,
            SET_ATIME_SET = 128, SET_MTIME_SET = 256;
    static final long GETATTR_BASIC = 0x7ff;

    /** What a fid stands for. */
    private static final class Fid {
        List<String> path;
        FileChannel file;
        List<Entry> listing;
        /** How the fid was opened: -1 not open, else the Linux open flags (a directory: 0). */
        int openFlags = -1;

        Fid(List<String> path) { this.path = path; }
    }

    private record Entry(String name, Qid qid, int type) {}

    private final SharedTree tree;
    private final Map<Integer, Fid> fids = new HashMap<>();
    private int msize = 8192;

    public P9Server(Path root, boolean readOnly) throws IOException {
        this.tree = new SharedTree(root, readOnly);
    }

    /** The negotiated message size and every fid: its path below the root and how it was opened. */
    public void saveState(StateWriter out) {
        out.i32(msize).i32(fids.size());
        for (Map.Entry<Integer, Fid> e : fids.entrySet()) {
            Fid f = e.getValue();
            out.i32(e.getKey()).i32(f.openFlags).i32(f.path.size());
            for (String name : f.path) out.string(name);
        }
    }

    /**
     * Takes the fids back, reopening open files by path (without truncating them again). A file
     * that is gone or refused now leaves its fid unopened: the guest's next use of it fails with
     * EBADF, as a file that vanished on the host would.
     */
    public void loadState(StateReader in) throws StateException {
        msize = in.i32(4096, MAX_MSIZE, "msize");
        int n = in.i32(0, MAX_FIDS, "fid count");
        for (int i = 0; i < n; i++) {
            int id = in.i32();
            int flags = in.i32();
            int depth = in.i32(0, 4096, "path depth");
            List<String> path = new ArrayList<>();
            for (int k = 0; k < depth; k++) {
                String name = in.string(255, "file name");
                try {
                    path.add(SharedTree.name(name));
                } catch (Errno e) {
                    throw in.fail("holds the file name '" + name + "'");
                }
            }
            Fid f = new Fid(List.copyOf(path));
            fids.put(id, f);
            if (flags < 0) continue;
            try {
                Path p = tree.node(f.path);
                if (Files.isDirectory(p, SharedTree.NOFOLLOW)) {
                    f.openFlags = 0;
                } else {
                    f.file = FileChannel.open(p, new HashSet<>(options(flags & ~O_TRUNC)));
                    f.openFlags = flags;
                }
            } catch (Errno | IOException | RuntimeException e) {
                // left unopened (see above)
            }
        }
    }

    /** Handles one request and returns its reply, at most {@code maxReply} bytes. */
    public byte[] handle(byte[] request, int maxReply) {
        int tag = request.length >= 7 ? (request[5] & 0xff | (request[6] & 0xff) << 8) : 0xffff;
        int limit = Math.max(P9Message.HEADER + 4, Math.min(maxReply, msize));
        try {
            In in = new In(request);
            Out out = new Out(limit);
            int type = dispatch(in, out, limit);
            return out.finish(type + 1, in.tag);
        } catch (Errno e) {
            return new Out(P9Message.HEADER + 4).u32(e.errno).finish(RLERROR, tag);
        } catch (IOException | RuntimeException e) {
            return new Out(P9Message.HEADER + 4).u32(SharedTree.errno(e)).finish(RLERROR, tag);
        }
    }

    private int dispatch(In in, Out out, int limit) throws Errno, IOException {
        switch (in.type) {
            case TVERSION -> version(in, out);
            case TATTACH -> attach(in, out);
            case TWALK -> walk(in, out);
            case TGETATTR -> getattr(in, out);
            case TSETATTR -> setattr(in);
            case TSTATFS -> statfs(in, out);
            case TLOPEN -> lopen(in, out);
            case TLCREATE -> lcreate(in, out);
            case TREAD -> read(in, out, limit);
            case TWRITE -> write(in, out);
            case TREADDIR -> readdir(in, out, limit);
            case TMKDIR -> mkdir(in, out);
            case TSYMLINK -> symlink(in, out);
            case TREADLINK -> out.str(Files.readSymbolicLink(node(in.u32())).toString());
            case TLINK -> link(in);
            case TRENAME -> rename(in);
            case TRENAMEAT -> renameat(in);
            case TUNLINKAT -> unlinkat(in);
            case TREMOVE -> remove(in);
            case TFSYNC -> fsync(in);
            case TCLUNK -> clunk(in.u32());
            case TFLUSH -> { } // requests run one at a time: nothing is in flight to cancel
            case TLOCK -> out.u8(0); // granted
            case TGETLOCK -> getlock(in, out);
            default -> throw new Errno(SharedTree.EOPNOTSUPP); // auth, xattrs, mknod
        }
        return in.type;
    }

    // ---- fids ----

    private Fid fid(int id) throws Errno {
        Fid f = fids.get(id);
        if (f == null) throw new Errno(SharedTree.EBADF);
        return f;
    }

    private Path node(int id) throws Errno { return tree.node(fid(id).path); }

    private Path dir(int id) throws Errno { return tree.dir(fid(id).path); }

    private void newFid(int id, List<String> path) throws Errno {
        if (fids.containsKey(id)) throw new Errno(SharedTree.EBADF);
        if (fids.size() >= MAX_FIDS) throw new Errno(SharedTree.ENOSPC);
        fids.put(id, new Fid(path));
    }

    private static List<String> child(List<String> dir, String name) {
        List<String> p = new ArrayList<>(dir);
        p.add(name);
        return List.copyOf(p);
    }

    private void clunk(int id) {
        Fid f = fids.remove(id);
        if (f != null && f.file != null) {
            try {
                f.file.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    // ---- attributes ----

    private record Attr(int mode, int uid, int gid, long nlink, long rdev, long size, long ino, FileTime atime,
                        FileTime mtime, FileTime ctime) {
        Qid qid() {
            int type = (mode & 0170000) == 0040000 ? Qid.DIR : (mode & 0170000) == 0120000 ? Qid.SYMLINK : Qid.FILE;
            return new Qid(type, (int) mtime.to(TimeUnit.SECONDS), ino);
        }

        int dirType() { return (mode & 0170000) >>> 12; } // DT_* values
    }

    private static Attr attr(Path p) throws IOException {
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,nlink,rdev,size,ino,lastAccessTime,lastModifiedTime,ctime",
                SharedTree.NOFOLLOW);
        return new Attr((Integer) a.get("mode"), (Integer) a.get("uid"), (Integer) a.get("gid"),
                ((Number) a.get("nlink")).longValue(), (Long) a.get("rdev"), (Long) a.get("size"), (Long) a.get("ino"),
                (FileTime) a.get("lastAccessTime"), (FileTime) a.get("lastModifiedTime"), (FileTime) a.get("ctime"));
    }

    private static void time(Out out, FileTime t) {
        long nanos = t.to(TimeUnit.NANOSECONDS);
        out.u64(Math.floorDiv(nanos, 1_000_000_000L)).u64(Math.floorMod(nanos, 1_000_000_000L));
    }

    // ---- requests ----

    private void version(In in, Out out) throws Errno {
        int requested = in.u32();
        String v = in.str();
        for (int id : new ArrayList<>(fids.keySet())) clunk(id);
        msize = Math.max(4096, Math.min(requested, MAX_MSIZE));
        out.u32(msize).str(v.equals(VERSION) ? VERSION : "unknown");
    }

    private void attach(In in, Out out) throws Errno, IOException {
        int id = in.u32();
        in.u32(); // afid: no authentication
        in.str(); // uname
        in.str(); // aname: the share has one tree
        newFid(id, List.of());
        out.qid(attr(tree.root).qid());
    }

    private void walk(In in, Out out) throws Errno, IOException {
        int id = in.u32(), newId = in.u32(), n = in.u16();
        if (n > MAX_WALK) throw new Errno(SharedTree.EINVAL);
        List<String> path = fid(id).path;
        List<Qid> qids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String name = in.str();
            List<String> next;
            if (name.equals("..")) next = path.isEmpty() ? path : path.subList(0, path.size() - 1); // never above the root
            else if (name.equals(".")) next = path;
            else next = child(path, SharedTree.name(name));
            try {
                tree.dir(path); // the walk goes through it: a real directory, no link on the way
                qids.add(attr(tree.node(next)).qid());
            } catch (Errno | IOException e) {
                if (i == 0) throw e;
                break;
            }
            path = List.copyOf(next);
        }
        if (qids.size() == n) {
            if (newId == id) fid(id).path = path;
            else newFid(newId, path);
        }
        out.u16(qids.size());
        for (Qid q : qids) out.qid(q);
    }

    private void getattr(In in, Out out) throws Errno, IOException {
        Attr a = attr(node(in.u32()));
        in.u64(); // request mask: the basic set is always returned
        out.u64(GETATTR_BASIC).qid(a.qid()).u32(a.mode).u32(a.uid).u32(a.gid).u64(a.nlink).u64(a.rdev).u64(a.size)
                .u64(4096).u64((a.size + 511) / 512);
        time(out, a.atime);
        time(out, a.mtime);
        time(out, a.ctime);
        out.u64(0).u64(0).u64(0).u64(0); // btime, gen, data_version
    }

    private void setattr(In in) throws Errno, IOException {
        Path p = node(in.u32());
        int valid = in.u32(), mode = in.u32(), uid = in.u32(), gid = in.u32();
        long size = in.u64(), aSec = in.u64(), aNsec = in.u64(), mSec = in.u64(), mNsec = in.u64();
        tree.writable();
        if ((valid & SET_MODE) != 0) Files.setAttribute(p, "unix:mode", mode & 07777, SharedTree.NOFOLLOW);
        if ((valid & SET_UID) != 0) Files.setAttribute(p, "unix:uid", uid, SharedTree.NOFOLLOW);
        if ((valid & SET_GID) != 0) Files.setAttribute(p, "unix:gid", gid, SharedTree.NOFOLLOW);
        if ((valid & SET_SIZE) != 0) {
            if (size < 0) throw new Errno(SharedTree.EINVAL);
            regularFile(p);
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                if (size < ch.size()) ch.truncate(size);
                else if (size > ch.size()) ch.write(ByteBuffer.allocate(1), size - 1);
            }
        }
        if ((valid & (SET_ATIME | SET_MTIME)) != 0) {
            FileTime now = FileTime.fromMillis(System.currentTimeMillis());
            FileTime at = (valid & SET_ATIME) == 0 ? null : (valid & SET_ATIME_SET) != 0 ? nanos(aSec, aNsec) : now;
            FileTime mt = (valid & SET_MTIME) == 0 ? null : (valid & SET_MTIME_SET) != 0 ? nanos(mSec, mNsec) : now;
            Files.getFileAttributeView(p, BasicFileAttributeView.class, SharedTree.NOFOLLOW).setTimes(mt, at, null);
        }
    }

    private static FileTime nanos(long sec, long nsec) {
        return FileTime.from(java.time.Instant.ofEpochSecond(sec, nsec));
    }

    private void statfs(In in, Out out) throws Errno, IOException {
        dir(in.u32());
        FileStore s = Files.getFileStore(tree.root);
        long bs = 4096;
        out.u32(0x01021997).u32((int) bs).u64(s.getTotalSpace() / bs).u64(s.getUnallocatedSpace() / bs)
                .u64(s.getUsableSpace() / bs).u64(1 << 20).u64(1 << 20).u64(0).u32(255);
    }

    /** Only regular files are opened: a link fails ELOOP, a FIFO or device EPERM (they could block or reach the host). */
    private static void regularFile(Path p) throws Errno, IOException {
        Attr a = attr(p);
        switch (a.mode & 0170000) {
            case 0100000 -> { }
            case 0120000 -> throw new Errno(SharedTree.ELOOP);
            case 0040000 -> throw new Errno(SharedTree.EISDIR);
            default -> throw new Errno(SharedTree.EPERM);
        }
    }

    private static List<OpenOption> options(int flags) {
        List<OpenOption> o = new ArrayList<>(List.of(java.nio.file.LinkOption.NOFOLLOW_LINKS));
        int acc = flags & O_ACCMODE;
        if (acc != O_WRONLY) o.add(StandardOpenOption.READ);
        if (acc == O_WRONLY || acc == O_RDWR) o.add(StandardOpenOption.WRITE);
        if ((flags & O_TRUNC) != 0 && o.contains(StandardOpenOption.WRITE)) o.add(StandardOpenOption.TRUNCATE_EXISTING);
        return o;
    }

    private void lopen(In in, Out out) throws Errno, IOException {
        Fid f = fid(in.u32());
        int flags = in.u32();
        Path p = tree.node(f.path);
        Attr a = attr(p);
        if (f.file != null || f.listing != null) throw new Errno(SharedTree.EBADF);
        if ((a.mode & 0170000) == 0040000) {
            if ((flags & O_ACCMODE) != 0) throw new Errno(SharedTree.EISDIR);
            tree.dir(f.path);
            f.listing = null;
            f.openFlags = 0;
        } else {
            regularFile(p);
            if ((flags & O_ACCMODE) != 0 || (flags & O_TRUNC) != 0) tree.writable();
            f.file = FileChannel.open(p, new HashSet<>(options(flags)));
            f.openFlags = flags;
        }
        out.qid(a.qid()).u32(0);
    }

    private void lcreate(In in, Out out) throws Errno, IOException {
        Fid f = fid(in.u32());
        String name = SharedTree.name(in.str());
        in.u32(); // flags: the new file is open for reading and writing whatever was asked
        int mode = in.u32();
        in.u32(); // gid: files belong to whoever runs jvisor
        tree.writable();
        Path p = tree.dir(f.path).resolve(name);
        FileChannel ch = FileChannel.open(p, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE, java.nio.file.LinkOption.NOFOLLOW_LINKS));
        Files.setAttribute(p, "unix:mode", mode & 07777, SharedTree.NOFOLLOW);
        f.path = child(f.path, name);
        f.file = ch;
        f.openFlags = O_RDWR;
        out.qid(attr(p).qid()).u32(0);
    }

    private void read(In in, Out out, int limit) throws Errno, IOException {
        Fid f = fid(in.u32());
        long offset = in.u64();
        int count = in.u32();
        if (f.file == null) throw new Errno(SharedTree.EBADF);
        int n = Math.max(0, Math.min(count, limit - P9Message.HEADER - 4));
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            int k = f.file.read(buf, offset + buf.position());
            if (k <= 0) break;
        }
        out.u32(buf.position()).bytes(buf.flip());
    }

    private void write(In in, Out out) throws Errno, IOException {
        Fid f = fid(in.u32());
        long offset = in.u64();
        int count = in.u32();
        ByteBuffer data = in.bytes(count);
        if (f.file == null) throw new Errno(SharedTree.EBADF);
        tree.writable();
        int done = 0;
        while (data.hasRemaining()) done += f.file.write(data, offset + done);
        out.u32(done);
    }

    private void readdir(In in, Out out, int limit) throws Errno, IOException {
        Fid f = fid(in.u32());
        long offset = in.u64();
        int count = in.u32();
        Path d = tree.dir(f.path);
        if (offset == 0 || f.listing == null) f.listing = list(d, f.path);
        int room = Math.min(count, limit - P9Message.HEADER - 4);
        Out entries = new Out(Math.max(room, 0) + P9Message.HEADER);
        for (long i = offset; i < f.listing.size(); i++) {
            Entry e = f.listing.get((int) i);
            int size = 13 + 8 + 1 + 2 + e.name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
            if (entries.remaining() < size) break;
            entries.qid(e.qid).u64(i + 1).u8(e.type).str(e.name);
        }
        out.u32(entries.position() - P9Message.HEADER).bytes(entries.body());
    }

    /** A directory's entries, "." and ".." first (at the root ".." is the root), then by name. */
    private List<Entry> list(Path d, List<String> path) throws IOException {
        List<Entry> out = new ArrayList<>();
        Attr self = attr(d);
        out.add(new Entry(".", self.qid(), self.dirType()));
        Attr parent = path.isEmpty() ? self : attr(d.getParent());
        out.add(new Entry("..", parent.qid(), parent.dirType()));
        List<Path> names = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
            for (Path p : s) names.add(p);
        }
        names.sort(null);
        for (Path p : names) {
            try {
                Attr a = attr(p);
                out.add(new Entry(p.getFileName().toString(), a.qid(), a.dirType()));
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return out;
    }

    private void mkdir(In in, Out out) throws Errno, IOException {
        Path d = dir(in.u32());
        String name = SharedTree.name(in.str());
        int mode = in.u32();
        in.u32(); // gid
        tree.writable();
        Path p = Files.createDirectory(d.resolve(name));
        Files.setAttribute(p, "unix:mode", mode & 07777, SharedTree.NOFOLLOW);
        out.qid(attr(p).qid());
    }

    private void symlink(In in, Out out) throws Errno, IOException {
        Path d = dir(in.u32());
        String name = SharedTree.name(in.str());
        String target = in.str();
        in.u32(); // gid
        tree.writable();
        if (target.isEmpty() || target.indexOf('\0') >= 0) throw new Errno(SharedTree.EINVAL);
        // Stored as the guest wrote it: jvisor never follows it; the guest resolves it in its own tree.
        Path p = Files.createSymbolicLink(d.resolve(name), Path.of(target));
        out.qid(attr(p).qid());
    }

    private void link(In in) throws Errno, IOException {
        Path d = dir(in.u32());
        Path existing = node(in.u32());
        String name = SharedTree.name(in.str());
        tree.writable();
        if (Files.isDirectory(existing, SharedTree.NOFOLLOW)) throw new Errno(SharedTree.EPERM);
        Files.createLink(d.resolve(name), existing);
    }

    private void rename(In in) throws Errno, IOException {
        Fid f = fid(in.u32());
        Fid dfid = fid(in.u32());
        String name = SharedTree.name(in.str());
        move(f.path, child(dfid.path, name));
    }

    private void renameat(In in) throws Errno, IOException {
        List<String> oldDir = fid(in.u32()).path;
        String oldName = SharedTree.name(in.str());
        List<String> newDir = fid(in.u32()).path;
        String newName = SharedTree.name(in.str());
        move(child(oldDir, oldName), child(newDir, newName));
    }

    /** Renames, then points every fid below the old path at the new one. */
    private void move(List<String> from, List<String> to) throws Errno, IOException {
        tree.writable();
        if (from.isEmpty()) throw new Errno(SharedTree.EBUSY);
        tree.dir(from.subList(0, from.size() - 1));
        tree.dir(to.subList(0, to.size() - 1));
        Files.move(tree.node(from), tree.node(to), StandardCopyOption.ATOMIC_MOVE);
        for (Fid f : fids.values()) {
            if (f.path.size() >= from.size() && f.path.subList(0, from.size()).equals(from)) {
                List<String> p = new ArrayList<>(to);
                p.addAll(f.path.subList(from.size(), f.path.size()));
                f.path = List.copyOf(p);
            }
        }
    }

    private void unlinkat(In in) throws Errno, IOException {
        Path d = dir(in.u32());
        String name = SharedTree.name(in.str());
        int flags = in.u32();
        tree.writable();
        Path p = d.resolve(name);
        boolean isDir = Files.isDirectory(p, SharedTree.NOFOLLOW);
        if ((flags & AT_REMOVEDIR) != 0 && !isDir) throw new Errno(Files.exists(p, SharedTree.NOFOLLOW) ? SharedTree.ENOTDIR : SharedTree.ENOENT);
        if ((flags & AT_REMOVEDIR) == 0 && isDir) throw new Errno(SharedTree.EISDIR);
        Files.delete(p);
    }

    private void remove(In in) throws Errno, IOException {
        int id = in.u32();
        try {
            Fid f = fid(id);
            tree.writable();
            if (f.path.isEmpty()) throw new Errno(SharedTree.EBUSY);
            Files.delete(tree.node(f.path));
        } finally {
            clunk(id); // remove clunks the fid even when it fails
        }
    }

    private void fsync(In in) throws Errno, IOException {
        Fid f = fid(in.u32());
        if (f.file != null && !tree.readOnly) f.file.force(true);
    }

    private void getlock(In in, Out out) throws Errno {
        fid(in.u32());
        in.u8();
        long start = in.u64(), length = in.u64();
        int proc = in.u32();
        String client = in.str();
        out.u8(2).u64(start).u64(length).u32(proc).str(client); // F_UNLCK: nobody else holds locks
    }
}
