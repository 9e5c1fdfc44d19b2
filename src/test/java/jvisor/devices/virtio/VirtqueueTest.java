package jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jvisor.memory.GuestRam;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Split virtqueue parsing (virtio 1.2 §2.7) on hand-made rings, well-formed and not. */
class VirtqueueTest {
    static final long BASE = 0x8000_0000L, DESC = BASE + 0x1000, AVAIL = BASE + 0x2000, USED = BASE + 0x3000;
    final GuestRam ram = new GuestRam(BASE, 1 << 20);
    int availIdx;

    @AfterEach
    void close() { ram.close(); }

    Virtqueue queue(int size, long features) {
        Virtqueue q = new Virtqueue(0, 256);
        q.size = size;
        q.desc = DESC;
        q.avail = AVAIL;
        q.used = USED;
        q.ready = true;
        assertNull(q.start(ram, features));
        return q;
    }

    void desc(long table, int i, long addr, long len, int flags, int next) {
        long d = table - BASE + 16L * i;
        ram.putLong(d, addr);
        ram.putInt(d + 8, (int) len);
        ram.putShort(d + 12, (short) flags);
        ram.putShort(d + 14, (short) next);
    }

    void publish(int head) {
        ram.putShort(AVAIL - BASE + 4 + 2L * (availIdx % 16), (short) head);
        availIdx++;
        ram.putShort(AVAIL - BASE + 2, (short) availIdx);
    }

    VirtqueueException rejects(Virtqueue q) {
        return assertThrows(VirtqueueException.class, q::pop);
    }

    @Test
    void needEventMatchesTheSpecFormula() {
        assertTrue(Virtqueue.needEvent(0, 1, 0));
        assertFalse(Virtqueue.needEvent(1, 1, 0));
        assertTrue(Virtqueue.needEvent(1, 2, 0));
        assertTrue(Virtqueue.needEvent(0xffff, 0, 0xfffe), "wraps at 16 bits");
        assertFalse(Virtqueue.needEvent(5, 3, 2));
    }

    @Test
    void walksADirectChain() throws Exception {
        Virtqueue q = queue(16, 0);
        desc(DESC, 3, BASE + 0x10000, 100, Chain.F_NEXT, 7);
        desc(DESC, 7, BASE + 0x20000, 50, Chain.F_NEXT | Chain.F_WRITE, 1);
        desc(DESC, 1, BASE + 0x30000, 10, Chain.F_WRITE, 0);
        publish(3);
        Chain c = q.pop();
        assertNotNull(c);
        assertEquals(3, c.head());
        assertEquals(100, c.readable());
        assertEquals(60, c.writable());
        assertEquals(3, c.buffers());
        assertNull(q.pop());
        c.write(new byte[55]);
        q.push(c);
        assertEquals(1, ram.getShort(USED - BASE + 2));
        assertEquals(3, ram.getInt(USED - BASE + 4));
        assertEquals(55, ram.getInt(USED - BASE + 8));
    }

    @Test
    void walksAChainEndingInAnIndirectTable() throws Exception {
        Virtqueue q = queue(16, 1L << VirtioDevice.F_INDIRECT_DESC);
        long table = BASE + 0x8000;
        desc(table, 0, BASE + 0x10000, 8, Chain.F_NEXT, 2);
        desc(table, 2, BASE + 0x11000, 8, Chain.F_WRITE, 0);
        desc(DESC, 0, BASE + 0x12000, 4, Chain.F_NEXT, 1);
        desc(DESC, 1, table, 48, Chain.F_INDIRECT | Chain.F_WRITE, 0); // WRITE on the table itself is ignored
        publish(0);
        Chain c = q.pop();
        assertEquals(12, c.readable());
        assertEquals(8, c.writable());
    }

    @Test
    void rejectsBuffersOutsideRam() {
        Virtqueue q = queue(16, 0);
        desc(DESC, 0, BASE + (1 << 20) - 8, 16, 0, 0);
        publish(0);
        rejects(q);
        Virtqueue q2 = queue(16, 0);
        availIdx = 0;
        desc(DESC, 0, -8, 16, 0, 0);
        publish(0);
        rejects(q2);
    }

    @Test
    void rejectsLoops() {
        Virtqueue q = queue(16, 0);
        desc(DESC, 0, BASE + 0x10000, 8, Chain.F_NEXT, 1);
        desc(DESC, 1, BASE + 0x10000, 8, Chain.F_NEXT, 0);
        publish(0);
        assertTrue(rejects(q).getMessage().contains("loop"));
        Virtqueue self = queue(16, 0);
        availIdx = 0;
        desc(DESC, 5, BASE + 0x10000, 8, Chain.F_NEXT, 5);
        publish(5);
        rejects(self);
    }

    @Test
    void rejectsReadableAfterWritable() {
        Virtqueue q = queue(16, 0);
        desc(DESC, 0, BASE + 0x10000, 8, Chain.F_NEXT | Chain.F_WRITE, 1);
        desc(DESC, 1, BASE + 0x10000, 8, 0, 0);
        publish(0);
        rejects(q);
    }

    @Test
    void rejectsIndexesBeyondTheQueue() {
        Virtqueue q = queue(16, 0);
        publish(16);
        rejects(q);
        Virtqueue q2 = queue(16, 0);
        availIdx = 0;
        desc(DESC, 0, BASE + 0x10000, 8, Chain.F_NEXT, 200);
        publish(0);
        rejects(q2);
    }

    @Test
    void rejectsAnAvailIndexTooFarAhead() {
        Virtqueue q = queue(16, 0);
        ram.putShort(AVAIL - BASE + 2, (short) 17);
        rejects(q);
    }

    @Test
    void rejectsBadIndirectTables() {
        long table = BASE + 0x8000;
        // not negotiated
        Virtqueue q = queue(16, 0);
        desc(DESC, 0, table, 16, Chain.F_INDIRECT, 0);
        publish(0);
        rejects(q);
        long indirect = 1L << VirtioDevice.F_INDIRECT_DESC;
        // nested
        availIdx = 0;
        q = queue(16, indirect);
        desc(table, 0, table, 16, Chain.F_INDIRECT, 0);
        publish(0);
        assertTrue(rejects(q).getMessage().contains("inside an indirect"));
        // with NEXT
        availIdx = 0;
        q = queue(16, indirect);
        desc(DESC, 0, table, 16, Chain.F_INDIRECT | Chain.F_NEXT, 1);
        publish(0);
        rejects(q);
        // bad lengths
        for (long len : new long[] {0, 15, 17, 16L * 5000, 0xffff_fff0L}) {
            availIdx = 0;
            q = queue(16, indirect);
            desc(DESC, 0, table, len, Chain.F_INDIRECT, 0);
            publish(0);
            rejects(q);
        }
        // loop inside the table
        availIdx = 0;
        q = queue(16, indirect);
        desc(table, 0, BASE + 0x10000, 8, Chain.F_NEXT, 1);
        desc(table, 1, BASE + 0x10000, 8, Chain.F_NEXT, 0);
        desc(DESC, 0, table, 32, Chain.F_INDIRECT, 0);
        publish(0);
        rejects(q);
        // next beyond the table
        availIdx = 0;
        q = queue(16, indirect);
        desc(table, 0, BASE + 0x10000, 8, Chain.F_NEXT, 2);
        desc(DESC, 0, table, 32, Chain.F_INDIRECT, 0);
        publish(0);
        rejects(q);
    }

    @Test
    void rejectsChainsOverFourGigabytes() {
        Virtqueue q = queue(16, 0);
        GuestRam big = ram;
        desc(DESC, 0, BASE, 1 << 20, Chain.F_NEXT, 1);
        for (int i = 1; i < 15; i++) desc(DESC, i, BASE, 1 << 20, Chain.F_NEXT, i + 1);
        desc(DESC, 15, BASE, 1 << 20, 0, 0);
        publish(0);
        try {
            q.pop(); // 16 MiB: fine
        } catch (VirtqueueException e) {
            throw new AssertionError(e);
        }
        assertNotNull(big);
    }
}
