package jvisor.host;

import java.util.Locale;

/** Sizes like {@code 512M}, {@code 2G} or {@code 65536} (bytes; K, M, G and T are powers of 1024). */
public final class ByteSize {
    private ByteSize() {}

    /** The number of bytes; IllegalArgumentException with a hint when {@code value} is not a size. */
    public static long parse(String value) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        if (v.endsWith("B")) v = v.substring(0, v.length() - 1);
        long unit = 1;
        if (!v.isEmpty()) {
            switch (v.charAt(v.length() - 1)) {
                case 'K' -> unit = 1L << 10;
                case 'M' -> unit = 1L << 20;
                case 'G' -> unit = 1L << 30;
                case 'T' -> unit = 1L << 40;
                default -> { }
            }
        }
        if (unit != 1) v = v.substring(0, v.length() - 1);
        try {
            long n = Long.parseLong(v);
            if (n <= 0 || n > Long.MAX_VALUE / unit) throw new NumberFormatException();
            return n * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a size (try 512M or 2G)");
        }
    }

    /** The short spelling: 512M, 2G, or bytes when no unit divides it. */
    public static String format(long bytes) {
        String[] units = {"T", "G", "M", "K"};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << (40 - 10 * i);
            if (bytes >= unit && bytes % unit == 0) return bytes / unit + units[i];
        }
        return Long.toString(bytes);
    }
}
