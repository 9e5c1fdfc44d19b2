package jvisor.firmware;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class FdtTest {
    /** Boot loaders (U-Boot) add properties in place, within totalsize: the blob leaves room, as QEMU's does. */
    @Test
    void leavesFreeSpaceForInPlaceEdits() {
        Fdt fdt = new Fdt();
        fdt.root().child("chosen").strings("bootargs", "console=ttyS0");
        byte[] dtb = fdt.toDtb(0);
        ByteBuffer b = ByteBuffer.wrap(dtb);
        assertEquals(0xd00dfeed, b.getInt(0));
        int total = b.getInt(4), stringsEnd = b.getInt(12) + b.getInt(32);
        assertEquals(dtb.length, total);
        assertTrue(total - stringsEnd >= Fdt.FREE_SPACE, "free space: " + (total - stringsEnd));
    }
}
