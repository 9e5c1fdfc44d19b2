package jvisor.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Host cluster management of a writable qcow2 image (qcow2.txt, "Host cluster management"): a
 * refcount table of refcount block offsets, each block a cluster of {@code refcount_bits}-wide
 * counts. New clusters are always taken at the end of the file; a cluster whose count drops to 0
 * is free (a hole, never reused). Refcount blocks and the table grow on demand; every change is
 * written through at once, so a cleanly closed image checks clean with {@code qemu-img check}.
 *
 * <p>Order of writes when something new is needed: the new block or table is written first, then
 * linked, then its own count is set, so a crash can leak clusters but never lose referenced ones.
 */
final class Qcow2Refcounts {
    private static final int CACHED_BLOCKS = 64;

    private final ImageFile f;
    private final int clusterBits;
    private final long clusterSize;
    private final int bits;          // refcount_bits
    private final int entriesBits;   // log2 of counts per block
    private long tableOffset;
    private long[] table;
    private long end;                // first byte past every allocated cluster
    private final Map<Long, byte[]> blocks = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, byte[]> e) { return size() > CACHED_BLOCKS; }
    };

    Qcow2Refcounts(ImageFile f, Qcow2Header h) throws IOException {
        this.f = f;
        this.clusterBits = h.clusterBits;
        this.clusterSize = h.clusterSize();
        this.bits = 1 << h.refcountOrder;
        this.entriesBits = clusterBits + 3 - h.refcountOrder;
        this.tableOffset = h.refcountTableOffset;
        this.table = f.readLongs(tableOffset, (int) (h.refcountTableClusters * clusterSize / 8), "refcount table");
        for (int i = 0; i < table.length; i++) {
            long b = table[i];
            if ((b & (clusterSize - 1)) != 0 || b < 0) throw f.corrupt("refcount table entry %d = 0x%x is not cluster-aligned", i, b);
        }
        this.end = (f.size() + clusterSize - 1) & -clusterSize;
    }

    /** Where the next allocated cluster goes. */
    long end() { return end; }

    private long maxCount() { return bits == 64 ? Long.MAX_VALUE : (1L << bits) - 1; }

    private byte[] block(long offset) throws IOException {
        byte[] b = blocks.get(offset);
        if (b == null) {
            b = f.read(offset, (int) clusterSize, "refcount block");
            blocks.put(offset, b);
        }
        return b;
    }

    /** The refcount of host cluster number {@code cluster}. */
    long get(long cluster) throws IOException {
        long ti = cluster >>> entriesBits;
        if (ti >= table.length || table[(int) ti] == 0) return 0;
        return entry(block(table[(int) ti]), cluster & ((1L << entriesBits) - 1));
    }

    private long entry(byte[] blk, long idx) {
        if (bits >= 8) {
            int bytes = bits / 8, at = (int) (idx * bytes);
            long v = 0;
            for (int i = 0; i < bytes; i++) v = v << 8 | (blk[at + i] & 0xff);
            return v;
        }
        long bit = idx * bits;
        return (blk[(int) (bit >>> 3)] >>> (bit & 7)) & ((1 << bits) - 1);
    }

    /** Sets the refcount of host cluster {@code cluster}, growing the structures if needed. */
    void set(long cluster, long value) throws IOException {
        if (value < 0 || value > maxCount()) {
            throw new IOException(f.path + ": refcount of cluster " + cluster + " would be " + value + " (" + bits + "-bit counts)");
        }
        long ti = cluster >>> entriesBits;
        if (ti >= table.length) growTable(ti + 1);
        if (table[(int) ti] == 0) newBlock((int) ti);
        long blockOffset = table[(int) ti];
        byte[] blk = block(blockOffset);
        long idx = cluster & ((1L << entriesBits) - 1);
        int at, len;
        if (bits >= 8) {
            len = bits / 8;
            at = (int) (idx * len);
            for (int i = len - 1, v = 0; i >= 0; i--, v++) blk[at + i] = (byte) (value >>> (8 * v));
        } else {
            long bit = idx * bits;
            at = (int) (bit >>> 3);
            len = 1;
            int mask = ((1 << bits) - 1) << (bit & 7);
            blk[at] = (byte) (blk[at] & ~mask | (int) (value << (bit & 7)) & mask);
        }
        f.write(blockOffset + at, Arrays.copyOfRange(blk, at, at + len));
    }

    /** Adds {@code delta} to the refcount of the cluster holding byte {@code offset}. */
    void adjust(long offset, long delta) throws IOException {
        long c = offset >>> clusterBits;
        long v = get(c) + delta;
        if (v < 0) throw f.corrupt("refcount of cluster at 0x%x drops below zero", offset);
        set(c, v);
    }

    /** Allocates {@code n} contiguous clusters at the end of the file with refcount 1; returns the offset of the first. */
    long allocate(int n) throws IOException {
        long off = end;
        end += n * clusterSize;
        for (int i = 0; i < n; i++) set((off >>> clusterBits) + i, 1);
        return off;
    }

    /** A zeroed refcount block for table slot {@code ti}, linked, and counted itself. */
    private void newBlock(int ti) throws IOException {
        long b = end;
        end += clusterSize;
        byte[] blk = new byte[(int) clusterSize];
        f.write(b, blk);
        blocks.put(b, blk);
        table[ti] = b;
        f.writeLong(tableOffset + 8L * ti, b);
        set(b >>> clusterBits, 1); // lands in this block when it covers itself
    }

    /**
     * Moves the refcount table to a bigger copy at the end of the file: write it, switch to it,
     * count its clusters, point the header at it (one write of offset and size), free the old one.
     */
    private void growTable(long minEntries) throws IOException {
        long entries = Math.max(minEntries + 1, table.length * 2L);
        long clusters = (entries * 8 + clusterSize - 1) / clusterSize;
        if (clusters * clusterSize > Qcow2Header.MAX_REFCOUNT_TABLE_BYTES) throw new IOException(f.path + ": image too large (refcount table limit)");
        long oldOffset = tableOffset;
        long oldClusters = table.length * 8L / clusterSize;
        long newOffset = end;
        end += clusters * clusterSize;
        long[] grown = Arrays.copyOf(table, (int) (clusters * clusterSize / 8));
        ByteBuffer buf = ByteBuffer.allocate(grown.length * 8).order(ByteOrder.BIG_ENDIAN);
        buf.asLongBuffer().put(grown);
        f.writeFully(newOffset, buf);
        table = grown;
        tableOffset = newOffset;
        for (long i = 0; i < clusters; i++) set((newOffset >>> clusterBits) + i, 1);
        ByteBuffer header = ByteBuffer.allocate(12).order(ByteOrder.BIG_ENDIAN).putLong(0, newOffset).putInt(8, (int) clusters);
        f.writeFully(48, header); // refcount_table_offset, refcount_table_clusters
        for (long i = 0; i < oldClusters; i++) adjust(oldOffset + i * clusterSize, -1);
    }
}
