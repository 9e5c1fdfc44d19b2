package jvisor.bench;

import java.util.SplittableRandom;
import jvisor.cpu.fpu.FpArith;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * fadd.d, fmul.d and fmadd.d as the hart executes them: {@link FpArith} on raw bits, round to
 * nearest-even, with IEEE exception flags. {@code fadd}, {@code fmul}, {@code fmadd}: ordinary
 * operands with inexact results, the common path (the host's double operation plus an error-free
 * transformation that decides inexact). {@code *Soft}: operands that force the exact integer
 * path ({@code SoftDouble}): products below 2^-968, and sums that overflow. {@code host*}: the
 * bare Java double operation, no flags, for scale. 256 independent operations per call; the score
 * is nanoseconds per operation.
 */
@State(Scope.Thread)
public class FpBench extends BenchDefaults {
    static final int OPS = 256;
    private static final int RNE = 0;

    private final FpArith fpu = new FpArith();
    private final long[] a = new long[OPS], b = new long[OPS], c = new long[OPS];
    private final long[] tinyA = new long[OPS], tinyB = new long[OPS], tinyC = new long[OPS];
    private final long[] hugeA = new long[OPS], hugeB = new long[OPS];

    @Setup
    public void setUp() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < OPS; i++) {
            a[i] = random(r, -8, 8);
            b[i] = random(r, -8, 8);
            c[i] = random(r, -8, 8);
            tinyA[i] = random(r, -505, -500);
            tinyB[i] = random(r, -505, -500);
            tinyC[i] = random(r, -1010, -1005);
            hugeA[i] = random(r, 1023, 1023) & Long.MAX_VALUE; // same sign: the sum overflows
            hugeB[i] = random(r, 1023, 1023) & Long.MAX_VALUE;
        }
    }

    /** A double with a random sign and significand and an exponent in [lo, hi]. */
    private static long random(SplittableRandom r, int lo, int hi) {
        long exp = 1023 + r.nextInt(lo, hi + 1);
        return (r.nextBoolean() ? Long.MIN_VALUE : 0) | exp << 52 | r.nextLong() >>> 12;
    }

    private static double d(long bits) { return Double.longBitsToDouble(bits); }

    private static long bits(double v) { return Double.doubleToRawLongBits(v); }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long fadd() {
        long acc = 0;
        for (int i = 0; i < OPS; i++) acc ^= fpu.addD(a[i], b[i], RNE);
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long fmul() {
        long acc = 0;
        for (int i = 0; i < OPS; i++) acc ^= fpu.mulD(a[i], b[i], RNE);
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long fmadd() {
        long acc = 0;
        for (int i = 0; i < OPS; i++) acc ^= fpu.fmaD(a[i], b[i], c[i], RNE);
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long faddSoft() {
        long acc = 0;
        for (int i = 0; i < OPS; i++) acc ^= fpu.addD(hugeA[i], hugeB[i], RNE);
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long fmulSoft() {
        long acc = 0;
        for (int i = 0; i < OPS; i++) acc ^= fpu.mulD(tinyA[i], tinyB[i], RNE);
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long fmaddSoft() {
        long acc = 0;
        for (int i = 0; i < OPS; i++) acc ^= fpu.fmaD(tinyA[i], tinyB[i], tinyC[i], RNE);
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long hostAdd() {
        long acc = 0;
        for (int i = 0; i < OPS; i++) acc ^= bits(d(a[i]) + d(b[i]));
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long hostMul() {
        long acc = 0;
        for (int i = 0; i < OPS; i++) acc ^= bits(d(a[i]) * d(b[i]));
        return acc;
    }

    @Benchmark
    @OperationsPerInvocation(OPS)
    public long hostFma() {
        long acc = 0;
        for (int i = 0; i < OPS; i++) acc ^= bits(Math.fma(d(a[i]), d(b[i]), d(c[i])));
        return acc;
    }
}
