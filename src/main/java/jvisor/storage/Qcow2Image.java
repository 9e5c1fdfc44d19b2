package jvisor.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Opening and creating qcow2 images: the header, then the backing chain, then the disk. */
public final class Qcow2Image {
    /** Cluster size of images jvisor creates: 64 KiB, qemu-img's default. */
    public static final int CLUSTER_BITS = 16;

    private Qcow2Image() {}

    /** Opens a qcow2 image and, read-only, the backing files it names. */
    public static Qcow2Disk open(Path path, boolean readOnly) throws IOException {
        return open(path, readOnly, new java.util.ArrayList<>(List.of(path.toRealPath())));
    }

    static Qcow2Disk open(Path path, boolean readOnly, List<Path> chain) throws IOException {
        ImageFile f = ImageFile.open(path, readOnly);
        Disk backing = null;
        try {
            Qcow2Header h = Qcow2Header.read(f);
            if (h.backingFile != null) {
                if (h.backingFile.indexOf('\0') >= 0) throw new IOException(path + ": corrupt image: backing file name contains NUL");
                Path b = Path.of(h.backingFile);
                if (!b.isAbsolute() && path.toAbsolutePath().getParent() != null) b = path.toAbsolutePath().getParent().resolve(b);
                if (!Files.isRegularFile(b)) throw new IOException(path + ": backing file " + h.backingFile + " not found");
                String fmt = h.backingFormat != null ? h.backingFormat : DiskSpec.probe(b);
                backing = DiskSpec.open(b, fmt, true, chain);
            }
            return Qcow2Disk.open(f, h, backing);
        } catch (IOException | RuntimeException e) {
            f.close();
            if (backing != null) backing.close();
            throw e;
        }
    }

    /**
     * Creates an empty qcow2 image of {@code size} bytes rounded up to whole sectors, as qemu-img
     * does (an overlay if {@code backing} is not null).
     */
    public static void create(Path path, long size, Path backing, String backingFormat) throws IOException {
        Files.deleteIfExists(path);
        Files.createFile(path);
        try (ImageFile f = ImageFile.open(path, false)) {
            Qcow2Header.create(f, (size + 511) & ~511L, CLUSTER_BITS, backing == null ? null : backing.toString(), backingFormat);
        }
    }

    /** The backing file the qcow2 image at {@code path} names, as written there, or null. */
    public static String backingFile(Path path) throws IOException {
        try (ImageFile f = ImageFile.open(path, true)) {
            return Qcow2Header.read(f).backingFile;
        }
    }

    /** The virtual size of the qcow2 image at {@code path}. */
    public static long size(Path path) throws IOException {
        try (ImageFile f = ImageFile.open(path, true)) {
            return Qcow2Header.read(f).size;
        }
    }

    /**
     * Grows the qcow2 image at {@code path} (not open elsewhere) to {@code size} bytes: new clusters
     * read as zeros. Only where its L1 table's clusters already have room for the larger size,
     * which a one-cluster L1 table of jvisor's or qemu-img's images has up to 4 TiB.
     */
    public static void grow(Path path, long size) throws IOException {
        try (ImageFile f = ImageFile.open(path, false)) {
            Qcow2Header h = Qcow2Header.read(f);
            long sectors = (size + 511) & ~511L;
            if (sectors <= h.size) return;
            long l2Covers = h.clusterSize() / 8 * h.clusterSize();
            long l1Needed = (sectors + l2Covers - 1) / l2Covers;
            long l1Room = (8L * h.l1Size + h.clusterSize() - 1) / h.clusterSize() * h.clusterSize() / 8;
            if (l1Needed > l1Room) {
                throw new IOException(path + ": cannot grow to " + size + " bytes in place (its L1 table is full)");
            }
            if (l1Needed > h.l1Size) { // the new entries: unallocated
                f.writeFully(h.l1Offset + 8L * h.l1Size, java.nio.ByteBuffer.allocate((int) (8 * (l1Needed - h.l1Size))));
            }
            f.writeFully(24, java.nio.ByteBuffer.allocate(8).putLong(0, sectors));
            f.writeFully(36, java.nio.ByteBuffer.allocate(4).putInt(0, (int) Math.max(h.l1Size, l1Needed)));
        }
    }

    /** Opens the existing overlay at {@code path} writable over the open disk {@code base}, whatever backing file it names. */
    static Qcow2Disk openOverlay(Path path, Disk base) throws IOException {
        ImageFile f = ImageFile.open(path, false);
        try {
            Qcow2Header h = Qcow2Header.read(f);
            if ((h.size & ~511L) != (base.size() & ~511L)) throw new IOException(path + ": overlay of " + h.size + " bytes over a disk of " + base.size());
            return Qcow2Disk.open(f, h, base);
        } catch (IOException | RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** Creates an overlay at {@code path} over the open disk {@code base} and opens it writable. */
    static Qcow2Disk createOverlay(Path path, Disk base) throws IOException {
        try (ImageFile f = ImageFile.open(path, false)) {
            Qcow2Header.create(f, base.size(), CLUSTER_BITS, Path.of(base.name()).toAbsolutePath().toString(),
                    base instanceof Qcow2Disk ? "qcow2" : "raw");
        }
        ImageFile f = ImageFile.open(path, false);
        return Qcow2Disk.open(f, Qcow2Header.read(f), base);
    }
}
