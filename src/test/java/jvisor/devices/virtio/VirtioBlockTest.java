package jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import jvisor.storage.DiskSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** virtio-blk requests (virtio 1.2 §5.2.6) from a test driver against a raw image. */
class VirtioBlockTest {
    @TempDir Path dir;

    static byte[] header(int type, long sector) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, type).putLong(8, sector).array();
    }

    FakeDriver driver(byte[] image, String options) throws Exception {
        Path p = dir.resolve("disk.raw");
        Files.write(p, image);
        FakeDriver d = new FakeDriver(new VirtioBlock(DiskSpec.parse(p + options).open(), "serial-0123456789abcdef"));
        long f = d.deviceFeatures();
        d.init(f);
        return d;
    }

    /** Sends one request and returns its status byte. */
    static int request(FakeDriver d, int n, FakeDriver.Buf... bufs) throws Exception {
        FakeDriver.Buf status = d.writable(1);
        FakeDriver.Buf[] all = Arrays.copyOf(bufs, bufs.length + 1);
        all[bufs.length] = status;
        d.offer(0, all);
        d.kick(0);
        assertTrue(d.awaitUsed(0, n, 5000), "request completed");
        return d.bytes(status, 1)[0];
    }

    @Test
    void readsWritesFlushesAndIdentifies() throws Exception {
        byte[] image = new byte[1 << 20];
        new Random(1).nextBytes(image);
        try (FakeDriver d = driver(image, "")) {
            assertEquals(2048, d.mmio.read(VirtioMmio.CONFIG, 4), "capacity in sectors");
            FakeDriver.Buf a = d.writable(1024), b = d.writable(512);
            assertEquals(VirtioBlock.S_OK, request(d, 1, d.readable(header(VirtioBlock.T_IN, 3)), a, b));
            assertArrayEquals(Arrays.copyOfRange(image, 3 * 512, 3 * 512 + 1024), d.bytes(a, 1024));
            assertArrayEquals(Arrays.copyOfRange(image, 3 * 512 + 1024, 3 * 512 + 1536), d.bytes(b, 512));
            assertEquals(1024 + 512 + 1, d.usedElem(0, 0)[1]);

            byte[] data = new byte[4096];
            Arrays.fill(data, (byte) 0x5a);
            assertEquals(VirtioBlock.S_OK, request(d, 2, d.readable(header(VirtioBlock.T_OUT, 100)), d.readable(data)));
            assertEquals(VirtioBlock.S_OK, request(d, 3, d.readable(header(VirtioBlock.T_FLUSH, 0))));
            assertEquals(0x5a, Files.readAllBytes(dir.resolve("disk.raw"))[100 * 512 + 7]);

            FakeDriver.Buf id = d.writable(20);
            assertEquals(VirtioBlock.S_OK, request(d, 4, d.readable(header(VirtioBlock.T_GET_ID, 0)), id));
            assertEquals("serial-0123456789abc", new String(d.bytes(id, 20), StandardCharsets.US_ASCII));

            byte[] zero = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 100).putInt(8, 8).array();
            assertEquals(VirtioBlock.S_OK, request(d, 5, d.readable(header(VirtioBlock.T_WRITE_ZEROES, 0)), d.readable(zero)));
            assertEquals(0, Files.readAllBytes(dir.resolve("disk.raw"))[100 * 512 + 7]);
        }
    }

    @Test
    void badRequestsFailWithoutHarm() throws Exception {
        byte[] image = new byte[64 * 1024];
        try (FakeDriver d = driver(image, "")) {
            assertEquals(VirtioBlock.S_IOERR, request(d, 1, d.readable(header(VirtioBlock.T_IN, 127)), d.writable(1024)), "past the end");
            assertEquals(VirtioBlock.S_IOERR, request(d, 2, d.readable(header(VirtioBlock.T_IN, -1)), d.writable(512)), "negative sector");
            assertEquals(VirtioBlock.S_IOERR, request(d, 3, d.readable(header(VirtioBlock.T_OUT, 0)), d.readable(new byte[100])), "not whole sectors");
            assertEquals(VirtioBlock.S_UNSUPP, request(d, 4, d.readable(header(99, 0))), "unknown type");
            byte[] wild = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, Long.MAX_VALUE / 256).putInt(8, -1).array();
            assertEquals(VirtioBlock.S_IOERR, request(d, 5, d.readable(header(VirtioBlock.T_DISCARD, 0)), d.readable(wild)));
            assertEquals(VirtioBlock.S_OK, request(d, 6, d.readable(header(VirtioBlock.T_IN, 0)), d.writable(512)), "still works");
            // no header at all is a broken chain: the device asks for a reset
            d.offer(0, d.writable(1));
            d.kick(0);
            assertTrue(d.awaitNeedsReset(5000));
        }
    }

    @Test
    void readOnlyDisksRefuseWrites() throws Exception {
        byte[] image = new byte[64 * 1024];
        try (FakeDriver d = driver(image, ",readonly=on")) {
            assertTrue((d.deviceFeatures() >>> VirtioBlock.F_RO & 1) != 0, "VIRTIO_BLK_F_RO offered");
            assertEquals(VirtioBlock.S_IOERR, request(d, 1, d.readable(header(VirtioBlock.T_OUT, 0)), d.readable(new byte[512])));
            assertEquals(VirtioBlock.S_OK, request(d, 2, d.readable(header(VirtioBlock.T_IN, 0)), d.writable(512)));
        }
    }
}
