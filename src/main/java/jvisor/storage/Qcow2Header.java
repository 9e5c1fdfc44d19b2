package jvisor.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * The qcow2 header (QEMU docs/interop/qcow2.txt, "Header" and "Header extensions"), checked
 * field by field so a damaged or foreign image is refused with a message naming the file and the
 * field, before any of its offsets is trusted. All numbers are big-endian.
 *
 * <pre>
 *    0 magic "QFI\xfb"            36 l1_size                   72 incompatible_features (v3)
 *    4 version (2, 3)             40 l1_table_offset           80 compatible_features
 *    8 backing_file_offset        48 refcount_table_offset     88 autoclear_features
 *   16 backing_file_size          56 refcount_table_clusters   96 refcount_order
 *   20 cluster_bits               60 nb_snapshots             100 header_length
 *   24 size                       64 snapshots_offset         104 compression_type
 *   32 crypt_method
 * </pre>
 * Header extensions follow (u32 type, u32 length, data padded to 8); the backing file name lies
 * after them, inside the first cluster.
 */
final class Qcow2Header {
    static final int MAGIC = 0x514649fb;
    static final long INCOMPAT_DIRTY = 1, INCOMPAT_CORRUPT = 2, INCOMPAT_DATA_FILE = 4, INCOMPAT_COMPRESSION = 8,
            INCOMPAT_EXTL2 = 16;
    static final int EXT_END = 0, EXT_BACKING_FORMAT = 0xe2792aca, EXT_DATA_FILE = 0x44415441;
    static final int V2_LENGTH = 72, V3_LENGTH = 104, CREATED_LENGTH = 112;
    static final long MAX_L1_BYTES = 32L << 20, MAX_REFCOUNT_TABLE_BYTES = 8L << 20;
    static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;

    int version, clusterBits, l1Size, refcountTableClusters, nbSnapshots, refcountOrder, headerLength;
    long size, l1Offset, refcountTableOffset, incompatible, compatible, autoclear;
    String backingFile, backingFormat;

    long clusterSize() { return 1L << clusterBits; }

    /** L2 entries per table (one cluster of 8-byte entries). */
    int l2Bits() { return clusterBits - 3; }

    /** Reads and checks the header of {@code f}. */
    static Qcow2Header read(ImageFile f) throws IOException {
        long fileSize = f.size();
        if (fileSize < V2_LENGTH) {
            throw new IOException(f.path + ": truncated image: " + fileSize + " bytes, a qcow2 header needs " + V2_LENGTH);
        }
        ByteBuffer b = ByteBuffer.wrap(f.read(0, (int) Math.min(fileSize, 4096), "header")).order(ByteOrder.BIG_ENDIAN);
        if (b.getInt(0) != MAGIC) throw new IOException(f.path + ": not a qcow2 image (bad magic)");
        Qcow2Header h = new Qcow2Header();
        h.version = b.getInt(4);
        if (h.version != 2 && h.version != 3) throw new IOException(f.path + ": qcow2 version " + h.version + " is not supported (2 or 3)");
        h.clusterBits = b.getInt(20);
        if (h.clusterBits < 9 || h.clusterBits > 21) {
            throw new IOException(f.path + ": corrupt image: cluster_bits " + h.clusterBits + " (must be 9 to 21)");
        }
        long cs = h.clusterSize();
        if (h.version == 3) {
            if (b.limit() < V3_LENGTH) throw new IOException(f.path + ": truncated image: the qcow2 v3 header needs " + V3_LENGTH + " bytes");
            h.incompatible = b.getLong(72);
            h.compatible = b.getLong(80);
            h.autoclear = b.getLong(88);
            h.refcountOrder = b.getInt(96);
            h.headerLength = b.getInt(100);
            if (h.headerLength < V3_LENGTH || h.headerLength % 8 != 0 || h.headerLength > Math.min(cs, b.limit())) {
                throw new IOException(f.path + ": corrupt image: header_length " + h.headerLength);
            }
        } else {
            h.refcountOrder = 4;
            h.headerLength = V2_LENGTH;
        }
        if (h.refcountOrder < 0 || h.refcountOrder > 6) throw new IOException(f.path + ": corrupt image: refcount_order " + h.refcountOrder);
        if (b.getInt(32) != 0) throw new IOException(f.path + ": encrypted qcow2 images are not supported");

        long unknown = h.incompatible & ~(INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2);
        if (unknown != 0) throw new IOException(f.path + ": unsupported qcow2 incompatible features 0x" + Long.toHexString(unknown));
        if ((h.incompatible & INCOMPAT_DATA_FILE) != 0) throw new IOException(f.path + ": qcow2 external data files are not supported");
        if ((h.incompatible & INCOMPAT_EXTL2) != 0) throw new IOException(f.path + ": qcow2 extended L2 entries (subclusters) are not supported");
        if ((h.incompatible & INCOMPAT_COMPRESSION) != 0) {
            int type = h.headerLength > 104 ? b.get(104) & 0xff : 0;
            if (type != 0) throw new IOException(f.path + ": qcow2 compression type " + type + " (zstd) is not supported, only zlib");
        }

        h.size = b.getLong(24);
        if (h.size < 0 || h.size > 1L << 56) throw new IOException(f.path + ": corrupt image: virtual size " + h.size);
        h.l1Size = b.getInt(36);
        h.l1Offset = b.getLong(40);
        long l2Covers = cs << h.l2Bits();
        long l1Needed = (h.size + l2Covers - 1) / l2Covers;
        if (h.l1Size < 0 || h.l1Size < l1Needed || 8L * h.l1Size > MAX_L1_BYTES) {
            throw new IOException(f.path + ": corrupt image: L1 table of " + (h.l1Size & 0xffff_ffffL)
                    + " entries for a virtual size of " + h.size + " bytes");
        }
        checkTable(f, "L1 table", h.l1Offset, 8L * h.l1Size, cs, fileSize);

        h.refcountTableOffset = b.getLong(48);
        h.refcountTableClusters = b.getInt(56);
        if (h.refcountTableClusters <= 0 || h.refcountTableClusters * cs > MAX_REFCOUNT_TABLE_BYTES) {
            throw new IOException(f.path + ": corrupt image: refcount table of " + (h.refcountTableClusters & 0xffff_ffffL) + " clusters");
        }
        checkTable(f, "refcount table", h.refcountTableOffset, h.refcountTableClusters * cs, cs, fileSize);
        h.nbSnapshots = b.getInt(60);

        ByteBuffer first = b.limit() >= Math.min(cs, fileSize) ? b
                : ByteBuffer.wrap(f.read(0, (int) Math.min(cs, fileSize), "header cluster")).order(ByteOrder.BIG_ENDIAN);
        h.readExtensions(f, first);
        long backingOffset = b.getLong(8);
        int backingSize = b.getInt(16);
        if (backingOffset != 0) {
            if (backingSize <= 0 || backingSize > 1023 || backingOffset < h.headerLength || backingOffset + backingSize > first.limit()) {
                throw new IOException(f.path + ": corrupt image: backing file name at " + backingOffset + " (" + backingSize + " bytes)");
            }
            byte[] name = new byte[backingSize];
            first.get((int) backingOffset, name);
            h.backingFile = new String(name, StandardCharsets.UTF_8);
        }
        return h;
    }

    private static void checkTable(ImageFile f, String what, long offset, long bytes, long cs, long fileSize) throws IOException {
        if (bytes == 0) return;
        if (offset <= 0 || offset % cs != 0) throw new IOException(String.format("%s: corrupt image: %s at unaligned offset 0x%x", f.path, what, offset));
        if (offset > fileSize || bytes > fileSize - offset) {
            throw new IOException(String.format("%s: truncated image: %s at 0x%x (%d bytes) lies past the end of the file (%d bytes)",
                    f.path, what, offset, bytes, fileSize));
        }
    }

    private void readExtensions(ImageFile f, ByteBuffer first) throws IOException {
        int p = headerLength;
        while (version == 3 && p + 8 <= first.limit()) {
            int type = first.getInt(p);
            long len = first.getInt(p + 4) & 0xffff_ffffL;
            if (type == EXT_END) return;
            if (len > first.limit() - p - 8) throw new IOException(f.path + ": corrupt image: header extension 0x" + Integer.toHexString(type) + " overruns the first cluster");
            if (type == EXT_BACKING_FORMAT) {
                byte[] s = new byte[(int) len];
                first.get(p + 8, s);
                backingFormat = new String(s, StandardCharsets.UTF_8);
            }
            p += 8 + (int) ((len + 7) & ~7L);
        }
    }

    /**
     * Writes a fresh, empty version 3 image of {@code size} bytes into {@code f} (which must be
     * empty), laid out as qemu-img does: header, refcount table, one refcount block, L1 table.
     * {@code backing} (may be null) is stored as given, with its format name.
     */
    static void create(ImageFile f, long size, int clusterBits, String backing, String backingFormat) throws IOException {
        long cs = 1L << clusterBits;
        long l2Covers = cs << (clusterBits - 3);
        int l1Size = (int) Math.max(1, (size + l2Covers - 1) / l2Covers);
        long l1Clusters = (8L * l1Size + cs - 1) / cs;
        long refTable = cs, refBlock = 2 * cs, l1 = 3 * cs;
        long clusters = 3 + l1Clusters;
        if (clusters > cs * 8 / 16) throw new IOException(f.path + ": image too large for one refcount block at creation");

        ByteBuffer h = ByteBuffer.allocate((int) cs).order(ByteOrder.BIG_ENDIAN);
        h.putInt(0, MAGIC).putInt(4, 3).putInt(20, clusterBits).putLong(24, size)
                .putInt(36, l1Size).putLong(40, l1).putLong(48, refTable).putInt(56, 1)
                .putInt(96, 4).putInt(100, CREATED_LENGTH);
        int p = CREATED_LENGTH;
        if (backing != null) {
            byte[] fmt = backingFormat.getBytes(StandardCharsets.UTF_8);
            h.putInt(p, EXT_BACKING_FORMAT).putInt(p + 4, fmt.length).put(p + 8, fmt);
            p += 8 + ((fmt.length + 7) & ~7);
        }
        h.putInt(p, EXT_END).putInt(p + 4, 0);
        p += 8;
        if (backing != null) {
            byte[] name = backing.getBytes(StandardCharsets.UTF_8);
            if (name.length > 1023 || p + name.length > cs) throw new IOException("backing file name too long: " + backing);
            h.put(p, name).putLong(8, p).putInt(16, name.length);
        }
        f.writeFully(0, h);
        ByteBuffer table = ByteBuffer.allocate((int) cs).order(ByteOrder.BIG_ENDIAN).putLong(0, refBlock);
        f.writeFully(refTable, table);
        ByteBuffer block = ByteBuffer.allocate((int) cs).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < clusters; i++) block.putShort(2 * i, (short) 1);
        f.writeFully(refBlock, block);
        f.writeFully(l1, ByteBuffer.allocate((int) (l1Clusters * cs)));
    }
}
