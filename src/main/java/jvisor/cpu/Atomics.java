package jvisor.cpu;

import jvisor.memory.GuestRam;

/**
 * The A extension, atomic across hart threads. AMOs are host atomic read-modify-writes on RAM
 * (compare-and-set loops for min/max). LR remembers the value it read; SC stores only if memory
 * still holds that value (compare-and-set), so another hart's store of a different value breaks
 * the reservation, as in QEMU. The ABA caveat, which QEMU accepts too: stores that leave the
 * same value behind (A, then B, then A again) do not break it, so an SC may succeed where
 * hardware would fail. LR/SC sequences that retry on failure (all of them, in practice) stay
 * correct; none can observe the difference as a lost update. A trap also clears the reservation
 * ({@link Traps#take}).
 *
 * <p>Memory ordering across hart threads (RVWMO on the host). Every access here is a volatile or
 * atomic access, sequentially consistent and fenced on the host, so aq and rl always hold, and
 * more strongly than RVWMO asks. Guest FENCEs (every kind) run {@code VarHandle.fullFence()},
 * a compiler and hardware barrier. Plain loads and stores are plain memory accesses; on x86-64
 * hosts TSO keeps them in an order at least as strong as RVWMO's preserved program order (only
 * a store followed by a load may pass, which RVWMO allows too). Weaker hosts (AArch64) would
 * rely on the hardware's address and data dependency ordering; jvisor is measured on x86-64.
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
                return h.fault ? Hart.END_BLOCK : Hart.OK; // a watched page asked to end the block
            }
            default -> {
                long off = h.mmu.atomicOffset(va, size, Mmu.STORE);
                if (off < 0) return Hart.TRAP;
                long src = x[Decoded.rs2(d)];
                int funct5 = Decoded.rs3(d);
                x[rd] = wide ? amo64(ram, off, funct5, src) : amo32(ram, off, funct5, (int) src);
                h.mmu.afterAtomicStore(off, size);
                return h.fault ? Hart.END_BLOCK : Hart.OK;
            }
        }
    }

    /** A 64-bit AMO at RAM offset {@code off}; returns the old value. */
    private static long amo64(GuestRam ram, long off, int funct5, long src) {
        switch (funct5) {
            case ADD: return ram.getAndAdd64(off, src);
            case SWAP: return ram.getAndSet64(off, src);
            case XOR: return ram.getAndXor64(off, src);
            case OR: return ram.getAndOr64(off, src);
            case AND: return ram.getAndAnd64(off, src);
            default:
                long old;
                do {
                    old = ram.getLongVolatile(off);
                } while (!ram.cas64(off, old, apply(funct5, old, src)));
                return old;
        }
    }

    /** A 32-bit AMO; returns the old value sign-extended. */
    private static long amo32(GuestRam ram, long off, int funct5, int src) {
        switch (funct5) {
            case ADD: return ram.getAndAdd32(off, src);
            case SWAP: return ram.getAndSet32(off, src);
            case XOR: return ram.getAndXor32(off, src);
            case OR: return ram.getAndOr32(off, src);
            case AND: return ram.getAndAnd32(off, src);
            default:
                int old;
                do {
                    old = ram.getIntVolatile(off);
                } while (!ram.cas32(off, old, (int) apply(funct5, old, src)));
                return old;
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
