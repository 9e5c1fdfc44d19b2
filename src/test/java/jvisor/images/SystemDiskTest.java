package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import jvisor.storage.Disk;
import jvisor.storage.DiskSpec;
import jvisor.storage.Qcow2Image;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The user's disk over a system image: created, kept, grown, started afresh; the seed share's keys. */
class SystemDiskTest {
    private static final long BASE = 64L << 20;

    @TempDir Path dir;

    private CachedImage image() throws IOException {
        return image("image");
    }

    private CachedImage image(String key) throws IOException {
        Path imageDir = Files.createDirectories(dir.resolve(key));
        Qcow2Image.create(imageDir.resolve("disk.qcow2"), BASE, null, null);
        try (Disk d = open(imageDir.resolve("disk.qcow2"), false)) {
            d.write(4096, ByteBuffer.wrap("from the image".getBytes()));
        }
        Properties p = new Properties();
        p.setProperty("disk", "disk.qcow2");
        try (java.io.OutputStream out = Files.newOutputStream(imageDir.resolve("image.properties"))) {
            p.store(out, null);
        }
        return new CachedImage("sys", key, imageDir, p);
    }

    private static Disk open(Path disk, boolean readOnly) throws IOException {
        return DiskSpec.parse(disk + ",format=qcow2" + (readOnly ? ",readonly=on" : "")).open(null);
    }

    private static byte[] read(Path disk, long at, int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        try (Disk d = open(disk, true)) {
            d.read(at, b);
        }
        return b.array();
    }

    private static void write(Path disk, long at, String text) throws IOException {
        try (Disk d = open(disk, false)) {
            d.write(at, ByteBuffer.wrap(text.getBytes()));
        }
    }

    @Test
    void theDiskIsAnOverlayThatKeepsItsWritesUntilFresh() throws IOException {
        CachedImage img = image();
        Path disk = dir.resolve("disks/sys.qcow2");
        SystemDisk.prepare(img, disk, 0, false);
        assertEquals(BASE, Qcow2Image.size(disk));
        assertArrayEquals("from the image".getBytes(), read(disk, 4096, 14));
        write(disk, 8192, "mine");

        SystemDisk.prepare(img, disk, 0, false);
        assertArrayEquals("mine".getBytes(), read(disk, 8192, 4), "a later run keeps the user's writes");
        assertArrayEquals(new byte[4], read(img.disk(), 8192, 4), "the image stays as built");

        SystemDisk.prepare(img, disk, 0, true);
        assertArrayEquals(new byte[4], read(disk, 8192, 4), "--fresh starts over");
        assertArrayEquals("from the image".getBytes(), read(disk, 4096, 14));
    }

    @Test
    void aLargerSizeGrowsTheDiskAndASmallerOneIsRefused() throws IOException {
        CachedImage img = image();
        Path disk = dir.resolve("sys.qcow2");
        SystemDisk.prepare(img, disk, 0, false);
        write(disk, 8192, "mine");
        SystemDisk.prepare(img, disk, 4L << 30, false);
        assertEquals(4L << 30, Qcow2Image.size(disk));
        assertArrayEquals("mine".getBytes(), read(disk, 8192, 4));
        write(disk, (4L << 30) - 4096, "end");
        assertArrayEquals("end".getBytes(), read(disk, (4L << 30) - 4096, 3));
        assertArrayEquals(new byte[8], read(disk, 3L << 30, 8), "new space reads as zeros");

        String m = assertThrows(ImageException.class, () -> SystemDisk.prepare(img, disk, 1L << 20, false)).getMessage();
        assertTrue(m.startsWith("--disk-size 1048576 is smaller than the image's filesystem"), m);
    }

    /** A disk keeps booting the build it was made over (its modules match that kernel) until --fresh. */
    @Test
    void aDiskBootsWithTheImageItWasMadeOver() throws IOException {
        CachedImage old = image("old"), newer = image("new");
        Path disk = dir.resolve("sys.qcow2");
        assertEquals(newer.dir(), SystemDisk.imageOf(disk, newer).dir(), "no disk yet: the newest image");
        SystemDisk.prepare(old, disk, 0, false);
        assertEquals(old.dir(), SystemDisk.imageOf(disk, newer).dir());
        assertEquals(old.dir(), SystemDisk.imageOf(disk, old).dir());

        ImageCache.deleteTree(old.dir());
        String m = assertThrows(ImageException.class, () -> SystemDisk.imageOf(disk, newer)).getMessage();
        assertTrue(m.contains("no longer cached") && m.contains("--fresh"), m);
        SystemDisk.prepare(newer, disk, 0, true);
        assertEquals(newer.dir(), SystemDisk.imageOf(disk, newer).dir());
    }

    @Test
    void theSeedHoldsTheGivenPublicKeysAndRefusesAPrivateOne() throws IOException {
        Path pub = Files.writeString(dir.resolve("id_ed25519.pub"), "ssh-ed25519 AAAAC3Nza me@host\n");
        Path seed = SystemDisk.seed(dir.resolve("sys.qcow2"), List.of(pub));
        assertEquals(dir.resolve("sys.seed"), seed);
        assertEquals("ssh-ed25519 AAAAC3Nza me@host\n", Files.readString(seed.resolve("authorized_keys")));

        Path secret = Files.writeString(dir.resolve("id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        String m = assertThrows(ImageException.class, () -> SystemDisk.seed(dir.resolve("sys.qcow2"), List.of(secret))).getMessage();
        assertTrue(m.contains("is not an OpenSSH public key"), m);
    }
}
