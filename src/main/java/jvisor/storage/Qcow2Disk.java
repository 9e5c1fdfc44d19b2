package jvisor.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A qcow2 image, version 2 or 3 (QEMU docs/interop/qcow2.txt): guest clusters map through the L1
 * table and one-cluster L2 tables to host clusters; unallocated clusters read from the backing
 * disk (an overlay's base) or as zeros. Reads understand standard, zero and zlib-compressed
 * clusters; writes allocate a cluster at the end of the file the first time a guest cluster is
 * written (copying the rest of it from the backing disk), then overwrite it in place.
 *
 * <pre>
 *   L1 entry   bit 63 COPIED (refcount 1) · bits 9-55 offset of the L2 table
 *   L2 entry   bit 63 COPIED · bit 62 compressed · standard: bits 9-55 host offset, bit 0 reads as zeros
 *              compressed: bits 0..x-1 host byte offset, bits x..61 extra 512-byte sectors,
 *              x = 62 - (cluster_bits - 8)
 * </pre>
 *
 * Writing is refused for images with internal snapshots (clusters shared between snapshots need
 * copy-on-write of metadata) and for images marked dirty or corrupt. Entries pointing outside the
 * file or misaligned fail the request with a message naming the image, never a wrong read.
 */
public final class Qcow2Disk implements Disk {
    static final long COPIED = 1L << 63, COMPRESSED = 1L << 62, ZERO = 1;
    private static final int CACHED_L2 = 128;

    private final ImageFile f;
    private final Qcow2Header h;
    private final Disk backing;
    private final Qcow2Refcounts refcounts; // null when read-only
    private final long cs;
    private final int l2Bits;
    private final long[] l1;
    private final int compressedShift;
    private final Map<Long, long[]> l2Cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, long[]> e) { return size() > CACHED_L2; }
    };
    private long inflatedCluster = -1;
    private byte[] inflated;
    private ByteBuffer clusterBuffer; // one cluster, reused to build newly allocated clusters

    private Qcow2Disk(ImageFile f, Qcow2Header h, Disk backing) throws IOException {
        this.f = f;
        this.h = h;
        this.backing = backing;
        this.cs = h.clusterSize();
        this.l2Bits = h.l2Bits();
        this.compressedShift = 62 - (h.clusterBits - 8);
        this.l1 = f.readLongs(h.l1Offset, h.l1Size, "L1 table");
        if (!f.readOnly) {
            if (h.nbSnapshots != 0) throw new IOException(f.path + ": has internal snapshots; jvisor can only read it (readonly=on, or use an overlay)");
            if ((h.incompatible & Qcow2Header.INCOMPAT_CORRUPT) != 0) throw new IOException(f.path + ": image is marked corrupt; repair it with qemu-img check -r all");
            if ((h.incompatible & Qcow2Header.INCOMPAT_DIRTY) != 0) throw new IOException(f.path + ": image was not closed cleanly (dirty); repair it with qemu-img check -r all");
            if (h.version == 3 && h.autoclear != 0) {
                f.writeLong(88, 0); // autoclear features we do not maintain (bitmaps) must be cleared before writing
                h.autoclear = 0;
            }
            this.refcounts = new Qcow2Refcounts(f, h);
        } else {
            this.refcounts = null;
        }
    }

    /** Opens {@code f}; {@code backing} (null if none) is the already opened disk its header names. */
    static Qcow2Disk open(ImageFile f, Qcow2Header h, Disk backing) throws IOException {
        try {
            return new Qcow2Disk(f, h, backing);
        } catch (IOException | RuntimeException e) {
            f.close();
            if (backing != null) backing.close();
            throw e;
        }
    }

    @Override public String name() { return f.path.toString(); }
    /** The virtual size in whole sectors, as QEMU sees it. */
    @Override public long size() { return h.size & ~511L; }
    @Override public boolean readOnly() { return f.readOnly; }

    /** The backing disk, or null. */
    public Disk backing() { return backing; }

    // ---- mapping ----

    private long l2Offset(int l1Index) throws IOException {
        long off = l1[l1Index] & Qcow2Header.OFFSET_MASK;
        if (off != 0 && (off & (cs - 1)) != 0) throw f.corrupt("L1 entry %d points at unaligned L2 table 0x%x", l1Index, off);
        return off;
    }

    private long[] l2Table(long offset) throws IOException {
        long[] t = l2Cache.get(offset);
        if (t == null) {
            t = f.readLongs(offset, 1 << l2Bits, "L2 table");
            l2Cache.put(offset, t);
        }
        return t;
    }

    /** The L2 entry of guest cluster {@code vc}, 0 if its L2 table is unallocated. */
    private long entry(long vc) throws IOException {
        long l2 = l2Offset((int) (vc >>> l2Bits));
        return l2 == 0 ? 0 : l2Table(l2)[(int) (vc & ((1L << l2Bits) - 1))];
    }

    private long hostOffset(long e) throws IOException {
        long host = e & Qcow2Header.OFFSET_MASK;
        if ((host & (cs - 1)) != 0) throw f.corrupt("L2 entry 0x%x points at an unaligned cluster", e);
        return host;
    }

    // ---- reading ----

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int in = (int) (pos & (cs - 1));
            int n = (int) Math.min(dst.remaining(), cs - in);
            ByteBuffer part = dst.slice(dst.position(), n);
            readCluster(pos >>> h.clusterBits, in, part, entry(pos >>> h.clusterBits));
            dst.position(dst.position() + n);
            pos += n;
        }
    }

    /** Reads {@code part.remaining()} bytes at {@code in} inside guest cluster {@code vc}, whose entry is {@code e}. */
    private void readCluster(long vc, int in, ByteBuffer part, long e) throws IOException {
        if ((e & COMPRESSED) != 0) {
            part.put(inflate(vc, e), in, part.remaining());
        } else if (h.version == 3 && (e & ZERO) != 0) {
            zero(part);
        } else if (hostOffset(e) != 0) {
            f.readFully(hostOffset(e) + in, part, "data cluster");
        } else {
            readBacking((vc << h.clusterBits) + in, part);
        }
    }

    /** Unallocated data: the backing disk's, zeros beyond it (or without one). */
    private void readBacking(long pos, ByteBuffer part) throws IOException {
        if (backing != null && pos < backing.size()) {
            int n = (int) Math.min(part.remaining(), backing.size() - pos);
            backing.read(pos, part.slice(part.position(), n));
            part.position(part.position() + n);
        }
        zero(part);
    }

    private static void zero(ByteBuffer b) {
        while (b.remaining() >= 8) b.putLong(0);
        while (b.hasRemaining()) b.put((byte) 0);
    }

    /** The contents of compressed guest cluster {@code vc} (zlib raw deflate), cached for sequential reads. */
    private byte[] inflate(long vc, long e) throws IOException {
        if (inflatedCluster == vc && inflated != null) return inflated;
        long host = e & ((1L << compressedShift) - 1);
        long sectors = ((e & ~COPIED & ~COMPRESSED) >>> compressedShift) + 1;
        long end = (host & ~511L) + sectors * 512;
        int len = (int) Math.min(end - host, Math.max(0, f.size() - host));
        if (host <= 0 || len <= 0 || len > 2 * cs + 512) throw f.corrupt("compressed cluster descriptor 0x%x", e);
        byte[] packed = f.read(host, len, "compressed cluster");
        byte[] out = new byte[(int) cs];
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(packed);
            int n = 0;
            while (n < out.length) {
                int k = inf.inflate(out, n, out.length - n);
                if (k == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary())) break;
                n += k;
            }
            if (n != out.length) throw f.corrupt("compressed cluster at 0x%x inflates to %d bytes, not %d", host, n, out.length);
        } catch (DataFormatException x) {
            throw f.corrupt("compressed cluster at 0x%x: %s", host, x.getMessage());
        } finally {
            inf.end();
        }
        inflatedCluster = vc;
        inflated = out;
        return out;
    }

    // ---- writing ----

    private void writable() throws IOException {
        if (refcounts == null) throw new IOException(f.path + " is open read-only");
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        writable();
        long pos = offset;
        while (src.hasRemaining()) {
            int in = (int) (pos & (cs - 1));
            int n = (int) Math.min(src.remaining(), cs - in);
            writeCluster(pos >>> h.clusterBits, in, src.slice(src.position(), n));
            src.position(src.position() + n);
            pos += n;
        }
    }

    private void writeCluster(long vc, int in, ByteBuffer data) throws IOException {
        long e = entry(vc);
        long host = (e & COMPRESSED) != 0 ? 0 : hostOffset(e);
        boolean zeroFlag = h.version == 3 && (e & COMPRESSED) == 0 && (e & ZERO) != 0;
        if (host != 0) checkDataCluster(host);
        if (host != 0 && !zeroFlag) {
            f.writeFully(host + in, data);
            return;
        }
        // First write to this guest cluster (or it is compressed, or a preallocated zero cluster):
        // build the whole cluster, then map it.
        if (clusterBuffer == null) clusterBuffer = ByteBuffer.allocateDirect((int) cs);
        ByteBuffer whole = clusterBuffer.clear();
        if (data.remaining() < cs) {
            readCluster(vc, 0, whole.duplicate(), e);
        }
        whole.put(in, data, data.position(), data.remaining());
        long target = host != 0 ? host : refcounts.allocate(1);
        f.writeFully(target, whole.clear());
        setEntry(vc, target | COPIED);
        if ((e & COMPRESSED) != 0) freeCompressed(e);
        if (inflatedCluster == vc) inflatedCluster = -1;
    }

    /** Refuses to write guest data over metadata or past the end: the mark of a damaged image. */
    private void checkDataCluster(long host) throws IOException {
        boolean overlaps = host < cs
                || host < h.l1Offset + 8L * h.l1Size && h.l1Offset < host + cs
                || host + cs > refcounts.end();
        if (overlaps) throw f.corrupt("a data cluster at 0x%x overlaps metadata or lies past the end of the file", host);
    }

    /** Points guest cluster {@code vc} at {@code newEntry}, creating its L2 table if needed. */
    private void setEntry(long vc, long newEntry) throws IOException {
        int l1Index = (int) (vc >>> l2Bits);
        long l2 = l2Offset(l1Index);
        if (l2 == 0) {
            if (newEntry == 0) return; // already unallocated
            l2 = refcounts.allocate(1);
            f.write(l2, new byte[(int) cs]);
            l2Cache.put(l2, new long[1 << l2Bits]);
            l1[l1Index] = l2 | COPIED;
            f.writeLong(h.l1Offset + 8L * l1Index, l1[l1Index]);
        }
        int i = (int) (vc & ((1L << l2Bits) - 1));
        l2Table(l2)[i] = newEntry;
        f.writeLong(l2 + 8L * i, newEntry);
    }

    /** Drops the references a compressed cluster holds on the host clusters its sectors span. */
    private void freeCompressed(long e) throws IOException {
        long host = e & ((1L << compressedShift) - 1);
        long sectors = ((e & ~COPIED & ~COMPRESSED) >>> compressedShift) + 1;
        long start = host & ~511L, last = start + sectors * 512 - 1;
        for (long c = start >>> h.clusterBits; c <= last >>> h.clusterBits; c++) refcounts.adjust(c << h.clusterBits, -1);
    }

    /** Frees what guest cluster {@code vc} maps to and gives it {@code newEntry} (0 or ZERO). */
    private void unmapCluster(long vc, long newEntry) throws IOException {
        long e = entry(vc);
        if (e == newEntry) return;
        setEntry(vc, newEntry);
        if ((e & COMPRESSED) != 0) freeCompressed(e);
        else if (hostOffset(e) != 0) refcounts.adjust(hostOffset(e), -1);
        if (inflatedCluster == vc) inflatedCluster = -1;
    }

    @Override
    public void writeZeroes(long offset, long length, boolean unmap) throws IOException {
        writable();
        forClusters(offset, length, (vc, whole) -> {
            if (!whole || h.version < 3) {
                long start = Math.max(offset, vc << h.clusterBits), end = Math.min(offset + length, (vc + 1) << h.clusterBits);
                if (whole && backing == null && unmap) unmapCluster(vc, 0);
                else Disk.writeZeroBytes(this, start, end - start);
                return;
            }
            long e = entry(vc);
            long host = (e & COMPRESSED) != 0 ? 0 : hostOffset(e);
            if (host != 0 && !unmap) setEntry(vc, host | COPIED | ZERO); // keep the preallocation
            else unmapCluster(vc, ZERO);
        });
    }

    @Override
    public void discard(long offset, long length) throws IOException {
        writable();
        forClusters(offset, length, (vc, whole) -> {
            // Partial clusters stay as they are; whole ones are freed (zero flag if a backing disk would show through).
            if (whole) unmapCluster(vc, backing != null && h.version == 3 ? ZERO : 0);
        });
    }

    private interface ClusterAction {
        void apply(long vc, boolean whole) throws IOException;
    }

    private void forClusters(long offset, long length, ClusterAction a) throws IOException {
        long end = offset + length;
        for (long pos = offset; pos < end; ) {
            long vc = pos >>> h.clusterBits;
            long next = Math.min(end, (vc + 1) << h.clusterBits);
            a.apply(vc, pos == vc << h.clusterBits && next == (vc + 1) << h.clusterBits);
            pos = next;
        }
    }

    @Override
    public void flush() throws IOException {
        if (refcounts != null) f.force();
    }

    @Override
    public void close() throws IOException {
        try {
            f.close();
        } finally {
            if (backing != null) backing.close();
        }
    }
}
