/**
 * The JIT: hot guest code becomes JVM bytecode, which HotSpot compiles to native code.
 *
 * <p>{@link jvisor.jit.RegionCompiler} takes the decoded instructions reachable from a hot entry
 * within one 4 KiB page (a region: loops included) and emits one method in which guest registers
 * live in JVM locals and guest branches are JVM jumps. Memory accesses call the hart's MMU, whose
 * TLB fast path C2 inlines. Anything unusual (CSRs, traps, atomics, floating point, leaving the
 * page) exits to the interpreter with the next pc. {@link jvisor.jit.RegionCache} shares the
 * compiled regions among all machines of the process.
 */
package jvisor.jit;
