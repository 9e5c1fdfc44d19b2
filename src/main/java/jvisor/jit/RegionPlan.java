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


    static RegionPlan of(long[] pageOps, int entry, int limit, SlotDecoder decoder, CodePage page) {
        RegionPlan p = new RegionPlan();
        ArrayDeque<Integer> work = new ArrayDeque<>();
        work.add(entry);
        int count = 0;
        while (!work.isEmpty() && count < limit) {
            int s = work.poll();
            if (s < 0 || s >= 2048 || p.members.get(s)) continue;
            long d = decoder.decode(page, s);
            if (d == 0 || !compilable(Decoded.op(d))) continue;
            p.members.set(s);
            p.ops[s] = d;
            count++;
            int op = Decoded.op(d), len = Decoded.length(d);
            long target = 2L * s + Decoded.imm(d);
            switch (op) {
                case Op.JALR -> p.returnSite(work, d, s);
                case Op.JAL -> {
                    if (target >= 0 && target < 4096) work.add((int) (target >> 1));
                    p.returnSite(work, d, s);
                }
                case Op.BEQ, Op.BNE, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU -> {
                    work.add(s + len / 2);
                    if (target >= 0 && target < 4096) work.add((int) (target >> 1));
                }
                default -> work.add(s + len / 2);
            }
        }
        if (!p.members.get(entry)) return null;
        p.sorted = p.members.stream().toArray();
        p.entries.and(p.members);
        p.entries.set(entry);
        return p;
    }

    /** A call (a jump that links) returns to the instruction after it. */
    private void returnSite(ArrayDeque<Integer> work, long d, int s) {
        int rd = Decoded.rd(d);
        if (rd == 0 || rd == Decoded.SINK) return;
        int next = s + Decoded.length(d) / 2;
        work.add(next);
        entries.set(next);
    }

    static boolean compilable(int op) {
        return op >= Op.LUI && op <= Op.REMUW || op == Op.FENCE || op == Op.LI || op == Op.MV
                || op >= Op.FP_FIRST && op <= Op.FP_LAST;
    }

    /** The slot at page offset {@code offset} if it is in the region (and the page); else -1. */
    int memberAt(long offset) {
        return offset >= 0 && offset < 4096 && members.get((int) (offset >> 1)) ? (int) (offset >> 1) : -1;
    }

    int[] slots() { return sorted; }

    /** The slots the region can be entered at: its first instruction and its return sites. */
    int[] entries() { return entries.stream().toArray(); }

    /** The region slot laid out after {@code s}, or -1. */
    int nextSlotAfter(int s) {
        return members.nextSetBit(s + 1);
    }
}
