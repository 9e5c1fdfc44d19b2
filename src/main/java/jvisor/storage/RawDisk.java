package jvisor.storage;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A raw image: the file's bytes are the disk's bytes. Reads and writes go straight to the file
 * (positional {@link FileChannel} I/O into guest memory); flush is {@code fsync}.
 */
public final class RawDisk implements Disk {
    private final Path path;
    private final FileChannel file;
    private final boolean readOnly;
    private final long size;

    private RawDisk(Path path, FileChannel file, boolean readOnly, long size) {
        this.path = path;
        this.file = file;
        this.readOnly = readOnly;
        this.size = size;
    }

    public static RawDisk open(Path path, boolean readOnly) throws IOException {
        FileChannel ch = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new RawDisk(path, ch, readOnly, ch.size());
    }

    @Override public String name() { return path.toString(); }
    @Override public long size() { return size; }
    @Override public boolean readOnly() { return readOnly; }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = file.read(dst, pos);
            if (n < 0) {
                // the file shrank under us: what is missing reads as zeros, like a hole
                if (pos < size) {
                    while (dst.hasRemaining()) dst.put((byte) 0);
                    return;
                }
                throw new EOFException(path + ": read past the end at " + pos);
            }
            pos += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        if (readOnly) throw new IOException(path + " is read-only");
        long pos = offset;
        while (src.hasRemaining()) pos += file.write(src, pos);
    }

    @Override
    public void flush() throws IOException {
        if (!readOnly) file.force(true);
    }

    @Override
    public void writeZeroes(long offset, long length, boolean unmap) throws IOException {
        Disk.writeZeroBytes(this, offset, length);
    }

    @Override
    public void discard(long offset, long length) {
        // Java cannot punch holes; discard is advisory (virtio 1.2 §5.2.6.2), so nothing is done.
    }

    @Override
    public void close() throws IOException { file.close(); }
}
