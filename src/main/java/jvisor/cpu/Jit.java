package jvisor.cpu;

/**
 * Compiles hot guest code to {@link Region}s. The interpreter counts where interpreted code
 * starts: loop heads (targets of backward jumps), code entered from another page, and code a
 * region exits to. A slot counted {@link #threshold()} times is compiled, starting there and
 * covering what is reachable from it within the page.
 */
public interface Jit {
    /** Counted starts at a slot before it is compiled. */
    int threshold();

    /**
     * Compiles code starting at {@code slot} of {@code page} and installs it there
     * ({@link CodePage#install}), now or soon on another thread; nothing if none is compilable.
     */
    void request(CodePage page, int slot);

    /**
     * Called when {@code page} has become code (its decoding starts): may install regions
     * compiled before for the same code. On the hart's thread, once per page.
     */
    void adopt(CodePage page);

    /**
     * A compiled region and the slots it can be entered at: its first instruction and the return
     * sites of the calls in it (code reached by a return rarely starts where a region does).
     */
    record Compiled(Region region, int[] slots) {}
}
