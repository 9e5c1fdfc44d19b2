package jvisor.cpu;

import jvisor.memory.GuestRam;

/**
 * The A extension. AMOs are compare-and-set loops on RAM, so they are atomic across hart
 * threads. LR remembers the value it read; SC stores only if memory still holds that value
 * (compare-and-set), so any other hart's store of a different value breaks the reservation, as
 * QEMU does. A trap also clears the reservation ({@link Traps#take}).
 */
final class Atomics {
    private Atomics() {}

    private static final int ADD = 0x00, SWAP = 0x01, XOR = 0x04, OR = 0x08, AND = 0x0c,
            MIN = 0x10, MAX = 0x14, MINU = 0x18, MAXU = 0x1c;

    static int execute(Hart h, long d, int op) {
        long[] x = h.x;
        long va = x[Decoded.rs1(d)];
        int rd = Decoded.rd(d);
        boolean wide = op == Op.LR_D || op == Op.SC_D || op == Op.AMO_D;
        int size = wide ? 8 : 4;
        GuestRam ram = h.mmu.ram();
        switch (op) {
            case Op.LR_W, Op.LR_D -> {
                long off = h.mmu.atomicOffset(va, size, Mmu.LOAD);
                if (off < 0) return Hart.TRAP;
                long v = wide ? ram.getLongVolatile(off) : ram.getIntVolatile(off);
                h.reservedOff = off;
                h.reservedSize = size;
                h.reservedValue = v;
                x[rd] = v;
                return Hart.OK;
            }
            case Op.SC_W, Op.SC_D -> {
                long off = h.mmu.atomicOffset(va, size, Mmu.STORE);
                if (off < 0) return Hart.TRAP;
                long src = x[Decoded.rs2(d)];
                boolean ok = h.reservedOff == off && h.reservedSize == size
                        && (wide ? ram.cas64(off, h.reservedValue, src)
                                 : ram.cas32(off, (int) h.reservedValue, (int) src));
                h.reservedOff = -1;
                x[rd] = ok ? 0 : 1;
                if (ok) h.mmu.afterAtomicStore(off, size);
                return Hart.OK;
            }
            default -> {
                long off = h.mmu.atomicOffset(va, size, Mmu.STORE);
                if (off < 0) return Hart.TRAP;
                long src = x[Decoded.rs2(d)];
                int funct5 = Decoded.rs3(d);
                long old;
                if (wide) {
                    do {
                        old = ram.getLongVolatile(off);
                    } while (!ram.cas64(off, old, apply(funct5, old, src)));
                } else {
                    int cur;
                    do {
                        cur = ram.getIntVolatile(off);
                    } while (!ram.cas32(off, cur, (int) apply(funct5, cur, (int) src)));
                    old = cur;
                }
                x[rd] = old;
                h.mmu.afterAtomicStore(off, size);
                return Hart.OK;
            }
        }
    }

    /** The AMO's new memory value; 32-bit operands arrive sign-extended, which suits every op. */
    private static long apply(int funct5, long mem, long src) {
        return switch (funct5) {
            case ADD -> mem + src;
            case SWAP -> src;
            case XOR -> mem ^ src;
            case OR -> mem | src;
            case AND -> mem & src;
            case MIN -> Math.min(mem, src);
            case MAX -> Math.max(mem, src);
            case MINU -> Long.compareUnsigned(mem, src) < 0 ? mem : src;
            default -> Long.compareUnsigned(mem, src) > 0 ? mem : src; // MAXU
        };
    }
}
