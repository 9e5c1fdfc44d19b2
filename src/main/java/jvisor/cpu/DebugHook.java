package jvisor.cpu;

/**
 * What a debugger ({@code jvisor.gdb}) plugs into a hart, through {@link Hart#debug}. Null there
 * when no debugger is attached, and then nothing below costs anything: the hart reads the field
 * once per block and on slow paths (TLB misses), never per instruction.
 *
 * <p>How breakpoints and watchpoints stay exact with the TLB and the JIT: a page holding a
 * breakpoint never enters a fetch TLB, so every entry into it takes the fetch slow path, which
 * hands the interpreter a private copy of the decoded page ({@link CodePage#debugCopy}) with a
 * stop op in each breakpoint slot and no compiled regions. A page holding a watchpoint never enters
 * a load or store TLB, so every access to it reaches {@link #watch}. Single steps run blocks of one
 * instruction from such private copies. When breakpoints or watchpoints change, every hart flushes
 * its TLBs ({@link Mmu#flushAll}) before it runs again.
 */
public interface DebugHook {
    /** {@link #watch} results: the page holds no watchpoint, holds one but this access misses, or hits. */
    int UNWATCHED = 0, WATCHED_PAGE = 1, HIT = 2;

    /**
     * At each block boundary, on the hart's thread: parks the hart while the debugger holds it
     * (returning early if a stop of the machine is requested) and returns the budget of the next
     * block, 1 for a single step; 0 runs nothing this time.
     */
    int beforeBlock(Hart h, int budget);

    /** True while the hart single-steps: interrupts wait, as with QEMU's gdb stub. */
    boolean stepping(Hart h);

    /** True if the hart parked in wfi should come back to {@link #beforeBlock} now. */
    boolean wantsHart(Hart h);

    /**
     * Fetch TLB miss for the page of virtual address {@code pc}: null to use the shared decoded
     * page as usual, else the breakpoint slots of that page (possibly none, while stepping) for a
     * private copy that is kept out of the TLB.
     */
    int[] breakpointSlots(Hart h, long pc);

    /**
     * A data access that missed the TLB ({@code store}: stores, SC and AMOs). Returns
     * {@link #UNWATCHED}, {@link #WATCHED_PAGE} (keep it out of the TLB) or {@link #HIT}: the
     * access then stops before it happens, as gdb expects on RISC-V (it steps over the instruction
     * itself, with watchpoints removed, and then compares the old and new values).
     */
    int watch(Hart h, long va, int size, boolean store);
}
