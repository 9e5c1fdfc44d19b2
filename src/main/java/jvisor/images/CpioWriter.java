package jvisor.images;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveOutputStream;
import org.apache.commons.compress.archivers.cpio.CpioConstants;

/**
 * Writes a gzip-compressed cpio archive in the "newc" format, the one Linux unpacks as an
 * initramfs. Entries are owned by root and carry one fixed time, so equal inputs give equal
 * archives.
 */
final class CpioWriter implements AutoCloseable {
    private static final int S_IFMT = 0170000;
    private static final int S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000, S_IFCHR = 0020000;

    private final CpioArchiveOutputStream cpio;
    private final long mtime;

    CpioWriter(OutputStream out, long mtimeSeconds) throws IOException {
        this.cpio = new CpioArchiveOutputStream(new GZIPOutputStream(out, 1 << 16), CpioConstants.FORMAT_NEW,
                CpioConstants.BLOCK_SIZE, StandardCharsets.UTF_8.name());
        this.mtime = mtimeSeconds;
    }

    void directory(String path) throws IOException {
        put(entry(path, S_IFDIR | 0755, 0), null);
    }

    void file(String path, int permissions, byte[] data) throws IOException {
        put(entry(path, S_IFREG | permissions, data.length), data);
    }

    void symlink(String path, String target) throws IOException {
        byte[] t = target.getBytes(StandardCharsets.UTF_8);
        put(entry(path, S_IFLNK | 0777, t.length), t);
    }

    void charDevice(String path, int permissions, int major, int minor) throws IOException {
        CpioArchiveEntry e = entry(path, S_IFCHR | permissions, 0);
        e.setRemoteDeviceMaj(major);
        e.setRemoteDeviceMin(minor);
        put(e, null);
    }

    private CpioArchiveEntry entry(String path, int mode, long size) {
        CpioArchiveEntry e = new CpioArchiveEntry(CpioConstants.FORMAT_NEW, path, size);
        e.setMode(mode);
        e.setNumberOfLinks((mode & S_IFMT) == S_IFDIR ? 2 : 1);
        e.setTime(mtime);
        return e;
    }

    private void put(CpioArchiveEntry e, byte[] data) throws IOException {
        cpio.putArchiveEntry(e);
        if (data != null) cpio.write(data);
        cpio.closeArchiveEntry();
    }

    @Override
    public void close() throws IOException {
        cpio.close();
    }
}
