package jvisor.storage;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A virtual disk as the block device sees it: a run of bytes that can be read, written and made
 * durable. Offsets and lengths are in bytes; callers keep requests inside {@link #size()}. An
 * {@link IOException} fails one request (the guest sees an I/O error); its message names the
 * image file. Not thread-safe: one device worker uses a disk.
 */
public interface Disk extends AutoCloseable {
    /** The image file, for messages. */
    String name();

    /** Virtual size in bytes. */
    long size();

    boolean readOnly();

    /** Fills {@code dst} (all of its remaining bytes) from {@code offset}. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes all remaining bytes of {@code src} at {@code offset}. */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Makes every completed write durable (fsync): the guest's flush. */
    void flush() throws IOException;

    /** Makes {@code [offset, offset+length)} read as zeros; {@code unmap} allows freeing the space. */
    void writeZeroes(long offset, long length, boolean unmap) throws IOException;

    /** The guest no longer needs {@code [offset, offset+length)}; contents become unspecified. May do nothing. */
    void discard(long offset, long length) throws IOException;

    @Override
    void close() throws IOException;

    /** Writes zeros through {@link #write}, in chunks (for formats without a cheaper way). */
    static void writeZeroBytes(Disk d, long offset, long length) throws IOException {
        ByteBuffer zeros = ByteBuffer.allocateDirect((int) Math.min(length, 1 << 20));
        for (long done = 0; done < length; ) {
            int n = (int) Math.min(length - done, zeros.capacity());
            zeros.clear().limit(n);
            d.write(offset + done, zeros);
            done += n;
        }
    }
}
