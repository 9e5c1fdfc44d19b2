package jvisor.storage;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged qcow2 images, made by mutating a good one at random (fixed seed): header fields set to
 * edge values, bytes flipped in the metadata, the file cut short. Opening and then using each
 * image must either work or fail with an {@link IOException} whose message names the file: never
 * another exception, never a hang.
 */
class Qcow2FuzzTest {
    @TempDir Path dir;

    /** Header fields: offset and width in bytes. */
    static final int[][] FIELDS = {{0, 4}, {4, 4}, {8, 8}, {16, 4}, {20, 4}, {24, 8}, {32, 4}, {36, 4}, {40, 8},
            {48, 8}, {56, 4}, {60, 4}, {64, 8}, {72, 8}, {80, 8}, {88, 8}, {96, 4}, {100, 4}, {104, 1}};

    static long edge(SplittableRandom r, int width) {
        return switch (r.nextInt(8)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> 1L << r.nextInt(8 * width);
            case 3 -> r.nextInt(64);
            case 4 -> 0x10000L * r.nextInt(16);
            case 5 -> (1L << (8 * width - 1)) - 1;
            default -> r.nextLong();
        };
    }

    @Test
    void damagedImagesFailCleanly() throws Exception {
        Path good = dir.resolve("good.qcow2");
        Qcow2Image.create(good, 4 << 20, null, null);
        SplittableRandom data = new SplittableRandom(1);
        try (Disk d = Qcow2Image.open(good, false)) {
            for (int i = 0; i < 40; i++) {
                byte[] b = new byte[data.nextInt(1, 100_000)];
                data.nextBytes(b);
                d.write(data.nextLong((4 << 20) - b.length), ByteBuffer.wrap(b));
            }
        }
        byte[] original = Files.readAllBytes(good);
        SplittableRandom r = new SplittableRandom(2026);
        int opened = 0, refused = 0, requestErrors = 0;
        for (int round = 0; round < 1500; round++) {
            byte[] img = original.clone();
            ByteBuffer b = ByteBuffer.wrap(img).order(ByteOrder.BIG_ENDIAN);
            int kind = r.nextInt(5);
            int mutations = r.nextInt(1, 4);
            for (int m = 0; m < mutations; m++) {
                switch (kind) {
                    case 0 -> {
                        int[] f = FIELDS[r.nextInt(FIELDS.length)];
                        long v = edge(r, f[1]);
                        for (int i = 0; i < f[1]; i++) img[f[0] + i] = (byte) (v >>> (8 * (f[1] - 1 - i)));
                    }
                    case 1 -> img[r.nextInt(Math.min(img.length, 4 << 16))] ^= (byte) (1 << r.nextInt(8));
                    case 2 -> {
                        // an L1, L2 or refcount entry pointing somewhere odd
                        int at = (1 + r.nextInt(Math.max(1, img.length / 65536 - 1))) * 65536 + 8 * r.nextInt(64);
                        if (at + 8 <= img.length) b.putLong(at, edge(r, 8));
                    }
                    default -> { }
                }
            }
            int length = kind >= 3 ? r.nextInt(img.length) : img.length;
            Path p = dir.resolve("damaged-" + round + ".qcow2");
            Files.write(p, java.util.Arrays.copyOf(img, length));
            boolean readOnly = r.nextBoolean();
            Disk d;
            try {
                d = DiskSpec.parse(p + (readOnly ? ",readonly=on" : "")).open();
                opened++;
            } catch (IOException e) {
                assertTrue(e.getMessage() != null && e.getMessage().contains(p.getFileName().toString()),
                        "round " + round + ": the message names the file: " + e.getMessage());
                refused++;
                Files.delete(p);
                continue;
            } catch (RuntimeException e) {
                fail("round " + round + " (kind " + kind + "): host exception on open", e);
                return;
            }
            try (d) {
                for (int i = 0; i < 20; i++) {
                    long size = d.size();
                    if (size == 0) break;
                    int len = (int) Math.min(size, r.nextInt(1, 200_000));
                    long off = r.nextLong(size - len + 1);
                    try {
                        if (readOnly || r.nextBoolean()) d.read(off, ByteBuffer.allocate(len));
                        else if (r.nextInt(4) == 0) d.writeZeroes(off, len, r.nextBoolean());
                        else d.write(off, ByteBuffer.allocate(len));
                    } catch (IOException e) {
                        assertTrue(e.getMessage() != null && e.getMessage().contains(p.getFileName().toString()),
                                "round " + round + ": the message names the file: " + e.getMessage());
                        requestErrors++;
                    }
                }
            } catch (RuntimeException e) {
                fail("round " + round + " (kind " + kind + "): host exception while using the image", e);
            }
            Files.delete(p);
        }
        assertTrue(opened > 100 && refused > 100 && requestErrors > 10,
                "opened " + opened + ", refused " + refused + ", failed requests " + requestErrors);
    }

    @Test
    void truncatedAndForeignFilesAreNamed() throws Exception {
        Path empty = dir.resolve("empty.qcow2");
        Files.write(empty, new byte[0]);
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class,
                () -> DiskSpec.parse(empty + ",format=qcow2").open());
        assertTrue(e.getMessage().contains("empty.qcow2") && e.getMessage().contains("truncated"), e.getMessage());

        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "hello, this is not an image at all".repeat(10));
        e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> DiskSpec.parse(text + ",format=qcow2").open());
        assertTrue(e.getMessage().contains("notes.txt") && e.getMessage().contains("not a qcow2"), e.getMessage());

        Path good = dir.resolve("cut.qcow2");
        Qcow2Image.create(good, 1 << 20, null, null);
        byte[] all = Files.readAllBytes(good);
        Files.write(good, java.util.Arrays.copyOf(all, 3 * 65536 + 4)); // the L1 table is cut off
        e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> DiskSpec.parse(good.toString()).open());
        assertTrue(e.getMessage().contains("cut.qcow2") && e.getMessage().contains("L1 table"), e.getMessage());
    }
}
