package jvisor.state;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads back one section written by {@link StateWriter}. Running past the end, a length that
 * cannot be right or a value outside its range throws {@link StateException} naming the
 * section, so a damaged or hand-made stream stops the restore with a message.
 */
public final class StateReader {
    private final String section;
    private final int version;
    private final byte[] buf;
    private int pos;

    public StateReader(String section, int version, byte[] payload) {
        this.section = section;
        this.version = version;
        this.buf = payload;
    }

    /** The name of the section being read, for messages. */
    public String section() { return section; }

    /** The format version its writer gave the section. */
    public int version() { return version; }

    private void need(int n) throws StateException {
        if (n < 0 || buf.length - pos < n) throw fail("ends early");
    }

    public int u8() throws StateException {
        need(1);
        return buf[pos++] & 0xff;
    }

    /** A byte that must be at most {@code max}. */
    public int u8(int max, String what) throws StateException {
        int v = u8();
        if (v > max) throw fail(what + " " + v + " is above " + max);
        return v;
    }

    public boolean bool() throws StateException {
        int v = u8();
        if (v > 1) throw fail("holds " + v + " where a boolean belongs");
        return v == 1;
    }

    public int i32() throws StateException {
        need(4);
        int v = 0;
        for (int i = 0; i < 4; i++) v |= (buf[pos++] & 0xff) << 8 * i;
        return v;
    }

    public long i64() throws StateException {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) v |= (buf[pos++] & 0xffL) << 8 * i;
        return v;
    }

    /** An int that must lie in {@code [min, max]}; {@code what} names it in the message. */
    public int i32(int min, int max, String what) throws StateException {
        int v = i32();
        if (v < min || v > max) throw fail(what + " " + v + " is outside [" + min + ", " + max + "]");
        return v;
    }

    /** A long that must lie in {@code [min, max]}. */
    public long i64(long min, long max, String what) throws StateException {
        long v = i64();
        if (v < min || v > max) throw fail(what + " " + v + " is outside [" + min + ", " + max + "]");
        return v;
    }

    /** A length-prefixed array of longs that must have exactly {@code expected} elements. */
    public long[] longs(int expected, String what) throws StateException {
        int n = i32();
        if (n != expected) throw fail(what + " has " + n + " entries, expected " + expected);
        need(8 * n);
        long[] v = new long[n];
        for (int i = 0; i < n; i++) v[i] = i64();
        return v;
    }

    /** Reads a length-prefixed long array into {@code into}, which fixes its length. */
    public void longs(long[] into, String what) throws StateException {
        long[] v = longs(into.length, what);
        System.arraycopy(v, 0, into, 0, v.length);
    }

    /** A length-prefixed byte array of at most {@code max} bytes. */
    public byte[] bytes(int max, String what) throws StateException {
        int n = i32();
        if (n < 0 || n > max) throw fail(what + " has length " + n + " (at most " + max + ")");
        need(n);
        byte[] v = Arrays.copyOfRange(buf, pos, pos + n);
        pos += n;
        return v;
    }

    /** A string of at most {@code max} bytes; null if it was written as null. */
    public String string(int max, String what) throws StateException {
        int n = i32();
        if (n == -1) return null;
        pos -= 4;
        return new String(bytes(max, what), StandardCharsets.UTF_8);
    }

    /** Throws unless every byte was read: a longer section than its reader knows is not this version's. */
    public void end() throws StateException {
        if (pos != buf.length) throw fail("has " + (buf.length - pos) + " bytes more than this version reads");
    }

    /** Throws a {@link StateException} naming the section unless {@code ok}. */
    public void check(boolean ok, String what) throws StateException {
        if (!ok) throw fail(what);
    }

    public StateException fail(String what) {
        return new StateException("snapshot section '" + section + "' " + what);
    }
}
