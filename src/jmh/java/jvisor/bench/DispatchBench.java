package jvisor.bench;

import java.util.Locale;
import jvisor.cpu.Hart;
import jvisor.machine.Machine;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Fetch, decode-cache lookup and dispatch: one hart runs a tight loop of ALU instructions and a
 * taken branch from RAM, through {@link Hart#step} as its run loop does (blocks of
 * {@link Hart#BLOCK_DEFAULT} instructions with the interrupt and timer checks between them).
 * The score is nanoseconds per retired guest instruction, interpreted ({@code jit=off}) or
 * compiled to a JVM method by the JIT ({@code jit=on}).
 */
@State(Scope.Thread)
public class DispatchBench extends BenchDefaults {
    /** Guest instructions per benchmark call: 16 blocks. */
    static final int INSTRUCTIONS = 16 * Hart.BLOCK_DEFAULT;

    /**
     * Ten instructions, two of them compressed, ending in a branch back that is always taken.
     * Every result feeds a register carried to the next round, so compiled code has no dead
     * instruction to drop.
     */
    static final int[] LOOP = {
        0x00150513, // loop: addi a0, a0, 1
        0x00a5c5b3, //       xor  a1, a1, a0
        0x962e,     //       c.add a2, a1
        0x00361693, //       slli a3, a2, 3
        0x40d70733, //       sub  a4, a4, a3
        0x00b777b3, //       and  a5, a4, a1
        0x943e,     //       c.add s0, a5
        0x00c7e833, //       or   a6, a5, a2
        0x010888bb, //       addw a7, a7, a6
        0xfe0510e3, //       bne  a0, zero, loop
    };

    @Param({"off", "on"})
    public String jit;

    private Machine machine;
    private Hart hart;
    private long calls, instretAtStart;

    @Setup(Level.Trial)
    public void setUp() {
        machine = BenchMachine.create(Machine.JitMode.valueOf(jit.toUpperCase(Locale.ROOT)));
        byte[] code = BenchMachine.code(LOOP);
        machine.ram().load(BenchMachine.RAM, code, 0, code.length);
        hart = machine.hart(0);
        hart.pc = BenchMachine.RAM;
        for (int i = 0; i < 16; i++) run(); // enough blocks end on the loop for the JIT to compile it
        if (hart.pc < BenchMachine.RAM || hart.pc >= BenchMachine.RAM + code.length || hart.x[10] <= 0) {
            throw new IllegalStateException("the guest left its loop: pc=0x" + Long.toHexString(hart.pc));
        }
        if (machine.jit() != null && machine.jit().compiled() + machine.jit().shared() == 0) {
            throw new IllegalStateException("jit=on but the loop was not compiled");
        }
    }

    @Setup(Level.Iteration)
    public void startCounting() {
        calls = 0;
        instretAtStart = hart.instret();
    }

    /** Keeps @OperationsPerInvocation honest: a call retired INSTRUCTIONS, give or take 1%. */
    @TearDown(Level.Iteration)
    public void checkCount() {
        double perCall = (double) (hart.instret() - instretAtStart) / calls;
        if (Math.abs(perCall / INSTRUCTIONS - 1) > 0.01) {
            throw new IllegalStateException("a call retired " + perCall + " instructions, not " + INSTRUCTIONS);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        machine.close();
    }

    @Benchmark
    @OperationsPerInvocation(INSTRUCTIONS)
    public long loop() {
        calls++;
        return run();
    }

    /** Runs whole blocks until INSTRUCTIONS more have retired (a JIT region may overshoot by a few). */
    private long run() {
        Hart h = hart;
        long end = h.instret() + INSTRUCTIONS;
        while (h.instret() - end < 0) h.step(h.blockSize);
        return h.x[10];
    }
}
