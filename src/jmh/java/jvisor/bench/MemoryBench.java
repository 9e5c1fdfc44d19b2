package jvisor.bench;

import jvisor.cpu.Hart;
import jvisor.cpu.Mmu;
import jvisor.machine.Machine;
import jvisor.memory.GuestRam;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Guest loads and stores to RAM through the hart's {@link Mmu}, as the interpreter and JIT call
 * it, in S-mode: bare ({@code satp = 0}) or translated through an Sv39 page table set up once.
 * Hits: aligned 8- and 4-byte accesses spread over 16 pages, all in the software TLB after the
 * first pass. Misses: loads alternating between two pages that share a TLB slot, so each one
 * refills the slot (a page walk under Sv39). The score is nanoseconds per access.
 *
 * <p>The hit benchmarks take their slow path only to fill the TLB. Their score depends on the
 * profile C2 compiles from: with 1024 misses before the hits (four passes over the miss pattern),
 * some forks compiled a {@code load64} hit path that took 4.6-5.5 ns of CPU instead of 1.3-1.8 ns,
 * and others not, depending on when the compiler ran. Kept out here so a fork measures the hit path
 * the same way every time.
 */
@State(Scope.Thread)
public class MemoryBench extends BenchDefaults {
    static final int ACCESSES = 256;

    /** Where the data pages sit in RAM, and the virtual address Sv39 maps them at. */
    private static final long DATA = BenchMachine.RAM + (4L << 20), VIRT = 0x4000_0000L;
    /** Page table pages: root, level 1, level 0. */
    private static final long ROOT = BenchMachine.RAM + (1L << 20), L1 = ROOT + 4096, L0 = ROOT + 8192;
    private static final long PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_A = 64, PTE_D = 128;
    private static final int TLB_SLOTS = 256; // pages this far apart share a slot of the direct-mapped TLB

    @Param({"bare", "sv39"})
    public String mode;

    private Machine machine;
    private Hart hart;
    private Mmu mmu;
    private final long[] hits = new long[ACCESSES], misses = new long[ACCESSES];

    @Setup(Level.Trial)
    public void setUp() {
        machine = BenchMachine.create(Machine.JitMode.OFF);
        hart = machine.hart(0);
        mmu = hart.mmu;
        hart.priv = Hart.S;
        long base = DATA;
        if (mode.equals("sv39")) {
            mapSv39(machine.ram());
            base = VIRT;
            hart.csr.set(0x180, 8L << 60 | ROOT >>> 12); // satp: Sv39, root table
        } else {
            hart.csr.set(0x180, 0); // also re-selects the S-mode TLB after the privilege change
        }
        for (int i = 0; i < ACCESSES; i++) {
            hits[i] = base + (i % 16) * 4096L + (i * 64L & 0xfff); // 16 pages; 4 lines per L1 set at most
            misses[i] = base + (i % 2) * TLB_SLOTS * 4096L + (i / 2) * 16L;
        }
        // Fill the TLB with a pass of stores and loads (16 misses each). Only these: see above.
        store64();
        load64();
        checkNoFault();
    }

    /** Maps 512 pages at VIRT to DATA with 4 KiB leaves (read, write, accessed, dirty). */
    private static void mapSv39(GuestRam ram) {
        long ramBase = ram.base();
        ram.putLong(ROOT - ramBase + 8 * (VIRT >>> 30 & 511), L1 >>> 12 << 10 | PTE_V);
        ram.putLong(L1 - ramBase + 8 * (VIRT >>> 21 & 511), L0 >>> 12 << 10 | PTE_V);
        for (int i = 0; i < 512; i++) {
            long pa = DATA + i * 4096L;
            ram.putLong(L0 - ramBase + 8L * i, pa >>> 12 << 10 | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
        }
    }

    /** A fault would make every access a cheap no-op; the MMU records it on the hart. */
    private void checkNoFault() {
        if (hart.fault) throw new IllegalStateException("an access faulted");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        checkNoFault();
        machine.close();
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public long load64() {
        long acc = 0;
        for (long va : hits) acc += mmu.load64(va);
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public long load32() {
        long acc = 0;
        for (long va : hits) acc += mmu.load32(va);
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void store64() {
        long[] a = hits;
        for (int i = 0; i < a.length; i++) mmu.store64(a[i], i);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public void store32() {
        long[] a = hits;
        for (int i = 0; i < a.length; i++) mmu.store32(a[i], i);
    }

    @Benchmark
    @OperationsPerInvocation(ACCESSES)
    public long load64Miss() {
        long acc = 0;
        for (long va : misses) acc += mmu.load64(va);
        return acc;
    }
}
