package jvisor.fuzz;

import static jvisor.fuzz.Rv.x;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates a random valid RV64GC program from a seed: a prologue loading every register from
 * INIT, a body of random instructions with control flow, and an epilogue dumping the registers.
 * Every program terminates: loops count a reserved register down, and calls go to functions
 * generated earlier (so there is no recursion). Memory accesses stay in DATA, and nothing traps
 * but the instructions of {@link TrapOps} in the programs that want them. Self-modifying code
 * stores an instruction word, runs fence.i and executes it.
 */
public final class Generator {
    /** Bounds of one program: static body size and estimated executed instructions. */
    public record Size(int instructions, long dynamic) {
        public static final Size TEST = new Size(500, 40_000);
        public static final Size CAMPAIGN = new Size(1200, 150_000);
    }

    private final Emitter e;
    private final IntOps ints;
    private final FpOps fps;
    private final TrapOps trapOps;
    private final Size size;
    private final List<Function> functions = new ArrayList<>();
    /** Innermost live loop counter, or -1. */
    private int loopCounter = -1;
    private int depth;
    /**
     * Whether this program rewrites its code: each store to a code page discards the regions
     * compiled from it, so only some programs do, and the others run compiled for long.
     */
    private final boolean smc;
    /** Whether this program traps on purpose (then only jvisor's modes are compared). */
    private final boolean traps;
    /** The register {@link #fold} accumulates results in (reserved), or -1. */
    private final int acc;

    /**
     * A function generated earlier: callable where its link register and writes are free. Its
     * first instruction, an I-type ALU op writing {@code slotRd}, may be rewritten.
     */
    private record Function(long addr, int link, BitSet writes, long cost, int slotRd) {}

    private Generator(long seed, Size size) {
        this.e = new Emitter(new Code(Program.CODE), new SplittableRandom(seed));
        this.ints = new IntOps(e);
        this.fps = new FpOps(e, ints);
        this.trapOps = new TrapOps(e, ints);
        this.size = size;
        this.smc = e.chance(40);
        e.counters = e.chance(10);
        this.traps = e.chance(12);
        int a = 1 + e.below(31);
        this.acc = a != 2 && e.chance(75) ? a : -1;
        if (acc >= 0) e.reserve(acc);
    }

    public static Program generate(long seed, Size size) {
        return new Generator(seed, size).program(seed);
    }

    private Program program(long seed) {
        boolean user = e.chance(50);
        byte[] init = Values.init(e.rnd);
        byte[] data = Values.data(e.rnd, Program.DATA_SIZE);
        prologue();
        long bodyStart = e.code.pc();
        while (e.code.size() / 4 < size.instructions() && e.dynamic < size.dynamic()) item();
        long bodyEnd = e.code.pc();
        epilogue();
        return new Program(seed, user, e.counters, traps, Stub.build(user, traps), e.code, init, data,
                bodyStart, bodyEnd, java.util.Set.of());
    }

    // ---- the frame ----

    /** Loads f0..f31, fcsr, then x1..x31 from INIT (x31, the table's base, last). */
    private void prologue() {
        int base = 31;
        e.put(Rv.u(Rv.AUIPC, base, (int) (Program.INIT - Program.CODE) >> 12), "auipc x31, INIT");
        for (int r = 0; r < 32; r++) {
            e.put(Rv.i(Rv.LOAD_FP, 3, r, base, 256 + 8 * r), "fld f" + r + ", INIT+" + (256 + 8 * r));
        }
        e.put(Rv.i(Rv.LOAD, 3, 1, base, 512), "ld x1, INIT+512");
        e.put(Rv.i(Rv.SYSTEM, 1, 0, 1, 3), "fscsr x1");
        for (int r = 1; r < 32; r++) e.put(Rv.i(Rv.LOAD, 3, r, base, 8 * r), "ld " + x(r) + ", INIT+" + 8 * r);
    }

    /**
     * Moves sp to DUMP, stores x0..x31, f0..f31 and fcsr there, then write(1, DATA, STATE_SIZE)
     * and exit(0). On jvisor the first ecall ends the run.
     */
    private void epilogue() {
        long to = Program.DUMP - Program.SP;
        for (; to > 0; to -= Math.min(to, 2047)) e.addi(2, 2, (int) Math.min(to, 2047));
        for (int r = 0; r < 32; r++) e.put(Rv.s(Rv.STORE, 3, 2, r, 8 * r), "sd " + x(r) + ", " + 8 * r + "(sp)");
        for (int r = 0; r < 32; r++) e.put(Rv.s(Rv.STORE_FP, 3, 2, r, 256 + 8 * r), "fsd f" + r + ", " + (256 + 8 * r) + "(sp)");
        e.put(Rv.i(Rv.SYSTEM, 2, 1, 0, 3), "frcsr x1");
        e.put(Rv.s(Rv.STORE, 3, 2, 1, 512), "sd x1, 512(sp)");
        e.addi(10, 0, 1);
        e.put(Rv.u(Rv.LUI, 11, (int) (Program.DUMP - Program.DATA) >> 12), "lui a1, DUMP-DATA");
        e.put(Rv.r(Rv.OP, 0, 0x20, 11, 2, 11), "sub a1, sp, a1");
        e.put(Rv.u(Rv.LUI, 12, Program.STATE_SIZE >> 12), "lui a2, STATE_SIZE");
        e.addi(17, 0, 64);
        e.put(Rv.i(Rv.SYSTEM, 0, 0, 0, 0), "ecall (write)");
        e.addi(10, 0, 0);
        e.addi(17, 0, 93);
        e.put(Rv.i(Rv.SYSTEM, 0, 0, 0, 0), "ecall (exit)");
    }

    // ---- the body ----

    private boolean full() { return e.dynamic >= size.dynamic() || e.code.size() / 4 >= size.instructions(); }

    private void item() {
        long toPage = 0x1000 - (e.code.pc() & 0xfff);
        if (smc && toPage > 24 && toPage < 100 && e.chance(30)) { // rewrite an instruction across the page boundary
            selfModify();
            return;
        }
        switch (e.weighted("item", 50, 25, 6, 3, 3, 4, 2, 4, smc ? 4 : 0, traps ? 4 : 0)) {
            case 0 -> { ints.any(); fold(); }
            case 1 -> { fps.any(); fold(); }
            case 2 -> forwardBranch();
            case 3 -> forwardJump();
            case 4 -> indirectJump();
            case 5 -> { if (depth < 3) loop(); else simple(); }
            case 6 -> { if (depth == 0) function(); else call(); }
            case 7 -> call();
            case 8 -> { if (e.chance(50)) selfModify(); else patchFunction(); }
            default -> trapOps.any();
        }
    }

    /** A straight-line item: what may sit under a short forward branch. */
    private void simple() {
        if (e.chance(65)) ints.any(); else fps.any();
        fold();
    }

    /**
     * Adds the last result into the accumulator, so that a wrong value reaches the final state
     * even when a later instruction overwrites its register.
     */
    private void fold() {
        if (acc < 0 || !e.chance(60)) return;
        int src = e.lastX, f = e.lastF;
        if (f >= 0) {
            src = e.rd();
            e.put(Rv.r(Rv.OP_FP, 0, 0x71, src, f, 0), "fmv.x.d " + x(src) + ", f" + f);
        }
        if (src < 0) return;
        boolean add = e.chance(50);
        e.put(Rv.r(Rv.OP, add ? 0 : 4, 0, acc, acc, src),
                (add ? "add " : "xor ") + x(acc) + ", " + x(acc) + ", " + x(src) + " (fold)");
        e.lastX = e.lastF = -1;
    }

    private void forwardBranch() {
        int rs1 = e.rs(), rs2 = e.chance(15) ? rs1 : e.rs();
        if (rs1 >= 8 && rs1 < 16 && e.chance(30)) { // c.beqz / c.bnez over at most ~50 bytes
            boolean nez = e.chance(50);
            long at = e.code.reserve(2);
            e.dynamic += e.multiplier;
            for (int n = 1 + e.below(3); n > 0; n--) simple();
            int off = (int) (e.code.pc() - at);
            e.code.patch16(at, Rv.cBranch(nez, rs1, off), (nez ? "c.bnez " : "c.beqz ") + x(rs1) + ", +" + off);
            return;
        }
        int f3 = new int[] {0, 1, 4, 5, 6, 7}[e.below(6)];
        long at = e.code.reserve(4);
        e.dynamic += e.multiplier;
        for (int n = 1 + e.below(5); n > 0; n--) simple();
        int off = (int) (e.code.pc() - at);
        e.code.patch32(at, Rv.b(f3, rs1, rs2, off),
                new String[] {"beq", "bne", "?", "?", "blt", "bge", "bltu", "bgeu"}[f3] + " " + x(rs1) + ", " + x(rs2) + ", +" + off);
    }

    /** jal or c.j over code or over junk words that must never run. */
    private void forwardJump() {
        boolean compressed = e.chance(30);
        int rd = compressed ? 0 : e.chance(50) ? 0 : e.rd();
        long at = e.code.reserve(compressed ? 2 : 4);
        e.dynamic += e.multiplier;
        skipped();
        int off = (int) (e.code.pc() - at);
        if (compressed) e.code.patch16(at, Rv.cJ(off), "c.j +" + off);
        else e.code.patch32(at, Rv.jal(rd, off), "jal " + x(rd) + ", +" + off);
    }

    /** What a jump skips: instructions or random words (the JIT must not trip over them). */
    private void skipped() {
        long mult = e.multiplier, dyn = e.dynamic;
        if (e.chance(40)) {
            for (int n = 1 + e.below(4); n > 0; n--) e.code.emitData(e.rnd.nextInt());
        } else {
            for (int n = e.below(3); n > 0; n--) simple();
        }
        e.dynamic = dyn; // never executed
        e.multiplier = mult;
    }

    /** auipc + jalr forward (bit 0 of the target ignored), or auipc + addi + c.jr / c.jalr. */
    private void indirectJump() {
        int t = e.rd();
        long auipc = e.code.pc();
        e.put(Rv.u(Rv.AUIPC, t, 0), "auipc " + x(t) + ", 0");
        e.reserve(t);
        boolean compressed = e.chance(30);
        long at;
        if (compressed) {
            at = e.code.reserve(4);
            e.dynamic += e.multiplier;
            boolean link = e.chance(50) && !e.isReserved(1);
            long jr = e.code.reserve(2);
            e.dynamic += e.multiplier;
            e.release(t);
            if (link) e.wrote(1);
            skipped();
            int off = (int) (e.code.pc() - auipc);
            e.code.patch32(at, Rv.addi(t, t, off), "addi " + x(t) + ", " + x(t) + ", " + off);
            e.code.patch16(jr, Rv.cr(link, t, 0), (link ? "c.jalr " : "c.jr ") + x(t));
            return;
        }
        at = e.code.reserve(4);
        e.dynamic += e.multiplier;
        e.release(t);
        int rd = e.chance(30) ? 0 : e.chance(30) ? e.wrote(t) : e.rd();
        skipped();
        int off = (int) (e.code.pc() - auipc) | e.below(2);
        e.code.patch32(at, Rv.i(Rv.JALR, 0, rd, t, off), "jalr " + x(rd) + ", " + off + "(" + x(t) + ")");
    }

    /** A counted loop: n iterations of a random body that leaves the counter alone. */
    private void loop() {
        int rc = e.rd();
        long start = e.code.pc();
        int n = 1 + e.below(depth == 0 ? 40 : depth == 1 ? 12 : 5);
        if (rc >= 8 && rc < 16 && n < 32 && e.chance(40)) e.putC(Rv.ci(2, 1, rc, n), "c.li " + x(rc) + ", " + n);
        else e.addi(rc, 0, n);
        e.code.keepLast();
        e.reserve(rc);
        int outer = loopCounter;
        loopCounter = rc;
        long mult = e.multiplier;
        e.multiplier *= n;
        depth++;
        long head = e.code.pc();
        for (int items = 1 + e.below(20); items > 0 && !full(); items--) item();
        if (e.code.pc() == head) simple();
        depth--;
        if (rc >= 8 && rc < 16 && e.chance(40)) e.putC(Rv.ci(0, 1, rc, -1), "c.addi " + x(rc) + ", -1");
        else e.addi(rc, rc, -1);
        e.code.keepLast();
        int back = (int) (head - e.code.pc());
        if (rc >= 8 && rc < 16 && back >= -256 && e.chance(50)) {
            e.putC(Rv.cBranch(true, rc, back), "c.bnez " + x(rc) + ", " + back);
        } else if (back < -4096) { // beyond a branch's reach: branch over a jump back
            e.put(Rv.b(0, rc, 0, 8), "beq " + x(rc) + ", x0, +8");
            e.code.keepLast();
            e.put(Rv.jal(0, back - 4), "jal x0, " + (back - 4));
        } else if (e.chance(70)) {
            e.put(Rv.b(1, rc, 0, back), "bne " + x(rc) + ", x0, " + back);
        } else {
            e.put(Rv.b(4, 0, rc, back), "blt x0, " + x(rc) + ", " + back);
        }
        e.code.keepLast();
        e.code.unit(start, e.code.pc());
        e.multiplier = mult;
        loopCounter = outer;
        e.release(rc);
    }

    /** Jumps over a function body (returns through its link register) that later calls reach. */
    private void function() {
        long skip = e.code.reserve(4);
        e.dynamic += e.multiplier;
        int link = e.chance(60) && !e.isReserved(1) ? e.wrote(1) : e.rd();
        e.reserve(link);
        BitSet writes = e.openWriteSet();
        long addr = e.code.pc(), before = e.dynamic;
        StringBuilder text = new StringBuilder();
        int slotRd = e.rd();
        e.put(ints.aluIWord(slotRd, e.rs(), text), text + " (may be rewritten)");
        depth++;
        for (int items = 1 + e.below(15); items > 0 && !full(); items--) item();
        depth--;
        if (link == 1 && e.chance(50)) e.putC(Rv.cr(false, 1, 0), "c.jr ra");
        else e.put(Rv.i(Rv.JALR, 0, 0, link, 0), "jalr x0, 0(" + x(link) + ")");
        e.code.keepLast();
        e.code.keep(skip);
        e.code.unit(skip, e.code.pc());
        long cost = e.dynamic - before;
        e.dynamic = before;
        e.closeWriteSet(writes);
        e.release(link);
        writes.set(link);
        functions.add(new Function(addr, link, writes, cost, slotRd));
        int off = (int) (e.code.pc() - skip);
        e.code.patch32(skip, Rv.jal(0, off), "jal x0, +" + off + " (over a function)");
    }

    /** A function whose registers (link included) are free here, or null. */
    private Function callable() {
        List<Function> ok = new ArrayList<>();
        for (Function f : functions) if (e.mayWrite(f.writes())) ok.add(f);
        return ok.isEmpty() ? null : ok.get(e.below(ok.size()));
    }

    private void call() {
        Function f = callable();
        if (f == null) simple();
        else call(f);
    }

    private void call(Function f) {
        for (int r = f.writes().nextSetBit(0); r >= 0; r = f.writes().nextSetBit(r + 1)) e.wrote(r);
        long off = f.addr() - e.code.pc();
        if (e.chance(30) && off > -2000) { // auipc + jalr
            int t = f.link();
            e.put(Rv.u(Rv.AUIPC, t, 0), "auipc " + x(t) + ", 0");
            e.put(Rv.i(Rv.JALR, 0, f.link(), t, (int) off), "jalr " + x(f.link()) + ", " + off + "(" + x(t) + ")");
        } else {
            e.put(Rv.jal(f.link(), (int) off), "jal " + x(f.link()) + ", " + off + " (call)");
        }
        e.dynamic += f.cost() * e.multiplier;
    }

    /**
     * Rewrites the first instruction of a function that may already have run (and been compiled)
     * with another one writing the same register, fence.i, and often calls it.
     */
    private void patchFunction() {
        Function f = callable();
        if (f == null) {
            selfModify();
            return;
        }
        int t = e.rd();
        e.reserve(t);
        int u = e.rd();
        StringBuilder text = new StringBuilder();
        int word = ints.aluIWord(f.slotRd(), e.rs(), text);
        int delta = (int) (f.addr() - e.code.pc()), hi = (delta + 0x800) >> 12, lo = delta - (hi << 12);
        e.put(Rv.u(Rv.AUIPC, t, hi), "auipc " + x(t) + ", function slot");
        e.li32(u, word);
        e.put(Rv.s(Rv.STORE, 2, t, u, lo), "sw " + x(u) + ", " + lo + "(" + x(t) + ") (function slot = " + text + ")");
        e.put(Rv.i(Rv.MISC_MEM, 1, 0, 0, 0), "fence.i");
        e.release(t);
        if (e.chance(60)) call(f);
    }

    /**
     * Stores a new instruction word just ahead, fence.i, and runs it. Inside a loop the word
     * depends on the counter, so every iteration runs a different instruction. Near the end of a
     * page the rewritten instruction straddles the boundary, and an immediate-only change may
     * store just the upper half, which lies in the next page.
     */
    private void selfModify() {
        int t = e.rd();
        e.reserve(t);
        int u = e.rd();
        e.reserve(u);
        boolean half = e.chance(30);
        int rd = e.rd();
        StringBuilder text = new StringBuilder(), old = new StringBuilder();
        int oldWord, word;
        if (half) {
            oldWord = Rv.ci(2, 1, rd, e.below(64));
            word = Rv.ci(e.chance(50) ? 2 : 0, 1, rd, e.below(64)); // c.li or c.addi (imm 0: a HINT, harmless)
            old.append("c.li ").append(x(rd));
            text.append("c.li/c.addi ").append(x(rd));
        } else {
            oldWord = ints.aluIWord(rd, e.rs(), old);
            word = ints.aluIWord(rd, e.rs(), text);
        }
        boolean immOnly = !half && immediateClass(oldWord) && e.chance(60);
        if (immOnly) {
            word = oldWord & 0xfffff | e.imm12() << 20; // same low 20 bits: the upper half alone holds the change
            text.setLength(0);
            text.append("same, imm ").append(word >> 20);
        }
        boolean vary = loopCounter >= 0 && (half || immediateClass(word));
        boolean upper = immOnly && e.chance(50);
        int before = 4 + 8 + (vary ? 12 : 0) + (upper ? 4 : 0) + 8; // bytes from auipc to the slot
        long slot = e.code.pc() + before, boundary = (slot | 0xfff) + 1;
        if (!half && boundary - 2 - slot <= 64) {
            for (long pad = boundary - 2 - slot; pad > 0; pad -= 2) e.putC(1, "c.nop (the next rewrite straddles a page)");
        }
        long auipc = e.code.pc();
        e.put(Rv.u(Rv.AUIPC, t, 0), "auipc " + x(t) + ", 0");
        e.li32(u, word);
        if (vary) { // flip immediate bits by the counter: addi-class imm[11:0] or c.li/c.addi imm[4:0]
            int v = e.rd();
            e.put(Rv.i(Rv.OP_IMM, 7, v, loopCounter, half ? 31 : 0x7ff), "andi " + x(v) + ", " + x(loopCounter) + ", mask");
            int sh = half ? 2 : 20;
            e.put(Rv.i(Rv.OP_IMM, 1, v, v, sh), "slli " + x(v) + ", " + x(v) + ", " + sh);
            e.put(Rv.r(Rv.OP, 4, 0, u, u, v), "xor " + x(u) + ", " + x(u) + ", " + x(v));
        }
        if (upper) e.put(Rv.i(Rv.OP_IMM, 5, u, u, 16), "srli " + x(u) + ", " + x(u) + ", 16");
        int slotOff = (int) (e.code.pc() + 8 - auipc) + (upper ? 2 : 0);
        e.put(Rv.s(Rv.STORE, half || upper ? 1 : 2, t, u, slotOff),
                (half || upper ? "sh " : "sw ") + x(u) + ", " + slotOff + "(" + x(t) + ")");
        e.put(Rv.i(Rv.MISC_MEM, 1, 0, 0, 0), "fence.i");
        if (half) e.putC(oldWord, "(rewritten to " + text + ") " + old);
        else e.put(oldWord, "(rewritten to " + text + ") " + old);
        e.release(t);
        e.release(u);
    }

    /** addi, slti, sltiu, xori, ori, andi, addiw: any 12-bit immediate keeps them valid. */
    private static boolean immediateClass(int word) {
        int opc = word & 0x7f, f3 = word >> 12 & 7;
        return opc == Rv.OP_IMM && (f3 & 3) != 1 || opc == Rv.OP_IMM_32 && f3 == 0;
    }
}
