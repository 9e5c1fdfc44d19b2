package jvisor.cpu;

import java.lang.invoke.VarHandle;
import jvisor.cpu.fpu.FpExec;
import jvisor.memory.GuestRam;

/**
 * The hot loop: fetch a pre-decoded op from the current page's {@link DecodeCache} slots,
 * dispatch on its id, repeat. Common instructions are inlined in the switch; rare ones call
 * helpers that return a status ({@link Hart#OK} ...), so the dispatch method stays far below
 * HotSpot's 8000-bytecode compile limit. Nothing here allocates, and guest traps are statuses.
 */
final class Interpreter {
    private Interpreter() {}

    /** Internal status: the fetch itself faulted, so the instruction was never counted. */
    private static final int FETCH_FAULT = 5;
    /** Internal status: the helper set {@code h.pc} (mret/sret). */
    private static final int REDIRECT = 6;
    /** Internal statuses after a compiled region: block ends (pc is next), or trap at pc. */
    private static final int REGION_END = 7, REGION_TRAP = 8;

    private static int rd(long d) { return (int) (d >>> 10) & 0x3f; }
    private static int rs1(long d) { return (int) (d >>> 16) & 0x1f; }
    private static int rs2(long d) { return (int) (d >>> 21) & 0x1f; }
    private static long imm(long d) { return d >> 32; }
    private static int len(long d) { return 4 - ((int) d >>> 8 & 2); }

    /**
     * Runs at most {@code budget} instructions; returns {@link Hart#WFI} if the hart should idle.
     * Fetches pages, runs stretches of simple instructions in {@link #straightRun}, and runs the
     * instruction each stretch stops at, with whatever calls it needs.
     */
    static int run(Hart h, int budget) {
        final long[] x = h.x;
        final Mmu m = h.mmu;
        long pc = h.pc;
        CodePage cp = null;
        long[] page = null;
        long pageVpn = -1;
        long d = 0;
        int n = 0, counted = 0;
        int status = Hart.OK;
        loop:
        while (n < budget) {
            if (pc >>> 12 != pageVpn) {
                cp = m.fetchPage(pc);
                if (cp == null) { status = FETCH_FAULT; break; }
                page = cp.ops;
                pageVpn = pc >>> 12;
                if (h.jit != null) count(h, cp, slot(pc)); // entered by a call, return or far jump
            }
            int slot = (int) (pc >>> 1) & (page.length - 1); // page.length is SLOTS; this form needs no bounds check
            d = page[slot];
            if (d == 0) {
                d = decodeAt(m, pc, page, slot);
                if (d == 0) { status = FETCH_FAULT; break; }
            }
            if (((int) d & 0x1ff) != Op.REGION) { // else straight to the compiled code
                pc = straightRun(h, page, pc, d, budget - n);
                if (h.straightRetired > 0) {
                    // Round again, so the op below is always the one the straight run refused:
                    // another hart or the JIT thread may fill an undecoded slot at any time.
                    n += h.straightRetired;
                    continue;
                }
            }
            // The instruction at pc needs a call: a TLB miss, a loop head to count, or a rare op.
            n++;
            switch ((int) d & 0x1ff) {
                case Op.JAL -> { x[rd(d)] = pc + len(d); pc = taken(h, cp, pc, d); }
                case Op.BEQ, Op.BNE, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU ->
                    pc = condition(d, x[rs1(d)], x[rs2(d)]) ? taken(h, cp, pc, d) : pc + len(d);
                case Op.LB, Op.LH, Op.LW, Op.LD, Op.LBU, Op.LHU, Op.LWU -> {
                    long v = loadSlow(m, d, x[rs1(d)] + imm(d));
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    x[rd(d)] = v; pc += len(d);
                }
                case Op.SB, Op.SH, Op.SW, Op.SD -> {
                    storeSlow(m, d, x[rs1(d)] + imm(d), x[rs2(d)]);
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    pc += len(d);
                }
                case Op.MULHSU -> { x[rd(d)] = IntMath.mulhsu(x[rs1(d)], x[rs2(d)]); pc += len(d); }
                case Op.DIV, Op.DIVU, Op.REM, Op.REMU, Op.DIVW, Op.DIVUW, Op.REMW, Op.REMUW -> {
                    x[rd(d)] = IntMath.divide((int) d & 0x1ff, x[rs1(d)], x[rs2(d)]);
                    pc += len(d);
                }
                case Op.FENCE -> { VarHandle.fullFence(); pc += len(d); }
                case Op.ILLEGAL -> { status = Hart.ILLEGAL; break loop; }
                case Op.REGION -> {
                    Region region = cp.regions == null ? null : cp.regions[slot(pc)];
                    if (region == null) { n--; status = REGION_END; break loop; } // not yet visible to this hart: retry
                    long next = region.run(x, m, h, pc);
                    n += h.jitRetired - 1;
                    h.regionRuns++;
                    h.regionRetired += h.jitRetired;
                    pc = next;
                    if (pc >>> 12 == pageVpn && h.jit != null) count(h, cp, slot(pc)); // an exit into this page
                    if (h.fault) {
                        if (h.pendingCause == Cause.ILLEGAL_INSN) { // an FP instruction the FPU refused, in this page
                            h.pendingTval = instructionBits(m, pc, page[slot(pc)]);
                        }
                        if (h.pendingCause >= 0) { status = REGION_TRAP; break loop; }
                        h.fault = false; // a store touched code or a device: refetch
                        status = REGION_END;
                        break loop;
                    }
                }
                default -> {
                    h.instret += n - 1 - counted; // helpers may read minstret
                    counted = n - 1;
                    h.pc = pc;
                    int op = (int) d & 0x1ff;
                    status = op >= Op.FP_FIRST ? FpExec.execute(h, d) : slowOp(h, d, op);
                    if (status == Hart.OK) pc += len(d);
                    else break loop;
                }
            }
        }
        h.fault = false;
        switch (status) {
            case Hart.OK -> {
                h.pc = pc;
                h.instret += n - counted;
                return Hart.OK;
            }
            case REGION_END -> { h.pc = pc; h.instret += n - counted; return Hart.OK; }
            case REGION_TRAP -> {
                h.instret += n - counted;
                Traps.take(h, h.pendingCause, h.pendingTval, false, pc);
                return Hart.OK;
            }
            case Hart.END_BLOCK, Hart.WFI -> { h.pc = pc + len(d); h.instret += n - counted; return status; }
            case REDIRECT -> { h.instret += n - counted; return Hart.OK; }
            case FETCH_FAULT -> {
                h.instret += n - counted;
                Traps.take(h, h.pendingCause, h.pendingTval, false, pc);
                return Hart.OK;
            }
            case Hart.ILLEGAL -> {
                h.instret += n - 1 - counted;
                Traps.take(h, Cause.ILLEGAL_INSN, instructionBits(m, pc, d), false, pc);
                return Hart.OK;
            }
            default -> { // TRAP
                if (h.pendingCause < 0) { // the instruction completed; only the block ends
                    h.pc = pc + len(d);
                    h.instret += n - counted;
                    return Hart.OK;
                }
                h.instret += n - 1 - counted;
                Traps.take(h, h.pendingCause, h.pendingTval, false, pc);
                return Hart.OK;
            }
        }
    }

    /** A load through the MMU's full path (TLB miss, device, page crossing), extended as the op says. */
    private static long loadSlow(Mmu m, long d, long va) {
        return switch ((int) d & 0x1ff) {
            case Op.LB -> m.load8(va);
            case Op.LH -> m.load16(va);
            case Op.LW -> m.load32(va);
            case Op.LBU -> m.load8(va) & 0xffL;
            case Op.LHU -> m.load16(va) & 0xffffL;
            case Op.LWU -> m.load32(va) & 0xffff_ffffL;
            default -> m.load64(va);
        };
    }

    private static void storeSlow(Mmu m, long d, long va, long v) {
        switch ((int) d & 0x1ff) {
            case Op.SB -> m.store8(va, v);
            case Op.SH -> m.store16(va, v);
            case Op.SW -> m.store32(va, v);
            default -> m.store64(va, v);
        }
    }

    private static int slot(long pc) { return (int) (pc >>> 1) & (DecodeCache.SLOTS - 1); }

    /**
     * Runs instructions from {@code pc} (whose decoded op is {@code d}; it may straddle pages and
     * then is in no slot) while they need no call: ALU ops, jumps, branches, and loads and stores
     * that hit the TLB. Stops before any other instruction, an undecoded slot, a backward jump to
     * count while the JIT profiles, the end of the page, or after {@code budget} (at least 1)
     * instructions; returns the pc there and leaves the count in {@link Hart#straightRetired}.
     *
     * <p>A method of its own with no call in its loop, so C2 keeps its state in registers: every
     * call clobbers all of them, and one call anywhere in a single interpreter loop made C2 spill
     * and reload the whole state on every instruction.
     */
    private static long straightRun(Hart h, long[] page, long pc, long d, int budget) {
        final long[] x = h.x;
        final int r = x.length - 1; // x[i & r] needs no bounds check
        final Mmu m = h.mmu;
        final GuestRam ram = m.ram();
        final boolean profiling = h.jit != null;
        final long vpn = pc >>> 12;
        int n = 0;
        run:
        while (true) {
            long next = pc + len(d);
            switch ((int) d & 0x1ff) {
                case Op.LI, Op.LUI -> x[rd(d) & r] = imm(d);
                case Op.MV -> x[rd(d) & r] = x[rs1(d) & r];
                case Op.ADDI -> x[rd(d) & r] = x[rs1(d) & r] + imm(d);
                case Op.AUIPC -> x[rd(d) & r] = pc + imm(d);
                case Op.JAL -> {
                    if (loopHead(profiling, d)) break run;
                    x[rd(d) & r] = next;
                    next = pc + imm(d);
                }
                case Op.JALR -> { long t = x[rs1(d) & r] + imm(d) & ~1L; x[rd(d) & r] = next; next = t; }
                case Op.BEQ -> { if (x[rs1(d) & r] == x[rs2(d) & r]) { if (loopHead(profiling, d)) break run; next = pc + imm(d); } }
                case Op.BNE -> { if (x[rs1(d) & r] != x[rs2(d) & r]) { if (loopHead(profiling, d)) break run; next = pc + imm(d); } }
                case Op.BLT -> { if (x[rs1(d) & r] < x[rs2(d) & r]) { if (loopHead(profiling, d)) break run; next = pc + imm(d); } }
                case Op.BGE -> { if (x[rs1(d) & r] >= x[rs2(d) & r]) { if (loopHead(profiling, d)) break run; next = pc + imm(d); } }
                case Op.BLTU -> {
                    if (Long.compareUnsigned(x[rs1(d) & r], x[rs2(d) & r]) < 0) { if (loopHead(profiling, d)) break run; next = pc + imm(d); }
                }
                case Op.BGEU -> {
                    if (Long.compareUnsigned(x[rs1(d) & r], x[rs2(d) & r]) >= 0) { if (loopHead(profiling, d)) break run; next = pc + imm(d); }
                }
                case Op.LB -> { long o = m.loadHit(x[rs1(d) & r] + imm(d), 1); if (o < 0) break run; x[rd(d) & r] = ram.getByte(o); }
                case Op.LH -> { long o = m.loadHit(x[rs1(d) & r] + imm(d), 2); if (o < 0) break run; x[rd(d) & r] = ram.getShort(o); }
                case Op.LW -> { long o = m.loadHit(x[rs1(d) & r] + imm(d), 4); if (o < 0) break run; x[rd(d) & r] = ram.getInt(o); }
                case Op.LD -> { long o = m.loadHit(x[rs1(d) & r] + imm(d), 8); if (o < 0) break run; x[rd(d) & r] = ram.getLong(o); }
                case Op.LBU -> { long o = m.loadHit(x[rs1(d) & r] + imm(d), 1); if (o < 0) break run; x[rd(d) & r] = ram.getByte(o) & 0xffL; }
                case Op.LHU -> { long o = m.loadHit(x[rs1(d) & r] + imm(d), 2); if (o < 0) break run; x[rd(d) & r] = ram.getShort(o) & 0xffffL; }
                case Op.LWU -> { long o = m.loadHit(x[rs1(d) & r] + imm(d), 4); if (o < 0) break run; x[rd(d) & r] = ram.getInt(o) & 0xffff_ffffL; }
                case Op.SB -> { long o = m.storeHit(x[rs1(d) & r] + imm(d), 1); if (o < 0) break run; ram.putByte(o, (byte) x[rs2(d) & r]); }
                case Op.SH -> { long o = m.storeHit(x[rs1(d) & r] + imm(d), 2); if (o < 0) break run; ram.putShort(o, (short) x[rs2(d) & r]); }
                case Op.SW -> { long o = m.storeHit(x[rs1(d) & r] + imm(d), 4); if (o < 0) break run; ram.putInt(o, (int) x[rs2(d) & r]); }
                case Op.SD -> { long o = m.storeHit(x[rs1(d) & r] + imm(d), 8); if (o < 0) break run; ram.putLong(o, x[rs2(d) & r]); }
                case Op.SLTI -> x[rd(d) & r] = x[rs1(d) & r] < imm(d) ? 1 : 0;
                case Op.SLTIU -> x[rd(d) & r] = Long.compareUnsigned(x[rs1(d) & r], imm(d)) < 0 ? 1 : 0;
                case Op.XORI -> x[rd(d) & r] = x[rs1(d) & r] ^ imm(d);
                case Op.ORI -> x[rd(d) & r] = x[rs1(d) & r] | imm(d);
                case Op.ANDI -> x[rd(d) & r] = x[rs1(d) & r] & imm(d);
                case Op.SLLI -> x[rd(d) & r] = x[rs1(d) & r] << imm(d);
                case Op.SRLI -> x[rd(d) & r] = x[rs1(d) & r] >>> imm(d);
                case Op.SRAI -> x[rd(d) & r] = x[rs1(d) & r] >> imm(d);
                case Op.ADD -> x[rd(d) & r] = x[rs1(d) & r] + x[rs2(d) & r];
                case Op.SUB -> x[rd(d) & r] = x[rs1(d) & r] - x[rs2(d) & r];
                case Op.SLL -> x[rd(d) & r] = x[rs1(d) & r] << x[rs2(d) & r];
                case Op.SLT -> x[rd(d) & r] = x[rs1(d) & r] < x[rs2(d) & r] ? 1 : 0;
                case Op.SLTU -> x[rd(d) & r] = Long.compareUnsigned(x[rs1(d) & r], x[rs2(d) & r]) < 0 ? 1 : 0;
                case Op.XOR -> x[rd(d) & r] = x[rs1(d) & r] ^ x[rs2(d) & r];
                case Op.SRL -> x[rd(d) & r] = x[rs1(d) & r] >>> x[rs2(d) & r];
                case Op.SRA -> x[rd(d) & r] = x[rs1(d) & r] >> x[rs2(d) & r];
                case Op.OR -> x[rd(d) & r] = x[rs1(d) & r] | x[rs2(d) & r];
                case Op.AND -> x[rd(d) & r] = x[rs1(d) & r] & x[rs2(d) & r];
                case Op.ADDIW -> x[rd(d) & r] = (int) (x[rs1(d) & r] + imm(d));
                case Op.SLLIW -> x[rd(d) & r] = (int) x[rs1(d) & r] << imm(d);
                case Op.SRLIW -> x[rd(d) & r] = (int) x[rs1(d) & r] >>> imm(d);
                case Op.SRAIW -> x[rd(d) & r] = (int) x[rs1(d) & r] >> imm(d);
                case Op.ADDW -> x[rd(d) & r] = (int) (x[rs1(d) & r] + x[rs2(d) & r]);
                case Op.SUBW -> x[rd(d) & r] = (int) (x[rs1(d) & r] - x[rs2(d) & r]);
                case Op.SLLW -> x[rd(d) & r] = (int) x[rs1(d) & r] << x[rs2(d) & r];
                case Op.SRLW -> x[rd(d) & r] = (int) x[rs1(d) & r] >>> x[rs2(d) & r];
                case Op.SRAW -> x[rd(d) & r] = (int) x[rs1(d) & r] >> x[rs2(d) & r];
                case Op.MUL -> x[rd(d) & r] = x[rs1(d) & r] * x[rs2(d) & r];
                case Op.MULH -> x[rd(d) & r] = Math.multiplyHigh(x[rs1(d) & r], x[rs2(d) & r]);
                case Op.MULHU -> x[rd(d) & r] = Math.unsignedMultiplyHigh(x[rs1(d) & r], x[rs2(d) & r]);
                case Op.MULW -> x[rd(d) & r] = (int) x[rs1(d) & r] * (int) x[rs2(d) & r];
                default -> { break run; }
            }
            pc = next;
            n++;
            if (n >= budget || pc >>> 12 != vpn) break;
            d = page[(int) (pc >>> 1) & (page.length - 1)];
        }
        h.straightRetired = n;
        return pc;
    }

    private static boolean condition(long d, long a, long b) {
        return switch ((int) d & 0x1ff) {
            case Op.BEQ -> a == b;
            case Op.BNE -> a != b;
            case Op.BLT -> a < b;
            case Op.BGE -> a >= b;
            case Op.BLTU -> Long.compareUnsigned(a, b) < 0;
            default -> Long.compareUnsigned(a, b) >= 0;
        };
    }

    /** A taken backward jump while the JIT profiles: its target is counted as a loop head. */
    private static boolean loopHead(boolean profiling, long d) { return profiling && imm(d) < 0; }

    /**
     * A taken branch or jal: returns its target, and counts a backward target in the same page,
     * which starts a loop.
     */
    private static long taken(Hart h, CodePage cp, long pc, long d) {
        long target = pc + imm(d);
        if (imm(d) < 0 && (target ^ pc) >>> 12 == 0 && h.jit != null) count(h, cp, slot(target));
        return target;
    }

    /**
     * Counts one more start of interpreted code at {@code slot} (a loop head, or where control
     * came into the page or out of a region); compiles a region there once it is hot.
     */
    private static void count(Hart h, CodePage cp, int slot) {
        if (++cp.heat[slot] == h.jit.threshold() && Decoded.op(cp.ops[slot]) != Op.REGION) h.jit.request(cp, slot);
    }

    /** Decodes the instruction at {@code pc} and caches it, unless it straddles two pages. Returns 0 on a fetch fault. */
    private static long decodeAt(Mmu m, long pc, long[] page, int slot) {
        int lo = m.fetchInPage(pc);
        long d;
        if ((lo & 3) != 3) {
            d = Decoder.decode16(lo);
        } else if ((pc & 0xfff) == 0xffe) { // the second half lives on another page: don't cache
            int hi = m.fetch16(pc + 2);
            return hi < 0 ? 0 : Decoder.decode32(lo | hi << 16);
        } else {
            d = Decoder.decode32(lo | m.fetchInPage(pc + 2) << 16);
        }
        page[slot] = d;
        return d;
    }

    /** The raw bits of the instruction at {@code pc}, for the tval of illegal-instruction traps. */
    private static long instructionBits(Mmu m, long pc, long d) {
        long lo = m.fetch16(pc) & 0xffff;
        if (Decoded.compressed(d)) return lo;
        return lo | (m.fetch16(pc + 2) & 0xffffL) << 16;
    }

    /** SYSTEM, CSR and atomic instructions. */
    private static int slowOp(Hart h, long d, int op) {
        int insn = Decoded.imm(d);
        switch (op) {
            case Op.CSRRW, Op.CSRRS, Op.CSRRC, Op.CSRRWI, Op.CSRRSI, Op.CSRRCI -> {
                return h.csr.execute(insn);
            }
            case Op.LR_W, Op.SC_W, Op.AMO_W, Op.LR_D, Op.SC_D, Op.AMO_D -> {
                return Atomics.execute(h, d, op);
            }
            case Op.FENCE_I -> { return Hart.END_BLOCK; } // refetch: the decode cache is already coherent
            case Op.ECALL -> {
                if (h.environmentCall != null && h.environmentCall.handle(h)) return Hart.END_BLOCK;
                h.raise(h.priv == Hart.U ? Cause.ECALL_U : h.priv == Hart.S ? Cause.ECALL_S : Cause.ECALL_M, 0);
                return Hart.TRAP;
            }
            case Op.EBREAK -> {
                h.raise(Cause.BREAKPOINT, h.pc);
                return Hart.TRAP;
            }
            case Op.MRET -> { return Traps.mret(h) ? REDIRECT : Hart.ILLEGAL; }
            case Op.SRET -> { return Traps.sret(h) ? REDIRECT : Hart.ILLEGAL; }
            case Op.WFI -> {
                if (h.priv == Hart.U || h.priv == Hart.S && (h.csr.mstatus & CsrFile.TW) != 0) return Hart.ILLEGAL;
                return Hart.WFI;
            }
            case Op.SFENCE_VMA -> {
                if (h.priv == Hart.U || h.priv == Hart.S && (h.csr.mstatus & CsrFile.TVM) != 0) return Hart.ILLEGAL;
                int rs1 = Decoded.rs1(d);
                h.mmu.flush(rs1 == 0 ? -1 : h.x[rs1] >>> 12);
                return Hart.END_BLOCK;
            }
            default -> { return Hart.ILLEGAL; }
        }
    }
}
