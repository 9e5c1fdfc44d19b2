package jvisor.bench;

import jvisor.cpu.Decoded;
import jvisor.cpu.Decoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The {@link Decoder} alone, on a mix of common encodings: 23 32-bit instructions and 21
 * compressed ones, each dispatched on its low bits as the interpreter does when it fills a decode
 * cache slot. The score is nanoseconds per decoded instruction.
 */
@State(Scope.Thread)
public class DecodeBench extends BenchDefaults {
    static final int COUNT = 44;
    static final int[] MIX = {
        0x00150513, // addi a0, a0, 1
        0x00b60633, // add a2, a2, a1
        0x40a68733, // sub a4, a3, a0
        0x00a5c5b3, // xor a1, a1, a0
        0x00361693, // slli a3, a2, 3
        0x40775793, // srai a5, a4, 7
        0x123452b7, // lui t0, 0x12345
        0x00010317, // auipc t1, 0x10
        0x01013503, // ld a0, 16(sp)
        0x00113423, // sd ra, 8(sp)
        0xffc42583, // lw a1, -4(s0)
        0x00c52623, // sw a2, 12(a0)
        0x0015c683, // lbu a3, 1(a1)
        0x04b50063, // beq a0, a1, .+64
        0xfed660e3, // bltu a2, a3, .-32
        0x001000ef, // jal ra, .+2048
        0x00008067, // jalr zero, 0(ra)
        0xfff7071b, // addiw a4, a4, -1
        0x030787b3, // mul a5, a5, a6
        0x30002573, // csrrs a0, mstatus, zero
        0x02c5f553, // fadd.d fa0, fa1, fa2
        0x01813687, // fld fa3, 24(sp)
        0x00b6252f, // amoadd.w a0, a1, (a2)
        0x0505,     // c.addi a0, 1
        0x4595,     // c.li a1, 5
        0x8636,     // c.mv a2, a3
        0x962e,     // c.add a2, a1
        0x6408,     // c.ld a0, 8(s0)
        0xe80c,     // c.sd a1, 16(s0)
        0x43d8,     // c.lw a4, 4(a5)
        0xc398,     // c.sw a4, 0(a5)
        0xc901,     // c.beqz a0, .+16
        0xfce5,     // c.bnez s1, .-8
        0xa095,     // c.j .+100
        0x8082,     // c.jr ra
        0x7139,     // c.addi16sp sp, -64
        0x050a,     // c.slli a0, 2
        0x883d,     // c.andi s0, 15
        0x8c05,     // c.sub s0, s1
        0x60e2,     // c.ldsp ra, 24(sp)
        0xec06,     // c.sdsp ra, 24(sp)
        0x2508,     // c.fld fa0, 8(a0)
        0x357d,     // c.addiw a0, -1
        0x678d,     // c.lui a5, 3
    };

    private int[] insns;

    @Setup
    public void setUp() {
        insns = MIX.clone(); // a field, not a constant the compiler could fold
        if (insns.length != COUNT) throw new IllegalStateException("COUNT is not MIX.length");
        for (int w : insns) {
            if (Decoded.op(decode(w)) == Decoder.ILLEGAL) {
                throw new IllegalStateException("decodes as illegal: 0x" + Integer.toHexString(w));
            }
        }
    }

    private static long decode(int w) {
        return (w & 3) != 3 ? Decoder.decode16(w) : Decoder.decode32(w);
    }

    @Benchmark
    @OperationsPerInvocation(COUNT)
    public long decode() {
        long acc = 0;
        for (int w : insns) acc += decode(w);
        return acc;
    }
}
