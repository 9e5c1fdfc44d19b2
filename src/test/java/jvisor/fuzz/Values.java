package jvisor.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/** Initial register and memory contents, leaning to the values arithmetic gets wrong. */
final class Values {
    private Values() {}

    private static final long[] INTS = {0, 1, -1, 2, -2, Long.MIN_VALUE, Long.MAX_VALUE, Long.MIN_VALUE + 1,
        Integer.MIN_VALUE, Integer.MAX_VALUE, 0xffffffffL, 0x80000000L, 0x7fffffffL + 1, 0xffffffff00000000L,
        63, 64, 31, 32, 0x8000, 0xffff, -0x8000};

    private static final long[] DOUBLES = {0, 1, 0x000fffffffffffffL, 0x0010000000000000L, 0x7fefffffffffffffL,
        0x3ff0000000000000L, 0x3ff0000000000001L, 0x3fe0000000000000L, 0x7ff0000000000000L, 0x7ff8000000000000L,
        0x7ff0000000000001L, 0x7ff4000000000000L, 0x41e0000000000000L, 0x43e0000000000000L, 0x43f0000000000000L,
        0x4330000000000000L, 0x3ca0000000000000L, 0x4008000000000000L, 0x400921fb54442d18L};

    private static final int[] SINGLES = {0, 1, 0x007fffff, 0x00800000, 0x7f7fffff, 0x3f800000, 0x3f800001,
        0x3f000000, 0x7f800000, 0x7fc00000, 0x7f800001, 0x7fa00000, 0x4f000000, 0x5f000000, 0x4b000000,
        0x33800000, 0x40400000};

    static long integer(SplittableRandom r) {
        return switch (r.nextInt(10)) {
            case 0, 1, 2, 3 -> INTS[r.nextInt(INTS.length)];
            case 4, 5 -> r.nextInt(256) - 128;
            case 6 -> fp(r);
            default -> r.nextLong();
        };
    }

    /** A double or a NaN-boxed single (now and then badly boxed), often special. */
    static long fp(SplittableRandom r) {
        long sign = r.nextBoolean() ? 1 : 0;
        if (r.nextInt(3) == 0) {
            long s = switch (r.nextInt(3)) {
                case 0 -> SINGLES[r.nextInt(SINGLES.length)] & 0xffffffffL;
                case 1 -> Float.floatToRawIntBits((float) (r.nextInt(2000) - 1000) / (1 + r.nextInt(16))) & 0xffffffffL;
                default -> r.nextInt() & 0xffffffffL;
            };
            s |= sign << 31;
            return r.nextInt(20) == 0 ? s : 0xffffffff00000000L | s;
        }
        return switch (r.nextInt(3)) {
            case 0 -> DOUBLES[r.nextInt(DOUBLES.length)] | sign << 63;
            case 1 -> Double.doubleToRawLongBits((double) (r.nextInt(2000) - 1000) / (1 + r.nextInt(16)));
            default -> r.nextLong();
        };
    }

    /** INIT: x0..x31 (x2 = sp), f0..f31, fcsr with a valid rounding mode. */
    static byte[] init(SplittableRandom r) {
        ByteBuffer b = ByteBuffer.allocate(65 * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 32; i++) b.putLong(i == 0 ? 0 : i == 2 ? Program.SP : integer(r));
        for (int i = 0; i < 32; i++) b.putLong(fp(r));
        b.putLong(r.nextInt(5) << 5 | r.nextInt(32));
        return b.array();
    }

    static byte[] data(SplittableRandom r, int size) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) b.putLong(r.nextBoolean() ? fp(r) : integer(r));
        return b.array();
    }
}
