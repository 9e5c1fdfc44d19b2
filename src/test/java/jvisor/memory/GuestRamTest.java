package jvisor.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The harts' accessors read and write what RAM's checked ones do, and nothing outside RAM. */
class GuestRamTest {
    private static final long SIZE = 1 << 20;

    @Test
    void hartAccessesSeeTheSameLittleEndianBytes() {
        try (GuestRam ram = new GuestRam(0x8000_0000L, SIZE)) {
            long last = SIZE - 8;
            ram.hartPutLong(last, 0x0807_0605_0403_0201L);
            assertEquals(0x0807_0605_0403_0201L, ram.getLong(last));
            assertEquals(0x01, ram.hartGetByte(last));
            assertEquals(0x0201, ram.hartGetShort(last));
            assertEquals(0x0807_0605, ram.hartGetInt(SIZE - 4));
            assertEquals((byte) 0x08, ram.hartGetByte(SIZE - 1));
            ram.putInt(16, 0xCAFE_F00D);
            assertEquals(0xCAFE_F00D, ram.hartGetInt(16));
            ram.hartPutShort(16, (short) 0xBEEF);
            ram.hartPutByte(19, (byte) 0x12);
            assertEquals(0x12FE_BEEF, ram.getInt(16));
            ram.hartPutInt(17, -1); // unaligned
            assertEquals(0xFF_FFFF_FFEFL, ram.hartGetLong(16));
        }
    }

    @Test
    void hartAccessesOutsideRamFail() {
        try (GuestRam ram = new GuestRam(0x8000_0000L, SIZE)) {
            assertThrows(IndexOutOfBoundsException.class, () -> ram.hartGetLong(SIZE - 7));
            assertThrows(IndexOutOfBoundsException.class, () -> ram.hartGetInt(SIZE - 3));
            assertThrows(IndexOutOfBoundsException.class, () -> ram.hartGetShort(SIZE - 1));
            assertThrows(IndexOutOfBoundsException.class, () -> ram.hartGetByte(SIZE));
            assertThrows(IndexOutOfBoundsException.class, () -> ram.hartGetByte(-1));
            assertThrows(IndexOutOfBoundsException.class, () -> ram.hartPutLong(-8, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> ram.hartPutLong(Long.MIN_VALUE, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> ram.hartPutByte(SIZE, (byte) 0));
        }
    }
}
