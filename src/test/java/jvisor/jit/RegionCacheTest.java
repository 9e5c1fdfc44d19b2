package jvisor.jit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ThreadLocalRandom;
import jvisor.cpu.Cause;
import jvisor.cpu.Hart;
import jvisor.cpu.Mmu;
import jvisor.cpu.Region;
import jvisor.testing.Guest;
import org.junit.jupiter.api.Test;

/**
 * Machines of one process share compiled regions: the same code compiles once, other code (one op
 * changed) compiles anew, and a shared region still checks at run time what differs between
 * machines. The guests run with the eager JIT, so every page entry is compiled (or found) at once.
 */
class RegionCacheTest {
    /** A loop summing 1..n with {@code step} added to each term; unique to this run of the tests. */
    private static String loop(long nonce, int step) {
        return """
                li t2, %d
                li a0, 0
                li a1, 1000
            1:  add a0, a0, a1
                addi a0, a0, %d
                addi a1, a1, -1
                bnez a1, 1b
                xor a0, a0, t2
                """.formatted(nonce, step);
    }

    private record Outcome(int status, long a0, long compiled, long shared) {}

    private static Outcome run(String body) {
        Guest.Result r = Guest.run(body);
        try {
            RegionCompiler jit = (RegionCompiler) r.hart().jit;
            return new Outcome(r.status(), r.x(10), jit.compiled(), jit.shared());
        } finally {
            r.machine().close();
        }
    }

    @Test
    void secondMachineRunningTheSameCodeCompilesNothing() {
        long nonce = ThreadLocalRandom.current().nextLong(1, 1L << 40);
        Outcome first = run(loop(nonce, 3)), second = run(loop(nonce, 3));
        long want = (500_500 + 3_000) ^ nonce;
        assertEquals(want, first.a0());
        assertEquals(want, second.a0());
        assertTrue(first.compiled() > 0, "the first machine compiles its loop");
        assertEquals(0, second.compiled(), "the second finds every region compiled");
        assertTrue(second.shared() > 0);
    }

    @Test
    void oneOpChangedIsOtherCode() {
        long nonce = ThreadLocalRandom.current().nextLong(1, 1L << 40);
        run(loop(nonce, 3));
        Outcome changed = run(loop(nonce, 5)); // the same but for the immediate of one addi
        assertEquals((500_500 + 5_000) ^ nonce, changed.a0(), "no region of the first program ran");
        assertTrue(changed.compiled() > 0);
    }

    /**
     * The FPU's state is not part of a region's key: a region with F/D instructions compiled where
     * mstatus.FS was on raises illegal-instruction where it is off, as the interpreter would.
     * The loop sits alone in its page, identical in both programs; only the page before differs.
     */
    @Test
    void sharedRegionChecksTheFpuStateAtRunTime() {
        long nonce = ThreadLocalRandom.current().nextLong(1, 1L << 40);
        String fpLoop = """
                  j fp_page
                  .align 12
                fp_page:
                  li t2, %d
                  fmv.d.x f0, t2
                  li a1, 10
                1:fadd.d f0, f0, f0
                  addi a1, a1, -1
                  bnez a1, 1b
                  fmv.x.d a0, f0
                  EXIT 0
                  .align 12
                """.formatted(nonce);
        Outcome on = run("li t0, 1 << 13\ncsrs mstatus, t0\n" + fpLoop);
        Outcome off = run("li t0, 3 << 13\ncsrc mstatus, t0\n" + fpLoop);
        assertEquals(0, on.status());
        assertEquals(Double.doubleToRawLongBits(Double.longBitsToDouble(nonce) * 1024), on.a0());
        assertTrue(off.shared() > 0, "the FS-off machine found the loop's region");
        assertEquals(0x400 + Cause.ILLEGAL_INSN, off.status(), "fmv.d.x with FS off");
    }

    /** Code written over and then restored: the new code never runs an old region, the old code may again. */
    @Test
    void rewrittenCodeMissesAndRestoredCodeHits() {
        long nonce = ThreadLocalRandom.current().nextLong(1, 1L << 40);
        Outcome o = run("""
                  .option norvc
                  li s1, %d
                  la s2, patch
                  lw s3, 0(s2)            # li a0, 1
                  la t0, two
                  lw s4, 0(t0)            # li a0, 2
                  call f
                  mv s5, a0
                  sw s4, 0(s2)
                  fence.i
                  call f
                  mv s6, a0
                  sw s3, 0(s2)
                  fence.i
                  call f
                  slli s5, s5, 8
                  slli s6, s6, 4
                  or a0, a0, s5
                  or a0, a0, s6
                  EXIT 0
                  .align 12
                f:
                  xor t1, s1, s1
                patch:
                  li a0, 1
                  add a0, a0, t1
                  ret
                two:
                  li a0, 2
                  .align 12
                """.formatted(nonce));
        assertEquals(0, o.status());
        assertEquals(0x121, o.a0(), "1, then 2 after the patch, then 1 again");
        assertTrue(o.shared() > 0, "the restored page found its first regions");
    }

    /** The cache keeps regions only while someone uses them, or among the last few it handed out. */
    @Test
    void unusedRegionsAreReleased() throws InterruptedException {
        RegionCache cache = new RegionCache(2);
        for (int i = 0; i < 100; i++) cache.put(code(i), new Nop(), 42);
        Region kept = new Nop();
        cache.put(code(1000), kept, 42);
        for (int i = 0; i < 50 && cache.size() > 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertTrue(cache.size() <= 3, "regions no one holds were dropped: " + cache.size() + " left");
        assertSame(kept, cache.find(code(1000), 42));
        assertNull(cache.find(code(5), 42));
        assertTrue(cache.candidates(42).size() <= 3, "the page's list forgets them too");
    }

    private static RegionCache.Code code(long op) {
        long[] w = {1, 0, op, 0};
        return new RegionCache.Code(w, java.util.Arrays.hashCode(w));
    }

    private static final class Nop extends Region {
        @Override public long run(long[] x, Mmu m, Hart h, long pc) { return pc; }
    }
}
