package jvisor.jit;

import java.util.ArrayDeque;
import java.util.BitSet;
import jvisor.cpu.CodePage;
import jvisor.cpu.Decoded;
import jvisor.cpu.Op;

/**
 * Which instructions of a page a region covers: those reachable from the entry through
 * fall-through, conditional branches and jal inside the page, stopping at anything the compiler
 * leaves to the interpreter. The code after each call is included too and is an entry of its own,
 * where the callee's return comes back in.
 */
final class RegionPlan {
    /** Decodes slot {@code s} of a page on demand (0: cannot be decoded here). */
    interface SlotDecoder { long decode(CodePage page, int s); }

    final long[] ops = new long[2048];
    private final BitSet members = new BitSet(2048), entries = new BitSet(2048);
    private int[] sorted;


    /**
     * The plan of a region entered at {@code entry} that also covers, while {@code limit}
     * instructions allow, the code reachable from each of {@code roots} (other places of the page
     * where code starts often), which become entries too: a jump through a register to one of
     * them then stays inside the region, as a switch's cases, a return into the region, and
     * the loop around them do.
     */
    static RegionPlan of(int entry, int[] roots, int limit, SlotDecoder decoder, CodePage page) {
        RegionPlan p = new RegionPlan();
        p.explore(entry, limit, decoder, page);
        if (!p.members.get(entry)) return null;
        for (int r : roots) {
            if (p.count >= limit) break;
            if (p.members.get(r)) { // already covered: it may start a block anyway
                p.entries.set(r);
                p.fromRoots |= r != entry;
                continue;
            }
            p.explore(r, limit, decoder, page);
            if (p.members.get(r)) p.entries.set(r);
            p.fromRoots |= r != entry && p.members.get(r);
        }
        p.sorted = p.members.stream().toArray();
        p.entries.and(p.members);
        p.entries.set(entry);
        return p;
    }

    private int count;

    /** Adds what is reachable from {@code start} until the plan holds {@code limit} instructions. */
    private void explore(int start, int limit, SlotDecoder decoder, CodePage page) {
        ArrayDeque<Integer> work = new ArrayDeque<>();
        work.add(start);
        while (!work.isEmpty() && count < limit) {
            int s = work.poll();
            if (s < 0 || s >= 2048 || members.get(s)) continue;
            long d = decoder.decode(page, s);
            if (d == 0 || !compilable(d)) continue;
            members.set(s);
            ops[s] = d;
            count++;
            int op = Decoded.op(d), len = Decoded.length(d);
            long target = 2L * s + Decoded.imm(d);
            switch (op) {
                case Op.JALR -> returnSite(work, d, s);
                case Op.JAL -> {
                    if (target >= 0 && target < 4096) work.add((int) (target >> 1));
                    returnSite(work, d, s);
                }
                case Op.BEQ, Op.BNE, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU -> {
                    work.add(s + len / 2);
                    if (target >= 0 && target < 4096) work.add((int) (target >> 1));
                }
                default -> work.add(s + len / 2);
            }
        }
    }

    /** A call (a jump that links) returns to the instruction after it. */
    private void returnSite(ArrayDeque<Integer> work, long d, int s) {
        int rd = Decoded.rd(d);
        if (rd == 0 || rd == Decoded.SINK) return;
        int next = s + Decoded.length(d) / 2;
        work.add(next);
        entries.set(next);
    }

    static boolean compilable(long d) {
        int op = Decoded.op(d);
        return op >= Op.LUI && op <= Op.REMUW || op == Op.FENCE || op == Op.LI || op == Op.MV
                || op >= Op.FP_FIRST && op <= Op.FP_LAST || isFloatingPointCsr(d);
    }

    /** A CSR instruction on fflags, frm or fcsr (CSRs 1 to 3). */
    static boolean isFloatingPointCsr(long d) {
        int op = Decoded.op(d), csr = Decoded.imm(d) >>> 20;
        return op >= Op.CSRRW && op <= Op.CSRRCI && csr >= 1 && csr <= 3;
    }

    /** The slot at page offset {@code offset} if it is in the region (and the page); else -1. */
    int memberAt(long offset) {
        return offset >= 0 && offset < 4096 && members.get((int) (offset >> 1)) ? (int) (offset >> 1) : -1;
    }

    int[] slots() { return sorted; }

    /**
     * Whether a jalr of the region may land on one of its entries: it covers places jalrs went to
     * ({@code roots}), or calls a function it also covers, whose return comes back inside. Only
     * such regions dispatch their jalrs to their entries: the loop that makes is costly for C2
     * to compile, and most regions' jalrs (returns to callers elsewhere) leave anyway.
     */
    boolean jumpsToItsEntries() {
        boolean jalr = false, callsInside = false;
        for (int s : sorted) {
            long d = ops[s];
            int op = Decoded.op(d), rd = Decoded.rd(d);
            if (op == Op.JALR) jalr = true;
            if (op == Op.JAL && rd != 0 && rd != Decoded.SINK && memberAt(2L * s + Decoded.imm(d)) >= 0) callsInside = true;
        }
        return jalr && (fromRoots || callsInside);
    }

    /** Whether other roots than the entry joined the plan. */
    private boolean fromRoots;

    /** The slots the region can be entered at: its first instruction and its return sites. */
    int[] entries() { return entries.stream().toArray(); }

    /** The region slot laid out after {@code s}, or -1. */
    int nextSlotAfter(int s) {
        return members.nextSetBit(s + 1);
    }
}
