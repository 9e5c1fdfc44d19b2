package jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import jvisor.memory.GuestRam;
import org.junit.jupiter.api.Test;

/**
 * Malformed descriptor tables and rings, generated at random (fixed seeds, so failures
 * reproduce): every case must end in a checked chain, a {@link VirtqueueException}, or through
 * the whole transport a completed request or DEVICE_NEEDS_RESET: never another exception, never
 * a hang.
 */
class ChainFuzzTest {
    static final long BASE = FakeDriver.BASE;

    /** A descriptor that is often plausible and sometimes wild. */
    static void randomDesc(GuestRam ram, long table, int i, SplittableRandom r, int tableSize) {
        long d = table - BASE + 16L * i;
        long addr = switch (r.nextInt(6)) {
            case 0 -> r.nextLong();
            case 1 -> BASE + FakeDriver.RAM_SIZE - r.nextInt(64);
            case 2 -> BASE + 0x1000 + 16L * r.nextInt(64); // the rings themselves
            default -> BASE + 0x40000 + r.nextInt(0x80000);
        };
        int len = switch (r.nextInt(6)) {
            case 0 -> r.nextInt();
            case 1 -> 0;
            case 2 -> 16 * r.nextInt(1, 40);
            default -> r.nextInt(1, 4096);
        };
        int flags = r.nextInt(8) | (r.nextInt(10) == 0 ? r.nextInt(1 << 16) : 0);
        int next = r.nextInt(4) == 0 ? r.nextInt(1 << 16) : r.nextInt(tableSize);
        ram.putLong(d, addr);
        ram.putInt(d + 8, len);
        ram.putShort(d + 12, (short) flags);
        ram.putShort(d + 14, (short) next);
    }

    @Test
    void randomTablesEitherParseOrAreRejected() {
        SplittableRandom r = new SplittableRandom(6);
        int parsed = 0, rejected = 0;
        try (GuestRam ram = new GuestRam(BASE, FakeDriver.RAM_SIZE)) {
            for (int round = 0; round < 20_000; round++) {
                int size = 1 << r.nextInt(0, 9);
                Virtqueue q = new Virtqueue(0, 256);
                q.size = size;
                q.desc = BASE + 0x1000;
                q.avail = BASE + 0x20000;
                q.used = BASE + 0x30000;
                q.ready = true;
                q.start(ram, r.nextBoolean() ? 1L << VirtioDevice.F_INDIRECT_DESC : 0);
                for (int i = 0; i < size; i++) randomDesc(ram, q.desc, i, r, size);
                // indirect tables land somewhere in the buffer area: fill some of it with descriptors
                for (int i = 0; i < 64; i++) randomDesc(ram, BASE + 0x40000 + 16L * r.nextInt(0x8000), 0, r, 16);
                int pending = r.nextInt(4) == 0 ? r.nextInt(1 << 16) : r.nextInt(1, 4);
                for (int i = 0; i < 4; i++) ram.putShort(q.avail - BASE + 4 + 2L * i, (short) (r.nextInt(8) == 0 ? r.nextInt(1 << 16) : r.nextInt(size)));
                ram.putShort(q.avail - BASE + 2, (short) pending);
                try {
                    for (int i = 0; i < 4; i++) {
                        Chain c = q.pop();
                        if (c == null) break;
                        // use it as a device would
                        c.readAll(1 << 22);
                        c.fillWritable(Math.min(c.writable(), 1 << 16));
                        q.push(c);
                        parsed++;
                    }
                } catch (VirtqueueException e) {
                    rejected++;
                } catch (RuntimeException e) {
                    fail("round " + round + ": host exception", e);
                }
            }
        }
        assertTrue(parsed > 1000 && rejected > 1000, "parsed " + parsed + ", rejected " + rejected);
    }

    @Test
    void malformedChainsThroughTheTransportEndInCompletionOrNeedsReset() throws Exception {
        SplittableRandom r = new SplittableRandom(1234);
        int completed = 0, reset = 0;
        for (int round = 0; round < 150; round++) {
            try (FakeDriver d = new FakeDriver(round % 2 == 0 ? new EchoDevice() : new VirtioRng())) {
                d.init(1L << 32 | (r.nextBoolean() ? 1L << 28 : 0) | (r.nextBoolean() ? 1L << 29 : 0));
                for (int i = 0; i < FakeDriver.QSIZE; i++) randomDesc(d.ram, FakeDriver.desc(0), i, r, FakeDriver.QSIZE);
                for (int i = 0; i < 64; i++) randomDesc(d.ram, BASE + 0x40000 + 16L * r.nextInt(0x8000), 0, r, 16);
                int n = r.nextInt(1, 5);
                for (int i = 0; i < n; i++) d.publish(0, r.nextInt(6) == 0 ? r.nextInt(1 << 16) : r.nextInt(FakeDriver.QSIZE));
                d.kick(0);
                long deadline = System.currentTimeMillis() + 10_000;
                while (System.currentTimeMillis() < deadline && !d.needsReset() && d.usedIdx(0) != n) Thread.sleep(1);
                String error = d.mmio.lastError();
                if (error != null && error.startsWith("internal error")) fail("round " + round + ": " + error);
                if (d.needsReset()) reset++;
                else if (d.usedIdx(0) == n) completed++;
                else fail("round " + round + ": the device neither completed nor asked for a reset");
            }
        }
        assertTrue(completed > 5 && reset > 5, "completed " + completed + ", reset " + reset);
    }
}
