package jvisor.fuzz;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Machine code being generated at a known address, with a listing (one line per instruction) for
 * mismatch reports. Forward jumps are emitted with a placeholder and patched once the target is
 * known.
 */
final class Code {
    /** One listing line: the instruction's address and what it is. */
    record Line(long addr, int size, String text) {}

    private final long base;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final List<Line> lines = new ArrayList<>();
    /** Patches as {offset, size, value}, applied by {@link #toBytes}. */
    private final List<long[]> pending = new ArrayList<>();
    /** Instructions the minimizer must keep (loop control: without it a run may not end). */
    private final java.util.Set<Long> kept = new java.util.HashSet<>();
    private final List<long[]> units = new ArrayList<>();

    Code(long base) { this.base = base; }

    /** Address of the next instruction. */
    long pc() { return base + size(); }

    int size() { return bytes.size(); }

    void emit32(int word, String text) {
        lines.add(new Line(pc(), 4, text));
        for (int i = 0; i < 4; i++) bytes.write(word >>> 8 * i);
    }

    void emit16(int half, String text) {
        lines.add(new Line(pc(), 2, text));
        bytes.write(half);
        bytes.write(half >>> 8);
    }

    /** Raw data in the instruction stream (bytes jumped over). */
    void emitData(int word) {
        lines.add(new Line(pc(), 4, String.format(".word 0x%08x (never runs)", word)));
        for (int i = 0; i < 4; i++) bytes.write(word >>> 8 * i);
    }

    /** A placeholder to {@link #patch32} or {@link #patch16} later; returns its address. */
    long reserve(int size) {
        long at = pc();
        lines.add(new Line(at, size, "?"));
        for (int i = 0; i < size; i++) bytes.write(0);
        return at;
    }

    void patch32(long at, int word, String text) {
        patch(at, 4, word, text);
    }

    void patch16(long at, int half, String text) {
        patch(at, 2, half, text);
    }

    private void patch(long at, int size, int value, String text) {
        pending.add(new long[] {at - base, size, value & 0xffffffffL});
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).addr() == at) {
                lines.set(i, new Line(at, size, text));
                return;
            }
        }
        throw new IllegalStateException("no placeholder at 0x" + Long.toHexString(at));
    }

    byte[] toBytes() {
        byte[] out = bytes.toByteArray();
        for (long[] p : pending) {
            for (int i = 0; i < p[1]; i++) out[(int) p[0] + i] = (byte) (p[2] >>> 8 * i);
        }
        return out;
    }

    /** Marks the instruction emitted last as one the minimizer keeps. */
    void keepLast() { kept.add(lines.getLast().addr()); }

    void keep(long addr) { kept.add(addr); }

    /** A loop or function, from start to end: the minimizer may remove it as a whole. */
    void unit(long start, long end) { units.add(new long[] {start, end}); }

    List<long[]> units() { return units; }

    boolean kept(long addr) { return kept.contains(addr); }

    List<Line> lines() { return lines; }

    /** The listing line of the instruction at {@code addr}, or null. */
    Line lineAt(long addr) {
        for (Line l : lines) if (l.addr() == addr) return l;
        return null;
    }
}
