package jvisor.cpu;

import static jvisor.cpu.Decoded.length;
import static jvisor.cpu.Decoded.rd;
import static jvisor.cpu.Decoded.rs1;
import static jvisor.cpu.Decoded.rs2;

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

    /** The immediate as a long: the loops add it to 64-bit values. */
    private static long imm(long d) { return d >> 32; }

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
                case Op.JAL -> { x[rd(d)] = pc + length(d); pc = taken(h, cp, pc, d); }
                case Op.BEQ, Op.BNE, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU ->
                    pc = condition(d, x[rs1(d)], x[rs2(d)]) ? taken(h, cp, pc, d) : pc + length(d);
                case Op.LB, Op.LH, Op.LW, Op.LD, Op.LBU, Op.LHU, Op.LWU -> {
                    long v = loadSlow(m, d, x[rs1(d)] + imm(d));
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    x[rd(d)] = v; pc += length(d);
                }
                case Op.SB, Op.SH, Op.SW, Op.SD -> {
                    storeSlow(m, d, x[rs1(d)] + imm(d), x[rs2(d)]);
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    pc += length(d);
                }
                case Op.MULHSU -> { x[rd(d)] = IntMath.mulhsu(x[rs1(d)], x[rs2(d)]); pc += length(d); }
                case Op.DIV, Op.DIVU, Op.REM, Op.REMU, Op.DIVW, Op.DIVUW, Op.REMW, Op.REMUW -> {
                    x[rd(d)] = IntMath.divide((int) d & 0x1ff, x[rs1(d)], x[rs2(d)]);
                    pc += length(d);
                }
                case Op.FENCE -> { VarHandle.fullFence(); pc += length(d); }
                case Op.ILLEGAL -> { status = Hart.ILLEGAL; break loop; }
                case Op.REGION -> {
                    Region region = cp.regions == null ? null : cp.regions[slot(pc)];
                    if (region == null) { n--; status = REGION_END; break loop; } // not yet visible to this hart: retry
                    long next = region.run(x, m, h, pc);
                    n += h.jitRetired - 1;
                    h.regionRuns++;
                    h.regionRetired += h.jitRetired;
                    pc = next;
                    boolean indirect = h.jumpedThroughRegister;
                    h.jumpedThroughRegister = false;
                    if (pc >>> 12 == pageVpn && h.jit != null) { // an exit into this page
                        if (indirect) cp.jumpedTo(slot(pc));
                        count(h, cp, slot(pc));
                    }
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
                    if (status == Hart.OK) pc += length(d);
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
            case Hart.END_BLOCK, Hart.WFI -> { h.pc = pc + length(d); h.instret += n - counted; return status; }
            case REDIRECT -> { h.instret += n - counted; return Hart.OK; }
            case FETCH_FAULT -> {
                h.instret += n - counted;
                Traps.take(h, h.pendingCause, h.pendingTval, false, pc);
                return Hart.OK;
            }
            case Hart.ILLEGAL, Hart.VIRTUAL -> {
                h.instret += n - 1 - counted;
                h.pendingGpa = 0;
                h.pendingTinst = 0;
                h.pendingGva = false;
                Traps.take(h, status == Hart.ILLEGAL ? Cause.ILLEGAL_INSN : Cause.VIRTUAL_INSN,
                        instructionBits(m, pc, d), false, pc);
                return Hart.OK;
            }
            default -> { // TRAP
                if (h.pendingCause < 0) { // the instruction completed; only the block ends
                    h.pc = pc + length(d);
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
     * and reload the whole state on every instruction. The rest is shaped for C2's register
     * allocator, which has about 13 registers for everything live at the dispatch jump: the loop
     * walks slots of the page rather than pcs (no page-number compare, the pc is rebuilt only
     * where needed), both source registers and the immediate are read once before the dispatch
     * (C2 hoists what many cases compute to there anyway), and taken branches and jumps share one
     * target computation after the switch, which keeps that value out of the dispatch block.
     */
    private static long straightRun(Hart h, long[] page, long pc, long d, int budget) {
        final long[] x = h.x;
        final int r = x.length - 1; // x[i & r]: C2 compiled this form faster than plain x[i] (measured)
        final Mmu m = h.mmu;
        final GuestRam ram = m.ram();
        final long base = pc & -4096L; // this page's pcs are base + 2 * slot
        int s = slot(pc);
        int left = budget;
        run:
        while (true) {
            final int rd = rd(d) & r;
            final long a = x[rs1(d) & r], b = x[rs2(d) & r], imm = imm(d);
            int next = s + 2 - ((int) d >>> 9 & 1); // the slot after this one (compressed: 1 slot on)
            advance:
            {
                jump:
                {
                    switch ((int) d & 0x1ff) {
                        case Op.LI, Op.LUI -> x[rd] = imm;
                        case Op.MV -> x[rd] = a;
                        case Op.ADDI -> x[rd] = a + imm;
                        case Op.AUIPC -> x[rd] = base + 2L * s + imm;
                        case Op.JAL -> { x[rd] = base + 2L * next; break jump; } // a rerun writes the same link
                        case Op.JALR -> {
                            long t = a + imm & ~1L;
                            x[rd] = base + 2L * next;
                            next = (int) ((t - base) >> 1);
                            if (t - base >>> 12 != 0) { h.straightRetired = budget - left + 1; return t; }
                        }
                        case Op.BEQ -> { if (a == b) break jump; }
                        case Op.BNE -> { if (a != b) break jump; }
                        case Op.BLT -> { if (a < b) break jump; }
                        case Op.BGE -> { if (a >= b) break jump; }
                        case Op.BLTU -> { if (Long.compareUnsigned(a, b) < 0) break jump; }
                        case Op.BGEU -> { if (Long.compareUnsigned(a, b) >= 0) break jump; }
                        case Op.LB -> { long o = m.loadHit(a + imm, 1); if (o < 0) break run; x[rd] = ram.hartGetByte(o); }
                        case Op.LH -> { long o = m.loadHit(a + imm, 2); if (o < 0) break run; x[rd] = ram.hartGetShort(o); }
                        case Op.LW -> { long o = m.loadHit(a + imm, 4); if (o < 0) break run; x[rd] = ram.hartGetInt(o); }
                        case Op.LD -> { long o = m.loadHit(a + imm, 8); if (o < 0) break run; x[rd] = ram.hartGetLong(o); }
                        case Op.LBU -> { long o = m.loadHit(a + imm, 1); if (o < 0) break run; x[rd] = ram.hartGetByte(o) & 0xffL; }
                        case Op.LHU -> { long o = m.loadHit(a + imm, 2); if (o < 0) break run; x[rd] = ram.hartGetShort(o) & 0xffffL; }
                        case Op.LWU -> { long o = m.loadHit(a + imm, 4); if (o < 0) break run; x[rd] = ram.hartGetInt(o) & 0xffff_ffffL; }
                        case Op.SB -> { long o = m.storeHit(a + imm, 1); if (o < 0) break run; ram.hartPutByte(o, (byte) b); }
                        case Op.SH -> { long o = m.storeHit(a + imm, 2); if (o < 0) break run; ram.hartPutShort(o, (short) b); }
                        case Op.SW -> { long o = m.storeHit(a + imm, 4); if (o < 0) break run; ram.hartPutInt(o, (int) b); }
                        case Op.SD -> { long o = m.storeHit(a + imm, 8); if (o < 0) break run; ram.hartPutLong(o, b); }
                        case Op.SLTI -> x[rd] = a < imm ? 1 : 0;
                        case Op.SLTIU -> x[rd] = Long.compareUnsigned(a, imm) < 0 ? 1 : 0;
                        case Op.XORI -> x[rd] = a ^ imm;
                        case Op.ORI -> x[rd] = a | imm;
                        case Op.ANDI -> x[rd] = a & imm;
                        case Op.SLLI -> x[rd] = a << imm;
                        case Op.SRLI -> x[rd] = a >>> imm;
                        case Op.SRAI -> x[rd] = a >> imm;
                        case Op.ADD -> x[rd] = a + b;
                        case Op.SUB -> x[rd] = a - b;
                        case Op.SLL -> x[rd] = a << b;
                        case Op.SLT -> x[rd] = a < b ? 1 : 0;
                        case Op.SLTU -> x[rd] = Long.compareUnsigned(a, b) < 0 ? 1 : 0;
                        case Op.XOR -> x[rd] = a ^ b;
                        case Op.SRL -> x[rd] = a >>> b;
                        case Op.SRA -> x[rd] = a >> b;
                        case Op.OR -> x[rd] = a | b;
                        case Op.AND -> x[rd] = a & b;
                        case Op.ADDIW -> x[rd] = (int) (a + imm);
                        case Op.SLLIW -> x[rd] = (int) a << imm;
                        case Op.SRLIW -> x[rd] = (int) a >>> imm;
                        case Op.SRAIW -> x[rd] = (int) a >> imm;
                        case Op.ADDW -> x[rd] = (int) (a + b);
                        case Op.SUBW -> x[rd] = (int) (a - b);
                        case Op.SLLW -> x[rd] = (int) a << b;
                        case Op.SRLW -> x[rd] = (int) a >>> b;
                        case Op.SRAW -> x[rd] = (int) a >> b;
                        case Op.MUL -> x[rd] = a * b;
                        case Op.MULH -> x[rd] = Math.multiplyHigh(a, b);
                        case Op.MULHU -> x[rd] = Math.unsignedMultiplyHigh(a, b);
                        case Op.MULW -> x[rd] = (int) a * (int) b;
                        default -> { break run; }
                    }
                    break advance;
                }
                // A taken branch or jal: a backward one may start a loop the JIT counts.
                if (imm < 0 && h.jit != null) break run;
                next = s + (int) (imm >> 1);
            }
            left--;
            if ((next & -DecodeCache.SLOTS) != 0 || left == 0) { // left the page, or done
                h.straightRetired = budget - left;
                return base + 2L * next;
            }
            s = next;
            d = page[s];
        }
        h.straightRetired = budget - left;
        return base + 2L * s;
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
        if (cp.heatEpoch != h.heatEpoch) cp.decay(h.heatEpoch);
        if (++cp.heat[slot] == h.jit.threshold() && Decoded.op(cp.ops[slot]) != Op.REGION && !cp.debugCopy) {
            h.jit.request(cp, slot);
        }
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

    /**
     * HLV/HLVX/HSV: legal in M and HS-mode, and in U-mode with hstatus.HU; with V=1 a
     * virtual-instruction exception.
     */
    private static int hypervisorAccess(Hart h, long d, int op, int insn) {
        if (!h.csr.hypervisor) return Hart.ILLEGAL;
        if (h.virt) return Hart.VIRTUAL;
        if (h.priv == Hart.U && (h.csr.hstatus & CsrFile.HU) == 0) return Hart.ILLEGAL;
        int f7 = insn >>> 25;
        int size = 1 << (f7 >>> 1 & 3);
        long va = h.x[Decoded.rs1(d)];
        if (op == Op.HSV) {
            h.mmu.hyperStore(va, size, h.x[Decoded.rs2(d)]);
        } else {
            int variant = Decoded.rs2(d); // 0 signed, 1 unsigned, 3 HLVX (unsigned)
            long v = h.mmu.hyperLoad(va, size, variant == 3);
            if (h.fault && h.pendingCause >= 0) return Hart.TRAP;
            int shift = 64 - 8 * size;
            h.x[Decoded.xrd(Decoded.rd(d))] = variant == 0 ? v << shift >> shift : v << shift >>> shift;
        }
        if (!h.fault) return Hart.OK;
        return h.pendingCause >= 0 ? Hart.TRAP : Hart.END_BLOCK; // END_BLOCK: a device or code page was written
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
                if (h.virt) { // VS-mode ecalls go to the hypervisor, never to the built-in SBI
                    h.raise(h.priv == Hart.U ? Cause.ECALL_U : Cause.ECALL_VS, 0);
                    return Hart.TRAP;
                }
                if (h.environmentCall != null && h.environmentCall.handle(h)) return Hart.END_BLOCK;
                h.raise(h.priv == Hart.U ? Cause.ECALL_U : h.priv == Hart.S ? Cause.ECALL_S : Cause.ECALL_M, 0);
                return Hart.TRAP;
            }
            case Op.DEBUG_BREAK -> {
                h.raise(Cause.DEBUG_STOP, h.pc);
                return Hart.TRAP;
            }
            case Op.EBREAK -> {
                h.raise(Cause.BREAKPOINT, h.pc);
                return Hart.TRAP;
            }
            case Op.MRET -> { return Traps.mret(h) ? REDIRECT : Hart.ILLEGAL; }
            case Op.SRET -> {
                int s = Traps.sret(h);
                return s == Hart.OK ? REDIRECT : s;
            }
            case Op.WFI -> {
                if (h.priv == Hart.M) return Hart.WFI;
                if ((h.csr.mstatus & CsrFile.TW) != 0) return Hart.ILLEGAL;
                if (h.virt) return h.priv == Hart.U || (h.csr.hstatus & CsrFile.VTW) != 0 ? Hart.VIRTUAL : Hart.WFI;
                return h.priv == Hart.U ? Hart.ILLEGAL : Hart.WFI;
            }
            case Op.SFENCE_VMA -> {
                int rs1 = Decoded.rs1(d);
                long vpn = rs1 == 0 ? -1 : h.x[rs1] >>> 12;
                if (h.virt) { // VS-mode fences its own (VS-stage) translations
                    if (h.priv == Hart.U || (h.csr.hstatus & CsrFile.VTVM) != 0) return Hart.VIRTUAL;
                    h.mmu.flushGuest(vpn);
                    return Hart.END_BLOCK;
                }
                if (h.priv == Hart.U || h.priv == Hart.S && (h.csr.mstatus & CsrFile.TVM) != 0) return Hart.ILLEGAL;
                h.mmu.flush(vpn);
                return Hart.END_BLOCK;
            }
            case Op.HFENCE_VVMA, Op.HFENCE_GVMA -> {
                if (!h.csr.hypervisor) return Hart.ILLEGAL;
                if (h.virt) return Hart.VIRTUAL;
                if (h.priv == Hart.U) return Hart.ILLEGAL;
                if (op == Op.HFENCE_GVMA && h.priv == Hart.S && (h.csr.mstatus & CsrFile.TVM) != 0) return Hart.ILLEGAL;
                // Guest TLB entries map guest virtual pages: a G-stage fence (by guest physical
                // address) drops them all, a VS-stage fence one page or all.
                int rs1 = Decoded.rs1(d);
                h.mmu.flushGuest(op == Op.HFENCE_VVMA && rs1 != 0 ? h.x[rs1] >>> 12 : -1);
                return Hart.END_BLOCK;
            }
            case Op.HLV, Op.HSV -> { return hypervisorAccess(h, d, op, insn); }
            default -> { return Hart.ILLEGAL; }
        }
    }
}
