package jvisor.cpu;

/**
 * What the CPU keeps about one physical page of guest code: its decoded instructions (one slot
 * per 2-byte position) and, once parts of it run hot, compiled regions. The whole object is
 * dropped when the page is written, so neither can go stale.
 */
public final class CodePage {
    /** Packed {@link Decoded} ops; 0 = not decoded yet, {@link Op#REGION} = enter {@link #regions}. */
    public final long[] ops = new long[DecodeCache.SLOTS];
    /** RAM offset of the page. */
    public final long pageOff;
    /** Compiled regions by entry slot; null until the first compilation. */
    Region[] regions;
    /** Profile: how often the interpreter's periodic sample landed on each slot. */
    byte[] heat;

    CodePage(long pageOff) { this.pageOff = pageOff; }
}
