package jvisor.state;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Collects one section's state as little-endian bytes. Sections are small (registers, queue
 * indexes); RAM and disk overlays are written by the stream itself, not through here.
 */
public final class StateWriter {
    private byte[] buf = new byte[256];
    private int len;

    private void room(int n) {
        if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }

    public StateWriter u8(int v) {
        room(1);
        buf[len++] = (byte) v;
        return this;
    }

    public StateWriter bool(boolean v) { return u8(v ? 1 : 0); }

    public StateWriter i32(int v) {
        room(4);
        for (int i = 0; i < 4; i++) buf[len++] = (byte) (v >>> 8 * i);
        return this;
    }

    public StateWriter i64(long v) {
        room(8);
        for (int i = 0; i < 8; i++) buf[len++] = (byte) (v >>> 8 * i);
        return this;
    }

    /** A length-prefixed array of longs. */
    public StateWriter longs(long[] v) {
        i32(v.length);
        for (long x : v) i64(x);
        return this;
    }

    /** A length-prefixed byte array. */
    public StateWriter bytes(byte[] v) { return bytes(v, 0, v.length); }

    public StateWriter bytes(byte[] v, int from, int n) {
        i32(n);
        room(n);
        System.arraycopy(v, from, buf, len, n);
        len += n;
        return this;
    }

    /** A UTF-8 string, length-prefixed; null is written as length -1. */
    public StateWriter string(String s) {
        if (s == null) return i32(-1);
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    public int size() { return len; }

    /** The bytes written so far. */
    public byte[] toByteArray() { return Arrays.copyOf(buf, len); }
}
