package jvisor.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * qcow2 read/write checked against a byte-array model of the disk and against Debian's qemu-img:
 * images it creates open here, images written here check clean there, and converting them to
 * raw gives the model's bytes.
 */
class Qcow2DiskTest {
    @TempDir Path dir;

    /** Random writes (partial clusters, cluster-crossing, big ones) mirrored into {@code model}. */
    static void scribble(Disk d, byte[] model, SplittableRandom r, int writes, int maxLen) throws IOException {
        for (int i = 0; i < writes; i++) {
            int len = r.nextInt(1, maxLen);
            long off = r.nextLong(model.length - len);
            byte[] data = new byte[len];
            r.nextBytes(data);
            if (r.nextInt(4) == 0) java.util.Arrays.fill(data, (byte) 0);
            d.write(off, ByteBuffer.wrap(data));
            System.arraycopy(data, 0, model, (int) off, len);
        }
    }

    static byte[] readAll(Disk d) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) d.size());
        d.read(0, b);
        return b.array();
    }

    byte[] asRaw(Path qcow2) throws IOException {
        Path raw = dir.resolve("converted.raw");
        Files.deleteIfExists(raw);
        QemuImg.ok("convert", "-O", "raw", qcow2.toString(), raw.toString());
        return Files.readAllBytes(raw);
    }

    /** qemu-img finds the image clean and reads the model's bytes from it. */
    void verify(Path qcow2, byte[] model) throws IOException {
        QemuImg.checkClean(qcow2);
        assertArrayEquals(model, asRaw(qcow2));
    }

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"compat=1.1", "compat=0.10", "cluster_size=512", "cluster_size=4096,refcount_bits=1",
            "cluster_size=2M", "refcount_bits=64", "refcount_bits=2,cluster_size=1024", "refcount_bits=32"})
    void writesWhatQemuImgReadsBack(String options) throws Exception {
        QemuImg.assumeAvailable();
        Path img = dir.resolve("disk.qcow2");
        int size = 24 << 20;
        QemuImg.ok("create", "-q", "-f", "qcow2", "-o", options, img.toString(), Integer.toString(size));
        byte[] model = new byte[size];
        SplittableRandom r = new SplittableRandom(options.hashCode());
        try (Disk d = DiskSpec.parse(img.toString()).open()) {
            assertEquals(size, d.size());
            scribble(d, model, r, 300, 300_000);
            assertArrayEquals(model, readAll(d));
            d.flush();
        }
        verify(img, model);
        try (Disk d = DiskSpec.parse(img.toString() + ",format=qcow2").open()) {
            assertArrayEquals(model, readAll(d), "reopened");
        }
    }

    @Test
    void imagesCreatedHereCheckClean() throws Exception {
        QemuImg.assumeAvailable();
        Path img = dir.resolve("new.qcow2");
        Qcow2Image.create(img, 10_000_000, null, null);
        QemuImg.checkClean(img);
        assertTrue(QemuImg.ok("info", img.toString()).contains("(10000384 bytes)"));
        byte[] model = new byte[10_000_384];
        try (Disk d = Qcow2Image.open(img, false)) {
            scribble(d, model, new SplittableRandom(1), 100, 100_000);
        }
        verify(img, model);
    }

    @Test
    void refcountTableGrowsWithSmallClusters() throws Exception {
        QemuImg.assumeAvailable();
        Path img = dir.resolve("small.qcow2");
        int size = 40 << 20;
        QemuImg.ok("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", img.toString(), Integer.toString(size));
        byte[] model = new byte[size];
        SplittableRandom r = new SplittableRandom(7);
        r.nextBytes(model);
        try (Disk d = Qcow2Image.open(img, false)) {
            d.write(0, ByteBuffer.wrap(model)); // 80k clusters: the 64-entry refcount table must grow
        }
        verify(img, model);
    }

    @Test
    void overlayKeepsItsBaseUntouched() throws Exception {
        QemuImg.assumeAvailable();
        Path base = dir.resolve("base.raw");
        byte[] model = new byte[8 << 20];
        new SplittableRandom(3).nextBytes(model);
        Files.write(base, model);
        String before = sha256(base);
        Path overlay = dir.resolve("overlay.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", overlay.toString());
        try (Disk d = DiskSpec.parse(overlay.toString()).open()) {
            assertArrayEquals(model, readAll(d), "reads through to the base");
            scribble(d, model, new SplittableRandom(4), 200, 70_000);
            d.writeZeroes(3 << 20, 1 << 20, true);
            java.util.Arrays.fill(model, 3 << 20, 4 << 20, (byte) 0);
            assertArrayEquals(model, readAll(d));
        }
        assertEquals(before, sha256(base), "the base is untouched");
        verify(overlay, model);
    }

    @Test
    void qcow2OverQcow2Chain() throws Exception {
        QemuImg.assumeAvailable();
        Path base = dir.resolve("base.qcow2"), mid = dir.resolve("mid.qcow2"), top = dir.resolve("top.qcow2");
        byte[] model = new byte[4 << 20];
        QemuImg.ok("create", "-q", "-f", "qcow2", base.toString(), "4M");
        try (Disk d = Qcow2Image.open(base, false)) { scribble(d, model, new SplittableRandom(5), 50, 100_000); }
        QemuImg.ok("create", "-q", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", mid.toString());
        try (Disk d = Qcow2Image.open(mid, false)) { scribble(d, model, new SplittableRandom(6), 50, 100_000); }
        QemuImg.ok("create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", top.toString());
        try (Disk d = Qcow2Image.open(top, false)) {
            scribble(d, model, new SplittableRandom(8), 50, 100_000);
            assertArrayEquals(model, readAll(d));
        }
        for (Path p : new Path[] {base, mid, top}) QemuImg.checkClean(p);
        assertArrayEquals(model, asRaw(top));
    }

    @Test
    void readsAndRewritesCompressedClusters() throws Exception {
        QemuImg.assumeAvailable();
        Path raw = dir.resolve("text.raw"), img = dir.resolve("compressed.qcow2");
        byte[] model = new byte[6 << 20];
        byte[] phrase = "jvisor reads zlib clusters. ".getBytes();
        for (int i = 0; i < model.length; i++) model[i] = i % 3 == 0 ? (byte) (i >>> 12) : phrase[i % phrase.length];
        Files.write(raw, model);
        QemuImg.ok("convert", "-q", "-c", "-O", "qcow2", raw.toString(), img.toString());
        assertTrue(Files.size(img) < model.length / 4, "really compressed");
        try (Disk d = Qcow2Image.open(img, false)) {
            assertArrayEquals(model, readAll(d));
            scribble(d, model, new SplittableRandom(9), 100, 50_000);
            d.discard(1 << 20, 1 << 20); // whole clusters, no backing: unallocated, reads as zeros
            java.util.Arrays.fill(model, 1 << 20, 2 << 20, (byte) 0);
            assertArrayEquals(model, readAll(d));
        }
        verify(img, model);
    }

    @Test
    void zeroWritesAndDiscardsCheckClean() throws Exception {
        QemuImg.assumeAvailable();
        Path img = dir.resolve("z.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", img.toString(), "8M");
        byte[] model = new byte[8 << 20];
        SplittableRandom r = new SplittableRandom(10);
        try (Disk d = Qcow2Image.open(img, false)) {
            for (int i = 0; i < 200; i++) {
                scribble(d, model, r, 3, 200_000);
                long off = r.nextLong(model.length - 300_000);
                int len = r.nextInt(1, 300_000);
                switch (r.nextInt(3)) {
                    case 0 -> d.writeZeroes(off, len, true);
                    case 1 -> d.writeZeroes(off, len, false);
                    default -> {
                        d.discard(off, len); // partial clusters keep their data: model them as is, whole ones as zeros
                        long first = (off + 0xffff) & ~0xffffL, end = (off + len) & ~0xffffL;
                        if (end > first) java.util.Arrays.fill(model, (int) first, (int) end, (byte) 0);
                        continue;
                    }
                }
                java.util.Arrays.fill(model, (int) off, (int) (off + len), (byte) 0);
            }
            assertArrayEquals(model, readAll(d));
        }
        verify(img, model);
    }

    @Test
    void readOnlyImagesRefuseWrites() throws Exception {
        QemuImg.assumeAvailable();
        Path img = dir.resolve("ro.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", img.toString(), "1M");
        try (Disk d = DiskSpec.parse(img + ",readonly=on").open()) {
            assertTrue(d.readOnly());
            IOException e = assertThrows(IOException.class, () -> d.write(0, ByteBuffer.allocate(512)));
            assertTrue(e.getMessage().contains("ro.qcow2"), e.getMessage());
        }
    }

    @Test
    void snapshotModeDiscardsWrites() throws Exception {
        Path raw = dir.resolve("keep.raw");
        byte[] data = new byte[1 << 20];
        new SplittableRandom(11).nextBytes(data);
        Files.write(raw, data);
        try (Disk d = DiskSpec.parse(raw + ",snapshot=on").open()) {
            d.write(4096, ByteBuffer.wrap(new byte[8192]));
            byte[] back = readAll(d);
            assertEquals(0, back[5000]);
        }
        assertArrayEquals(data, Files.readAllBytes(raw));
    }

    @Test
    void internalSnapshotsAreReadOnly() throws Exception {
        QemuImg.assumeAvailable();
        Path img = dir.resolve("snap.qcow2");
        QemuImg.ok("create", "-q", "-f", "qcow2", img.toString(), "1M");
        QemuImg.ok("snapshot", "-c", "first", img.toString());
        IOException e = assertThrows(IOException.class, () -> Qcow2Image.open(img, false));
        assertTrue(e.getMessage().contains("snap.qcow2") && e.getMessage().contains("snapshots"), e.getMessage());
        try (Disk d = Qcow2Image.open(img, true)) {
            assertEquals(1 << 20, d.size());
        }
    }
}
