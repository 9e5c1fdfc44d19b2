package jvisor.cpu;

import java.lang.invoke.VarHandle;
import jvisor.cpu.fpu.FpExec;

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

    /** Runs at most {@code budget} instructions; returns {@link Hart#WFI} if the hart should idle. */
    static int run(Hart h, int budget) {
        final long[] x = h.x;
        if (x.length != 64) throw new IllegalStateException(); // lets C2 drop register bounds checks
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
            n++;
            switch ((int) d & 0x1ff) {
                case Op.LI -> { x[rd(d)] = imm(d); pc += len(d); }
                case Op.MV -> { x[rd(d)] = x[rs1(d)]; pc += len(d); }
                case Op.ADDI -> { x[rd(d)] = x[rs1(d)] + imm(d); pc += len(d); }
                case Op.LUI -> { x[rd(d)] = imm(d); pc += len(d); }
                case Op.AUIPC -> { x[rd(d)] = pc + imm(d); pc += len(d); }
                case Op.JAL -> { x[rd(d)] = pc + len(d); pc = taken(h, cp, pc, d); }
                case Op.JALR -> { long t = x[rs1(d)] + imm(d) & ~1L; x[rd(d)] = pc + len(d); pc = t; }
                case Op.BEQ -> pc = x[rs1(d)] == x[rs2(d)] ? taken(h, cp, pc, d) : pc + len(d);
                case Op.BNE -> pc = x[rs1(d)] != x[rs2(d)] ? taken(h, cp, pc, d) : pc + len(d);
                case Op.BLT -> pc = x[rs1(d)] < x[rs2(d)] ? taken(h, cp, pc, d) : pc + len(d);
                case Op.BGE -> pc = x[rs1(d)] >= x[rs2(d)] ? taken(h, cp, pc, d) : pc + len(d);
                case Op.BLTU -> pc = Long.compareUnsigned(x[rs1(d)], x[rs2(d)]) < 0 ? taken(h, cp, pc, d) : pc + len(d);
                case Op.BGEU -> pc = Long.compareUnsigned(x[rs1(d)], x[rs2(d)]) >= 0 ? taken(h, cp, pc, d) : pc + len(d);
                case Op.LB -> {
                    long v = m.load8(x[rs1(d)] + imm(d));
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    x[rd(d)] = v; pc += len(d);
                }
                case Op.LH -> {
                    long v = m.load16(x[rs1(d)] + imm(d));
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    x[rd(d)] = v; pc += len(d);
                }
                case Op.LW -> {
                    long v = m.load32(x[rs1(d)] + imm(d));
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    x[rd(d)] = v; pc += len(d);
                }
                case Op.LD -> {
                    long v = m.load64(x[rs1(d)] + imm(d));
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    x[rd(d)] = v; pc += len(d);
                }
                case Op.LBU -> {
                    long v = m.load8(x[rs1(d)] + imm(d));
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    x[rd(d)] = v & 0xff; pc += len(d);
                }
                case Op.LHU -> {
                    long v = m.load16(x[rs1(d)] + imm(d));
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    x[rd(d)] = v & 0xffff; pc += len(d);
                }
                case Op.LWU -> {
                    long v = m.load32(x[rs1(d)] + imm(d));
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    x[rd(d)] = v & 0xffff_ffffL; pc += len(d);
                }
                case Op.SB -> {
                    m.store8(x[rs1(d)] + imm(d), x[rs2(d)]);
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    pc += len(d);
                }
                case Op.SH -> {
                    m.store16(x[rs1(d)] + imm(d), x[rs2(d)]);
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    pc += len(d);
                }
                case Op.SW -> {
                    m.store32(x[rs1(d)] + imm(d), x[rs2(d)]);
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    pc += len(d);
                }
                case Op.SD -> {
                    m.store64(x[rs1(d)] + imm(d), x[rs2(d)]);
                    if (h.fault) { status = Hart.TRAP; break loop; }
                    pc += len(d);
                }
                case Op.SLTI -> { x[rd(d)] = x[rs1(d)] < imm(d) ? 1 : 0; pc += len(d); }
                case Op.SLTIU -> { x[rd(d)] = Long.compareUnsigned(x[rs1(d)], imm(d)) < 0 ? 1 : 0; pc += len(d); }
                case Op.XORI -> { x[rd(d)] = x[rs1(d)] ^ imm(d); pc += len(d); }
                case Op.ORI -> { x[rd(d)] = x[rs1(d)] | imm(d); pc += len(d); }
                case Op.ANDI -> { x[rd(d)] = x[rs1(d)] & imm(d); pc += len(d); }
                case Op.SLLI -> { x[rd(d)] = x[rs1(d)] << imm(d); pc += len(d); }
                case Op.SRLI -> { x[rd(d)] = x[rs1(d)] >>> imm(d); pc += len(d); }
                case Op.SRAI -> { x[rd(d)] = x[rs1(d)] >> imm(d); pc += len(d); }
                case Op.ADD -> { x[rd(d)] = x[rs1(d)] + x[rs2(d)]; pc += len(d); }
                case Op.SUB -> { x[rd(d)] = x[rs1(d)] - x[rs2(d)]; pc += len(d); }
                case Op.SLL -> { x[rd(d)] = x[rs1(d)] << x[rs2(d)]; pc += len(d); }
                case Op.SLT -> { x[rd(d)] = x[rs1(d)] < x[rs2(d)] ? 1 : 0; pc += len(d); }
                case Op.SLTU -> { x[rd(d)] = Long.compareUnsigned(x[rs1(d)], x[rs2(d)]) < 0 ? 1 : 0; pc += len(d); }
                case Op.XOR -> { x[rd(d)] = x[rs1(d)] ^ x[rs2(d)]; pc += len(d); }
                case Op.SRL -> { x[rd(d)] = x[rs1(d)] >>> x[rs2(d)]; pc += len(d); }
                case Op.SRA -> { x[rd(d)] = x[rs1(d)] >> x[rs2(d)]; pc += len(d); }
                case Op.OR -> { x[rd(d)] = x[rs1(d)] | x[rs2(d)]; pc += len(d); }
                case Op.AND -> { x[rd(d)] = x[rs1(d)] & x[rs2(d)]; pc += len(d); }
                case Op.ADDIW -> { x[rd(d)] = (int) (x[rs1(d)] + imm(d)); pc += len(d); }
                case Op.SLLIW -> { x[rd(d)] = (int) x[rs1(d)] << imm(d); pc += len(d); }
                case Op.SRLIW -> { x[rd(d)] = (int) x[rs1(d)] >>> imm(d); pc += len(d); }
                case Op.SRAIW -> { x[rd(d)] = (int) x[rs1(d)] >> imm(d); pc += len(d); }
                case Op.ADDW -> { x[rd(d)] = (int) (x[rs1(d)] + x[rs2(d)]); pc += len(d); }
                case Op.SUBW -> { x[rd(d)] = (int) (x[rs1(d)] - x[rs2(d)]); pc += len(d); }
                case Op.SLLW -> { x[rd(d)] = (int) x[rs1(d)] << x[rs2(d)]; pc += len(d); }
                case Op.SRLW -> { x[rd(d)] = (int) x[rs1(d)] >>> x[rs2(d)]; pc += len(d); }
                case Op.SRAW -> { x[rd(d)] = (int) x[rs1(d)] >> x[rs2(d)]; pc += len(d); }
                case Op.MUL -> { x[rd(d)] = x[rs1(d)] * x[rs2(d)]; pc += len(d); }
                case Op.MULH -> { x[rd(d)] = Math.multiplyHigh(x[rs1(d)], x[rs2(d)]); pc += len(d); }
                case Op.MULHSU -> { x[rd(d)] = IntMath.mulhsu(x[rs1(d)], x[rs2(d)]); pc += len(d); }
                case Op.MULHU -> { x[rd(d)] = Math.unsignedMultiplyHigh(x[rs1(d)], x[rs2(d)]); pc += len(d); }
                case Op.MULW -> { x[rd(d)] = (int) x[rs1(d)] * (int) x[rs2(d)]; pc += len(d); }
                case Op.DIV, Op.DIVU, Op.REM, Op.REMU, Op.DIVW, Op.DIVUW, Op.REMW, Op.REMUW -> {
                    x[rd(d)] = IntMath.divide((int) d & 0x1ff, x[rs1(d)], x[rs2(d)]);
                    pc += len(d);
                }
                case Op.FENCE -> { VarHandle.fullFence(); pc += len(d); }
                case Op.ILLEGAL -> { status = Hart.ILLEGAL; break loop; }
                case Op.REGION -> {
                    Region r = cp.regions == null ? null : cp.regions[slot];
                    if (r == null) { n--; status = REGION_END; break loop; } // not yet visible to this hart: retry
                    long next = r.run(x, m, h, pc);
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

    private static int slot(long pc) { return (int) (pc >>> 1) & (DecodeCache.SLOTS - 1); }

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
