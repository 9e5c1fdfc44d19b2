package jvisor.cpu;

/**
 * Guest code compiled to JVM bytecode ({@code jvisor.jit}): runs from its entry until it leaves
 * the compiled code, uses up its instruction budget, or an access faults.
 */
public interface Region {
    /** Full-privilege lookup in this package, where compiled regions are defined as hidden classes. */
    java.lang.invoke.MethodHandles.Lookup LOOKUP = java.lang.invoke.MethodHandles.lookup();

    /**
     * Runs with {@code vbase} the virtual address of the page the region was entered in. Returns
     * the next pc; the number of instructions retired is left in {@link Hart#jitRetired}. After a
     * fault ({@link Hart#fault} set) the returned pc is the faulting instruction's, or for a store
     * that only ends the block (cause -1), the pc after it.
     */
    long run(long[] x, Mmu m, Hart h, long vbase);
}
