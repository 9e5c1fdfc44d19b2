package jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The virtio-mmio register file (virtio 1.2 §4.2) driven by a test driver. */
class VirtioMmioTest {
    @Test
    void identifiesItselfAsModernVirtioMmio() {
        try (FakeDriver d = new FakeDriver(new EchoDevice())) {
            assertEquals(0x74726976, d.reg(VirtioMmio.MAGIC));
            assertEquals(2, d.reg(VirtioMmio.VERSION));
            assertEquals(0x7e, d.reg(VirtioMmio.DEVICE_ID));
            long f = d.deviceFeatures();
            assertEquals(1L << 5 | 1L << 28 | 1L << 29 | 1L << 32, f, Long.toHexString(f));
            d.reg(VirtioMmio.QUEUE_SEL, 0);
            assertEquals(256, d.reg(VirtioMmio.QUEUE_NUM_MAX));
            d.reg(VirtioMmio.QUEUE_SEL, 1);
            assertEquals(0, d.reg(VirtioMmio.QUEUE_NUM_MAX), "a queue the device lacks is not available");
            assertEquals(0x04030201, d.reg(VirtioMmio.CONFIG));
            assertEquals(0x06, d.mmio.read(VirtioMmio.CONFIG + 5, 1));
            assertEquals(0x0807, d.mmio.read(VirtioMmio.CONFIG + 6, 2));
            assertEquals(0, d.mmio.read(VirtioMmio.CONFIG + 64, 4), "beyond the config space reads 0");
        }
    }

    @Test
    void refusesModernDriversTakingFeaturesNotOffered() {
        try (FakeDriver d = new FakeDriver(new EchoDevice())) {
            assertEquals(0, d.init(1L << 32 | 1L << 7) & VirtioMmio.FEATURES_OK, "bit 7 was not offered");
            int status = d.init(1L << 32 | 1L << 5 | 1L << 29);
            assertEquals(VirtioMmio.ACKNOWLEDGE | VirtioMmio.DRIVER | VirtioMmio.FEATURES_OK | VirtioMmio.DRIVER_OK, status);
        }
    }

    @Test
    void acceptsLegacyDriversAsQemuDoesAndReportsQemusVendor() throws Exception {
        try (FakeDriver d = new FakeDriver(new EchoDevice())) {
            assertEquals(0x554d4551, d.reg(VirtioMmio.VENDOR_ID), "\"QEMU\", which xv6 and others check");
            // Only the low word, without VERSION_1 and with a bit that was not offered (dropped).
            int status = d.init(1L << 5 | 1L << 7);
            assertEquals(VirtioMmio.ACKNOWLEDGE | VirtioMmio.DRIVER | VirtioMmio.FEATURES_OK | VirtioMmio.DRIVER_OK, status);
            byte[] hello = "legacy".getBytes(StandardCharsets.US_ASCII);
            FakeDriver.Buf out = d.writable(16);
            d.offer(0, d.readable(hello), out);
            d.kick(0);
            assertTrue(d.awaitUsed(0, 1, 5000));
            assertArrayEquals(hello, d.bytes(out, hello.length));
        }
    }

    @Test
    void echoesDirectAndIndirectChainsAndInterrupts() throws Exception {
        try (FakeDriver d = new FakeDriver(new EchoDevice())) {
            d.init(1L << 32 | 1L << 28);
            byte[] hello = "hello, virtio".getBytes(StandardCharsets.US_ASCII);
            FakeDriver.Buf out = d.writable(64);
            int head = d.offer(0, d.readable(hello), out);
            d.kick(0);
            assertTrue(d.awaitUsed(0, 1, 5000));
            assertArrayEquals(new int[] {head, hello.length}, d.usedElem(0, 0));
            assertArrayEquals(hello, d.bytes(out, hello.length));
            assertTrue(d.line.get(), "used buffer interrupt");
            assertEquals(1, d.reg(VirtioMmio.INTERRUPT_STATUS));
            d.reg(VirtioMmio.INTERRUPT_ACK, 1);
            assertFalse(d.line.get());

            byte[] a = {1, 2, 3}, b = {4, 5};
            FakeDriver.Buf o1 = d.writable(2), o2 = d.writable(10);
            int h2 = d.offerIndirect(0, d.readable(a), d.readable(b), o1, o2);
            d.kick(0);
            assertTrue(d.awaitUsed(0, 2, 5000));
            assertArrayEquals(new int[] {h2, 5}, d.usedElem(0, 1));
            assertArrayEquals(new byte[] {1, 2}, d.bytes(o1, 2));
            assertArrayEquals(new byte[] {3, 4, 5}, d.bytes(o2, 3));
        }
    }

    @Test
    void eventIndexSuppressesInterruptsUntilUsedEvent() throws Exception {
        try (FakeDriver d = new FakeDriver(new EchoDevice())) {
            d.init(1L << 32 | 1L << 29);
            // used_event = 1: interrupt only when the used idx moves past 1, i.e. on the second buffer.
            d.ram.putShort(d.off(FakeDriver.avail(0)) + 4 + 2 * FakeDriver.QSIZE, (short) 1);
            d.offer(0, d.readable(new byte[] {9}), d.writable(1));
            d.kick(0);
            assertTrue(d.awaitUsed(0, 1, 5000));
            Thread.sleep(20);
            assertFalse(d.line.get(), "no interrupt before used_event");
            assertEquals(1, d.ram.getShort(d.off(FakeDriver.used(0)) + 4 + 8 * FakeDriver.QSIZE),
                    "avail_event tells the driver to notify for the next buffer");
            d.offer(0, d.readable(new byte[] {8}), d.writable(1));
            d.kick(0);
            assertTrue(d.awaitUsed(0, 2, 5000));
            long until = System.currentTimeMillis() + 2000;
            while (!d.line.get() && System.currentTimeMillis() < until) Thread.sleep(1);
            assertTrue(d.line.get(), "interrupt once used idx passed used_event");
        }
    }

    @Test
    void noInterruptFlagIsHonouredWithoutEventIndex() throws Exception {
        try (FakeDriver d = new FakeDriver(new EchoDevice())) {
            d.init();
            d.ram.putShort(d.off(FakeDriver.avail(0)), (short) Virtqueue.AVAIL_F_NO_INTERRUPT);
            d.offer(0, d.readable(new byte[] {9}), d.writable(1));
            d.kick(0);
            assertTrue(d.awaitUsed(0, 1, 5000));
            Thread.sleep(20);
            assertFalse(d.line.get());
        }
    }

    @Test
    void badChainSetsNeedsResetAndResetRecovers() throws Exception {
        try (FakeDriver d = new FakeDriver(new EchoDevice())) {
            d.init();
            d.putDesc(FakeDriver.desc(0), 0, 0x1234, 16, 0, 0); // outside RAM
            d.publish(0, 0);
            d.kick(0);
            assertTrue(d.awaitNeedsReset(5000));
            assertTrue(d.line.get(), "configuration change interrupt");
            assertEquals(2, d.reg(VirtioMmio.INTERRUPT_STATUS) & 2);
            int gen = d.reg(VirtioMmio.CONFIG_GENERATION);

            d.reg(VirtioMmio.STATUS, 0);
            assertEquals(0, d.reg(VirtioMmio.STATUS), "reset completes at once");
            assertEquals(0, d.reg(VirtioMmio.INTERRUPT_STATUS));
            assertFalse(d.line.get());
            d.reg(VirtioMmio.QUEUE_SEL, 0);
            assertEquals(0, d.reg(VirtioMmio.QUEUE_READY));
            d.ram.putShort(d.off(FakeDriver.avail(0)) + 2, (short) 0);
            d.ram.putShort(d.off(FakeDriver.used(0)) + 2, (short) 0);
            d.init();
            FakeDriver.Buf out = d.writable(4);
            d.offer(0, d.readable(new byte[] {1, 2, 3, 4}), out);
            d.kick(0);
            assertTrue(d.awaitUsed(0, 1, 5000), "works again after a reset");
            assertArrayEquals(new byte[] {1, 2, 3, 4}, d.bytes(out, 4));
            assertNotEquals(-1, gen);
        }
    }

    @Test
    void queueOutsideRamNeedsReset() throws Exception {
        try (FakeDriver d = new FakeDriver(new EchoDevice())) {
            d.init(1L << 32);
            d.reg(VirtioMmio.STATUS, 0);
            d.reg(VirtioMmio.STATUS, VirtioMmio.ACKNOWLEDGE | VirtioMmio.DRIVER);
            d.reg(VirtioMmio.DRIVER_FEATURES_SEL, 1);
            d.reg(VirtioMmio.DRIVER_FEATURES, 1);
            d.reg(VirtioMmio.STATUS, VirtioMmio.ACKNOWLEDGE | VirtioMmio.DRIVER | VirtioMmio.FEATURES_OK);
            d.setupQueue(0, 16, FakeDriver.BASE + FakeDriver.RAM_SIZE - 64, FakeDriver.avail(0), FakeDriver.used(0));
            d.reg(VirtioMmio.STATUS, 15);
            assertTrue(d.needsReset());
        }
    }

    @Test
    void odd_queue_sizes_and_misaligned_rings_need_reset() {
        for (int size : new int[] {0, 3, 512}) {
            try (FakeDriver d = new FakeDriver(new EchoDevice())) {
                d.reg(VirtioMmio.STATUS, 3);
                d.reg(VirtioMmio.DRIVER_FEATURES_SEL, 1);
                d.reg(VirtioMmio.DRIVER_FEATURES, 1);
                d.reg(VirtioMmio.STATUS, 11);
                d.setupQueue(0, size, FakeDriver.desc(0), FakeDriver.avail(0), FakeDriver.used(0));
                d.reg(VirtioMmio.STATUS, 15);
                assertTrue(d.needsReset(), "size " + size);
            }
        }
        try (FakeDriver d = new FakeDriver(new EchoDevice())) {
            d.reg(VirtioMmio.STATUS, 3);
            d.reg(VirtioMmio.DRIVER_FEATURES_SEL, 1);
            d.reg(VirtioMmio.DRIVER_FEATURES, 1);
            d.reg(VirtioMmio.STATUS, 11);
            d.setupQueue(0, 16, FakeDriver.desc(0) + 8, FakeDriver.avail(0), FakeDriver.used(0));
            d.reg(VirtioMmio.STATUS, 15);
            assertTrue(d.needsReset());
        }
    }

    @Test
    void entropyDeviceFillsBuffers() throws Exception {
        try (FakeDriver d = new FakeDriver(new VirtioRng())) {
            assertEquals(4, d.reg(VirtioMmio.DEVICE_ID));
            d.init();
            FakeDriver.Buf a = d.writable(64), b = d.writable(4000);
            d.offer(0, a);
            d.offer(0, b);
            d.kick(0);
            assertTrue(d.awaitUsed(0, 2, 5000));
            assertEquals(64, d.usedElem(0, 0)[1]);
            assertEquals(4000, d.usedElem(0, 1)[1]);
            byte[] bytes = d.bytes(b, 4000);
            int zeros = 0;
            for (byte x : bytes) if (x == 0) zeros++;
            assertTrue(zeros < 100, "random bytes, not zeros: " + zeros);
        }
    }
}
