package jvisor.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An image file opened for positional I/O, whose errors name the file: a read past the end is a
 * "truncated" image, not a silent zero. Big-endian helpers for image metadata.
 */
final class ImageFile implements AutoCloseable {
    final Path path;
    final FileChannel channel;
    final boolean readOnly;

    private ImageFile(Path path, FileChannel channel, boolean readOnly) {
        this.path = path;
        this.channel = channel;
        this.readOnly = readOnly;
    }

    static ImageFile open(Path path, boolean readOnly) throws IOException {
        FileChannel ch = readOnly ? FileChannel.open(path, StandardOpenOption.READ)
                : FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new ImageFile(path, ch, readOnly);
    }

    long size() throws IOException { return channel.size(); }

    /** Fills {@code dst} from {@code pos}; {@code what} names the structure for the error message. */
    void readFully(long pos, ByteBuffer dst, String what) throws IOException {
        long p = pos;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, p);
            if (n < 0) {
                throw new IOException(String.format("%s: truncated image: %s at 0x%x lies past the end of the file (%d bytes)",
                        path, what, pos, channel.size()));
            }
            p += n;
        }
    }

    byte[] read(long pos, int len, String what) throws IOException {
        byte[] b = new byte[len];
        readFully(pos, ByteBuffer.wrap(b), what);
        return b;
    }

    void writeFully(long pos, ByteBuffer src) throws IOException {
        if (readOnly) throw new IOException(path + " is open read-only");
        long p = pos;
        while (src.hasRemaining()) p += channel.write(src, p);
    }

    void write(long pos, byte[] data) throws IOException { writeFully(pos, ByteBuffer.wrap(data)); }

    void writeLong(long pos, long v) throws IOException {
        writeFully(pos, ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putLong(0, v));
    }

    long[] readLongs(long pos, int count, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8 * count).order(ByteOrder.BIG_ENDIAN);
        readFully(pos, b, what);
        long[] out = new long[count];
        b.flip().asLongBuffer().get(out);
        return out;
    }

    void force() throws IOException { channel.force(true); }

    IOException corrupt(String format, Object... args) {
        return new IOException(path + ": corrupt image: " + String.format(format, args));
    }

    @Override
    public void close() throws IOException { channel.close(); }
}
