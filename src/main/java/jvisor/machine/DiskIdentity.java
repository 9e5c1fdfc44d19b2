package jvisor.machine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.zip.CRC32;

/**
 * Tells whether a disk image is the one a snapshot was taken with: its size, its modification
 * time and a checksum of its first and last 64 KiB (where formats keep their headers and
 * tables). A guest's disk and its RAM must match, so restore refuses an image that changed.
 * Copies keep their identity when the copy keeps the modification time (cp -p, rsync -t).
 */
record DiskIdentity(long size, long modifiedMillis, long fingerprint) {
    private static final int SAMPLE = 64 << 10;

    static DiskIdentity of(Path file) throws IOException {
        long size = Files.size(file);
        long modified = Files.getLastModifiedTime(file).toMillis();
        CRC32 crc = new CRC32();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            sample(ch, 0, crc);
            sample(ch, Math.max(0, size - SAMPLE), crc);
        }
        return new DiskIdentity(size, modified, crc.getValue());
    }

    private static void sample(FileChannel ch, long at, CRC32 crc) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(SAMPLE);
        while (b.hasRemaining()) {
            int n = ch.read(b, at + b.position());
            if (n < 0) break;
        }
        crc.update(b.flip());
    }

    /** Null if {@code now} is this disk, else what differs, for the user. */
    String difference(DiskIdentity now) {
        if (now.size != size) return "its size is " + now.size + " bytes, the snapshot expects " + size;
        if (now.fingerprint != fingerprint) return "its contents changed since the snapshot was taken";
        if (now.modifiedMillis != modifiedMillis) {
            return "it was modified at " + Instant.ofEpochMilli(now.modifiedMillis) + ", after the snapshot (taken with the"
                    + " version of " + Instant.ofEpochMilli(modifiedMillis) + "); a copy must keep its modification time (cp -p)";
        }
        return null;
    }
}
