package jvisor.cpu;

/**
 * Guest code compiled to JVM bytecode ({@code jvisor.jit}): runs from its entry until it leaves
 * the compiled code, uses up its instruction budget, or an access faults. A class rather than an
 * interface: the interpreter's call to {@link #run} sees thousands of region classes, and a
 * megamorphic virtual call is a vtable load where an interface call searches the itable.
 */
public abstract class Region {
    /** Full-privilege lookup in this package, where compiled regions are defined as hidden classes. */
    public static final java.lang.invoke.MethodHandles.Lookup LOOKUP = java.lang.invoke.MethodHandles.lookup();

    protected Region() {}

    /**
     * Where a compiled region's class initializer leaves the class's one instance, for the thread
     * that defined the class ({@link #defineCompiled}): making it there costs no method handle,
     * whose machinery HotSpot otherwise compiled again and again during a boot.
     */
    static final ThreadLocal<Region> BORN = new ThreadLocal<>();

    /**
     * Defines {@code classBytes} as a hidden class in this package and returns its instance, which
     * its class initializer put in {@link #BORN}.
     */
    public static Region defineCompiled(byte[] classBytes) throws IllegalAccessException {
        LOOKUP.defineHiddenClass(classBytes, true); // initialized, so its instance is born
        Region r = BORN.get();
        BORN.remove();
        if (r == null) throw new IllegalStateException("a compiled region's class made no instance");
        return r;
    }

    /**
     * Runs from {@code pc}, which must lie on one of the region's entry slots. Returns the next
     * pc; the number of instructions retired is left in {@link Hart#jitRetired}. After a
     * fault ({@link Hart#fault} set) the returned pc is the faulting instruction's, or for a store
     * that only ends the block (cause -1), the pc after it. With {@code x} null it returns at
     * once: the JIT's warm-up calls, which get the method compiled before a hart runs it.
     */
    public abstract long run(long[] x, Mmu m, Hart h, long pc);
}
