package jvisor.cpu;

/**
 * Compiles hot guest code to {@link Region}s. The interpreter samples the pc every time a block
 * ends on its budget; a slot sampled {@link #threshold()} times is compiled, starting there and
 * covering what is reachable from it within the page.
 */
public interface Jit {
    /** Samples at a slot before it is compiled. */
    int threshold();

    /** Compiles code starting at {@code slot} of {@code page}, or returns null if nothing there is compilable. */
    Region compile(CodePage page, int slot);
}
