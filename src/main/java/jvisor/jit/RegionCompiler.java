package jvisor.jit;

import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jvisor.cpu.Cause;
import jvisor.cpu.CodePage;
import jvisor.cpu.Decoded;
import jvisor.cpu.Decoder;
import jvisor.cpu.Jit;
import jvisor.cpu.Op;
import jvisor.cpu.Region;
import jvisor.cpu.fpu.FpOp;
import jvisor.cpu.Jit.Compiled;
import jvisor.memory.GuestRam;

/**
 * Compiles a region of one code page to a hidden class implementing {@link Region}.
 *
 * <p>The region is every instruction reachable from the entry by straight-line flow, branches and
 * jal within the page, up to {@link #MAX_INSTRUCTIONS}. It is entered at its first instruction or
 * at a return site (a switch on the entry pc). Guest registers stay in the hart's array: each
 * instruction loads its operands from it and stores its result to it, and C2 keeps them in host
 * registers between calls. (Loading them into locals at entry and storing them back at the exit
 * ran no faster and made every value live up to every exit: register allocation of those
 * methods was half of C1's and C2's time in a boot.) pcs are computed from the virtual base of the
 * entry pc, so the same physical page mapped at several addresses works. Each
 * block counts its instructions on entry (an exit from inside it takes back those that did not
 * run); a backward jump leaves once {@link #BUDGET} instructions have run so
 * the hart still checks interrupts.
 */
public final class RegionCompiler implements Jit {
    static final int MAX_INSTRUCTIONS = 160, BUDGET = 4096;
    /** A jalr target counted a {@code 1/ROOT_SHARE} of the threshold is hot enough to join a region compiled in its page. */
    private static final int ROOT_SHARE = Integer.getInteger("jvisor.jit.rootShare", 8);
    private static final int MAX_CODE_BYTES = 7500; // HotSpot compiles methods up to 8000 bytes
    /**
     * Empty calls ({@code x} null) the JIT thread makes to each new region, so that HotSpot queues
     * it for C1 at once rather than after the hart has run it hundreds of times in HotSpot's
     * bytecode interpreter, the slowest way to run guest code. HotSpot's interpreter consults its
     * compile policy only every 2^9 calls of a region (Tier0InvokeNotifyFreqLog 7, scaled by the
     * regions' CompileThresholdScaling of 5 in tools/jdk.sh), hence twice that. A boot spent 8%
     * of its hart's time in interpreted regions, and half that with these calls
     * (docs/PERFORMANCE.md, issue 17, session 19).
     */
    private static final int WARM_UP_CALLS = 1024;

    private static final ClassDesc CD_REGION = ClassDesc.of("jvisor.cpu.Region");
    private static final ClassDesc CD_MMU = ClassDesc.of("jvisor.cpu.Mmu");
    private static final ClassDesc CD_CSRFILE = ClassDesc.of("jvisor.cpu.CsrFile");
    private static final MethodTypeDesc I_I = MethodTypeDesc.of(CD_int, CD_int);
    private static final ClassDesc CD_HART = ClassDesc.of("jvisor.cpu.Hart");
    private static final ClassDesc CD_INTMATH = ClassDesc.of("jvisor.cpu.IntMath");
    private static final ClassDesc CD_LONGS = ClassDesc.of("java.lang.Long");
    private static final ClassDesc CD_MATH = ClassDesc.of("java.lang.Math");
    private static final ClassDesc CD_VARHANDLE = ClassDesc.of("java.lang.invoke.VarHandle");
    private static final ClassDesc CD_ISE = ClassDesc.of("java.lang.IllegalStateException");
    private static final ClassDesc CD_THREAD_LOCAL = ClassDesc.of("java.lang.ThreadLocal");
    private static final ClassDesc CD_FPEXEC = ClassDesc.of("jvisor.cpu.fpu.FpExec");
    private static final MethodTypeDesc HJ_I = MethodTypeDesc.of(CD_int, CD_HART, CD_long);
    private static final MethodTypeDesc IJ_V = MethodTypeDesc.of(CD_void, CD_int, CD_long);
    private static final ClassDesc CD_FPCOMPILED = ClassDesc.of("jvisor.cpu.fpu.FpCompiled");
    private static final MethodTypeDesc HIJ_I = MethodTypeDesc.of(CD_int, CD_HART, CD_int, CD_long);
    private static final MethodTypeDesc HIIIII_I = MethodTypeDesc.of(CD_int, CD_HART, CD_int, CD_int, CD_int, CD_int, CD_int);
    private static final MethodTypeDesc RUN = MethodTypeDesc.of(CD_long, CD_long.arrayType(), CD_MMU, CD_HART, CD_long);
    private static final MethodTypeDesc J_J = MethodTypeDesc.of(CD_long, CD_long);
    private static final MethodTypeDesc JJ_V = MethodTypeDesc.of(CD_void, CD_long, CD_long);
    private static final MethodTypeDesc JJ_J = MethodTypeDesc.of(CD_long, CD_long, CD_long);
    private static final MethodTypeDesc JJ_I = MethodTypeDesc.of(CD_int, CD_long, CD_long);
    private static final MethodTypeDesc IJJ_J = MethodTypeDesc.of(CD_long, CD_int, CD_long, CD_long);

    // Local variable slots of run(long[] x, Mmu m, Hart h, long pc); the pc's slot becomes vbase.
    private static final int X = 1, MMU = 2, HART = 3, VBASE = 4, COUNT = 6, NEXT_PC = 7, TMP = 9;

    private static final AtomicLong COMPILED = new AtomicLong();

    /**
     * Compilations requested by harts that don't wait for them, for every machine in the process:
     * the hart keeps interpreting while a JIT thread generates and defines the class. Full: the
     * request is dropped (the slot stays interpreted until its count, decayed, reaches the
     * threshold again).
     */
    private static final BlockingQueue<Runnable> BACKGROUND = new ArrayBlockingQueue<>(4096);
    /**
     * Requests one machine may have waiting: the JIT thread serves every machine of the process,
     * so a machine warming up must not leave the others' hot code interpreted behind its
     * backlog (one machine alone keeps the room it had before).
     */
    private static final int MAX_WAITING = 1024;

    static {
        Thread.ofPlatform().name("jvisor-jit").daemon().start(() -> {
            while (true) {
                try {
                    BACKGROUND.take().run();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException | LinkageError | StackOverflowError | OutOfMemoryError e) {
                    // One failed compile costs speed, not the guest; this thread serves every
                    // machine of the process, so it must outlive it.
                    System.err.println("jvisor: JIT: " + e);
                }
            }
        });
    }

    private final GuestRam ram;
    private final int threshold;
    private final boolean background;
    private final RegionCache cache = RegionCache.SHARED;
    /** Regions this machine compiled itself, and those it took from the cache. */
    private final AtomicLong compiledHere = new AtomicLong(), shared = new AtomicLong();
    /** This machine's requests in {@link #BACKGROUND}. */
    private final AtomicInteger waiting = new AtomicInteger();

    /**
     * {@code threshold}: counted starts of interpreted code at a slot before it is compiled (1 compiles at the first);
     * {@code background}: compile on the JIT thread rather than on the requesting hart's.
     */
    public RegionCompiler(GuestRam ram, int threshold, boolean background) {
        this.ram = ram;
        this.threshold = threshold;
        this.background = background;
    }

    @Override
    public int threshold() { return threshold; }

    @Override
    public void request(CodePage page, int slot) {
        if (!background) {
            compileAndInstall(page, slot);
        } else if (waiting.incrementAndGet() > MAX_WAITING || !BACKGROUND.offer(() -> {
            waiting.decrementAndGet();
            compileAndInstall(page, slot);
        })) {
            waiting.decrementAndGet();
        }
    }

    private void compileAndInstall(CodePage page, int slot) {
        // A closed machine's requests still waiting are dropped unserved: the JIT thread serves
        // every machine of the process, and compiling for the dead kept the living waiting (a
        // full queue turns new requests away).
        if (!ram.segment().scope().isAlive()) return;
        try {
            Compiled c = compile(page, slot);
            if (c != null) page.install(c);
        } catch (IllegalStateException e) {
            if (ram.segment().scope().isAlive()) throw e; // else the machine closed meanwhile
        }
    }

    /** Compilations waiting for the JIT thread, from all machines. */
    public static int backlog() { return BACKGROUND.size(); }

    /** Number of regions compiled so far, by all machines. */
    public static long compiledCount() { return COMPILED.get(); }

    /** Regions this machine compiled (defined a class for). */
    public long compiled() { return compiledHere.get(); }

    /** Regions this machine installed from those compiled before, by it or by another machine (installs, not classes). */
    public long shared() { return shared.get(); }

    /**
     * Installs in a page that just became code the regions compiled before for the same
     * content, whose ops are all still there: code that was hot in another machine (or before a
     * page was loaded again elsewhere) runs compiled at once instead of after its warm-up.
     */
    @Override
    public void adopt(CodePage page) {
        List<Compiled> found = new ArrayList<>();
        for (RegionCache.Entry e : cache.candidates(RegionCache.pageHash(ram, page.pageOff))) {
            Region r = e.get();
            if (r != null && holds(page, e.code)) found.add(new Compiled(r, e.code.entries()));
        }
        // Installed once all are checked: an entry installed turns its slot's op into REGION,
        // which another region holding that slot would no longer match.
        for (Compiled c : found) page.install(c);
        shared.addAndGet(found.size());
    }

    /** Whether each slot of {@code code} holds its op in {@code page}. */
    private boolean holds(CodePage page, RegionCache.Code code) {
        for (int i = 0; i < code.members(); i++) if (decode(page, code.slot(i)) != code.op(i)) return false;
        return true;
    }

    /**
     * A region starting at {@code slot} of {@code page}, or null if nothing there is compilable:
     * from the cache if any machine compiled the same code before.
     */
    Compiled compile(CodePage page, int slot) {
        long content = RegionCache.pageHash(ram, page.pageOff);
        // Hot places jalrs went to become entries, and the region then covers the code around
        // them even where other regions compiled it (the loop around a switch's cases).
        int[] roots = page.hotJumpTargets(Math.max(1, threshold / ROOT_SHARE), slot);
        RegionPlan.SlotDecoder decoder = roots.length == 0 ? this::decode : this::decodeUnderRegions;
        for (int limit = MAX_INSTRUCTIONS; limit >= 8; limit /= 2) {
            RegionPlan plan = RegionPlan.of(slot, roots, limit, decoder, page);
            if (plan == null) return null;
            RegionCache.Code code = RegionCache.Code.of(plan);
            Region r = cache.find(code, content);
            if (r != null) {
                shared.incrementAndGet();
                return new Compiled(r, plan.entries());
            }
            byte[] bytes = generate(plan);
            if (codeLength(bytes) <= MAX_CODE_BYTES) {
                compiledHere.incrementAndGet();
                Region fresh = define(bytes);
                for (int i = 0; i < WARM_UP_CALLS; i++) fresh.run(null, null, null, 0);
                return new Compiled(cache.put(code, fresh, content), plan.entries());
            }
        }
        return null;
    }

    /** Decodes slot {@code s} of {@code page} if the interpreter hasn't yet; 0 if it straddles the page end. */
    private long decode(CodePage page, int s) {
        long d = page.ops[s];
        return d != 0 ? d : decodeUnderRegions(page, s);
    }

    /** As {@link #decode}, but decodes again where a region's entry replaced the instruction. */
    private long decodeUnderRegions(CodePage page, int s) {
        long d = page.ops[s];
        if (d != 0 && Decoded.op(d) != Op.REGION) return d;
        boolean undecoded = d == 0;
        int lo = ram.getShort(page.pageOff + 2L * s) & 0xffff;
        if ((lo & 3) != 3) d = Decoder.decode16(lo);
        else if (s == 2047) return 0;
        else d = Decoder.decode32(lo | (ram.getShort(page.pageOff + 2L * s + 2) & 0xffff) << 16);
        if (undecoded) page.ops[s] = d;
        return d;
    }

    private static int codeLength(byte[] bytes) {
        return ClassFile.of().parse(bytes).methods().stream().filter(m -> m.methodName().equalsString("run"))
                .findFirst().flatMap(m -> m.findAttribute(java.lang.classfile.Attributes.code()))
                .map(c -> c.codeLength()).orElse(Integer.MAX_VALUE);
    }

    private static Region define(byte[] bytes) {
        try {
            Region r = Region.defineCompiled(bytes);
            COMPILED.incrementAndGet();
            return r;
        } catch (ReflectiveOperationException | LinkageError | IllegalStateException e) {
            throw new IllegalStateException("JIT produced an invalid class: " + e, e);
        }
    }

    private static byte[] generate(RegionPlan plan) {
        ClassDesc self = ClassDesc.of("jvisor.cpu.CompiledRegion");
        // Class file version 49 needs no StackMapTable (HotSpot verifies it by type inference), so
        // the JIT thread skips computing stack maps, and HotSpot never compiles that JDK code.
        return ClassFile.of(ClassFile.StackMapsOption.DROP_STACK_MAPS).build(self, cb -> {
            cb.withVersion(ClassFile.JAVA_5_VERSION, 0);
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC);
            cb.withSuperclass(CD_REGION);
            cb.withMethodBody(ConstantDescs.INIT_NAME, ConstantDescs.MTD_void, ClassFile.ACC_PUBLIC, c -> {
                c.aload(0);
                c.invokespecial(CD_REGION, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void);
                c.return_();
            });
            cb.withMethodBody(ConstantDescs.CLASS_INIT_NAME, ConstantDescs.MTD_void, ClassFile.ACC_STATIC, c -> {
                c.getstatic(CD_REGION, "BORN", CD_THREAD_LOCAL);
                c.new_(self);
                c.dup();
                c.invokespecial(self, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void);
                c.invokevirtual(CD_THREAD_LOCAL, "set", MethodTypeDesc.of(CD_void, ConstantDescs.CD_Object));
                c.return_();
            });
            cb.withMethodBody("run", RUN, ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL,
                    c -> new Emitter(c, plan).emit());
        });
    }

    /** Emits the body of run() for one plan. */
    private static final class Emitter {
        private final CodeBuilder c;
        private final RegionPlan plan;
        private final Label exit, dispatch;
        /** Whether jalrs go to the entries' switch ({@link RegionPlan#jumpsToItsEntries}). */
        private final boolean dispatches;
        private final Label[] labels = new Label[2048];
        /** By slot: instructions from it to the end of its block, which counts them all on entry. */
        private final int[] rest = new int[2048];

        Emitter(CodeBuilder c, RegionPlan plan) {
            this.c = c;
            this.plan = plan;
            this.exit = c.newLabel();
            this.dispatch = c.newLabel();
            this.dispatches = plan.jumpsToItsEntries();
        }

        void emit() {
            Label called = c.newLabel(); // a warm-up call (WARM_UP_CALLS) runs nothing
            c.aload(X);
            c.ifnonnull(called);
            c.lconst_0();
            c.lreturn();
            c.labelBinding(called);
            // Prologue: count, next pc and scratch start defined.
            c.iconst_0();
            c.istore(COUNT);
            c.lconst_0();
            c.lstore(NEXT_PC);
            c.lconst_0();
            c.lstore(TMP);
            int[] slots = plan.slots();
            for (int s : slots) labels[s] = c.newLabel();
            boolean[] leaders = leaders(slots);
            for (int i = slots.length - 1; i >= 0; i--) {
                boolean last = i + 1 == slots.length || leaders[slots[i + 1]];
                rest[slots[i]] = 1 + (last ? 0 : rest[slots[i + 1]]);
            }
            enterAtPc(plan.entries());
            for (int s : slots) {
                c.labelBinding(labels[s]);
                if (leaders[s]) c.iinc(COUNT, rest[s]);
                instruction(s, plan.ops[s]);
            }
            // Epilogue: count to the hart.
            c.labelBinding(exit);
            c.aload(HART);
            c.iload(COUNT);
            c.putfield(CD_HART, "jitRetired", CD_int);
            c.lload(NEXT_PC);
            c.lreturn();
        }

        /**
         * The slots that start a block (a straight run of instructions entered only at its top):
         * entries, targets of jumps, and whatever follows a jump or is not reached by falling through.
         */
        private boolean[] leaders(int[] slots) {
            boolean[] leader = new boolean[2048];
            for (int e : plan.entries()) leader[e] = true;
            for (int i = 0; i < slots.length; i++) {
                int s = slots[i];
                long d = plan.ops[s];
                int op = Decoded.op(d);
                boolean jumps = op == Op.JAL || op == Op.JALR || op >= Op.BEQ && op <= Op.BGEU;
                if (op != Op.JALR && jumps) {
                    int target = plan.memberAt(2L * s + Decoded.imm(d));
                    if (target >= 0) leader[target] = true;
                }
                int fallsTo = s + Decoded.length(d) / 2;
                boolean laidOutNext = i + 1 < slots.length && slots[i + 1] == fallsTo;
                if (i + 1 < slots.length && (jumps || !laidOutNext)) leader[slots[i + 1]] = true;
                // reached by a goto when not laid out next (an instruction overlapping another)
                if (op != Op.JAL && op != Op.JALR && !laidOutNext && plan.memberAt(2L * fallsTo) >= 0) leader[fallsTo] = true;
            }
            if (slots.length > 0) leader[slots[0]] = true;
            return leader;
        }

        /**
         * Turns the entry pc into the page's virtual base and goes to the entry's label. The
         * switch over the entries also serves jumps through a register that land on one
         * ({@link #dispatch}).
         */
        private void enterAtPc(int[] slots) {
            c.lload(VBASE);
            c.lstore(TMP);
            c.lload(VBASE);
            c.loadConstant(-4096L);
            c.land();
            c.lstore(VBASE);
            if (slots.length == 1 && !dispatches) { // the common case needs no switch
                c.goto_(labels[slots[0]]);
                return;
            }
            c.labelBinding(dispatch); // TMP: a pc in this page
            Label outside = c.newLabel();
            if (slots.length == 1) {
                c.lload(TMP);
                pcAt(2L * slots[0]);
                c.lcmp();
                c.ifeq(labels[slots[0]]);
                c.goto_(outside);
            } else {
                c.lload(TMP);
                c.l2i();
                c.loadConstant(0xfff);
                c.iand();
                c.iconst_1();
                c.iushr();
                var cases = java.util.Arrays.stream(slots).mapToObj(s -> SwitchCase.of(s, labels[s])).toList();
                int range = slots[slots.length - 1] - slots[0] + 1;
                if (range <= 2 * slots.length) c.tableswitch(slots[0], slots[slots.length - 1], outside, cases);
                else c.lookupswitch(outside, cases); // smaller when the slots are sparse
            }
            c.labelBinding(outside);
            // Nothing counted yet: the interpreter entered at a slot that is not the region's.
            Label jumped = c.newLabel();
            c.iload(COUNT);
            c.ifne(jumped);
            c.new_(CD_ISE);
            c.dup();
            c.loadConstant("compiled region entered outside its code");
            c.invokespecial(CD_ISE, ConstantDescs.INIT_NAME, MethodTypeDesc.of(CD_void, ConstantDescs.CD_String));
            c.athrow();
            c.labelBinding(jumped); // a jalr's target that is not an entry: leave
            if (dispatches) jumpedThroughRegister();
            c.lload(TMP);
            c.lstore(NEXT_PC);
            c.goto_(exit);
        }

        /** Tells the interpreter that the region leaves through a jalr (see CodePage#jumpedTo). */
        private void jumpedThroughRegister() {
            c.aload(HART);
            c.iconst_1();
            c.putfield(CD_HART, "jumpedThroughRegister", CD_boolean);
        }

        private void pcAt(long offset) {
            c.lload(VBASE);
            c.loadConstant(offset);
            c.ladd();
        }

        /** Leaves the region continuing at page offset {@code offset} (may lie outside the page). */
        private void exitTo(long offset) {
            pcAt(offset);
            c.lstore(NEXT_PC);
            c.goto_(exit);
        }

        /** Continues at page offset {@code target}: a jump inside the region, or an exit. */
        private void jump(int from, long target) {
            int t = plan.memberAt(target);
            if (t >= 0) {
                if (t <= from) { // backward: bound the time spent before interrupts are checked
                    Label go = c.newLabel();
                    c.iload(COUNT);
                    c.loadConstant(BUDGET);
                    c.if_icmplt(go);
                    exitTo(target);
                    c.labelBinding(go);
                }
                c.goto_(labels[t]);
            } else {
                exitTo(target);
            }
        }

        /** Falls through to the instruction after slot {@code s} (length {@code len}). */
        private void next(int s, int len) {
            int t = s + len / 2;
            if (plan.memberAt(2L * t) >= 0 && plan.nextSlotAfter(s) == t) return; // laid out next
            jump(s, 2L * s + len);
        }

        private void read(int r) {
            if (r == 0) {
                c.lconst_0();
                return;
            }
            c.aload(X);
            c.loadConstant(r);
            c.laload();
        }

        /** Pushes where register {@code rd}'s result goes (nothing for x0); {@link #write} stores it there. */
        private void target(int rd) {
            if (rd == Decoded.SINK || rd == 0) return;
            c.aload(X);
            c.loadConstant(rd);
        }

        /** Stores the long on the stack to register {@code rd}, after {@link #target}. */
        private void write(int rd) {
            if (rd == Decoded.SINK || rd == 0) c.pop2(); else c.lastore();
        }

        private void instruction(int s, long d) {
            int op = Decoded.op(d), rd = Decoded.rd(d), rs1 = Decoded.rs1(d), rs2 = Decoded.rs2(d);
            long imm = Decoded.imm(d);
            int len = Decoded.length(d);
            long off = 2L * s;
            switch (op) {
                case Op.LI, Op.LUI -> { target(rd); c.loadConstant(imm); write(rd); }
                case Op.MV -> { target(rd); read(rs1); write(rd); }
                case Op.AUIPC -> { target(rd); pcAt(off + imm); write(rd); }
                case Op.ADDI -> imm(rs1, imm, rd, () -> c.ladd());
                case Op.XORI -> imm(rs1, imm, rd, () -> c.lxor());
                case Op.ORI -> imm(rs1, imm, rd, () -> c.lor());
                case Op.ANDI -> imm(rs1, imm, rd, () -> c.land());
                case Op.SLTI -> { target(rd); read(rs1); c.loadConstant(imm); c.lcmp(); lessFromCompare(rd); }
                case Op.SLTIU -> { target(rd); read(rs1); c.loadConstant(imm); unsignedCompare(); lessFromCompare(rd); }
                case Op.SLLI -> shiftImm(rs1, imm, rd, () -> c.lshl());
                case Op.SRLI -> shiftImm(rs1, imm, rd, () -> c.lushr());
                case Op.SRAI -> shiftImm(rs1, imm, rd, () -> c.lshr());
                case Op.ADD -> reg(rs1, rs2, rd, () -> c.ladd());
                case Op.SUB -> reg(rs1, rs2, rd, () -> c.lsub());
                case Op.XOR -> reg(rs1, rs2, rd, () -> c.lxor());
                case Op.OR -> reg(rs1, rs2, rd, () -> c.lor());
                case Op.AND -> reg(rs1, rs2, rd, () -> c.land());
                case Op.MUL -> reg(rs1, rs2, rd, () -> c.lmul());
                case Op.SLL -> shiftReg(rs1, rs2, rd, () -> c.lshl());
                case Op.SRL -> shiftReg(rs1, rs2, rd, () -> c.lushr());
                case Op.SRA -> shiftReg(rs1, rs2, rd, () -> c.lshr());
                case Op.SLT -> { target(rd); read(rs1); read(rs2); c.lcmp(); lessFromCompare(rd); }
                case Op.SLTU -> { target(rd); read(rs1); read(rs2); unsignedCompare(); lessFromCompare(rd); }
                case Op.MULH -> reg(rs1, rs2, rd, () -> c.invokestatic(CD_MATH, "multiplyHigh", JJ_J));
                case Op.MULHU -> reg(rs1, rs2, rd, () -> c.invokestatic(CD_MATH, "unsignedMultiplyHigh", JJ_J));
                case Op.MULHSU -> reg(rs1, rs2, rd, () -> c.invokestatic(CD_INTMATH, "mulhsu", JJ_J));
                case Op.DIV, Op.DIVU, Op.REM, Op.REMU, Op.DIVW, Op.DIVUW, Op.REMW, Op.REMUW -> {
                    target(rd);
                    c.loadConstant(op);
                    read(rs1);
                    read(rs2);
                    c.invokestatic(CD_INTMATH, "divide", IJJ_J);
                    write(rd);
                }
                case Op.ADDIW -> { target(rd); read(rs1); c.loadConstant(imm); c.ladd(); c.l2i(); c.i2l(); write(rd); }
                case Op.SLLIW -> shiftWord(rs1, () -> c.loadConstant((int) imm), rd, () -> c.ishl());
                case Op.SRLIW -> shiftWord(rs1, () -> c.loadConstant((int) imm), rd, () -> c.iushr());
                case Op.SRAIW -> shiftWord(rs1, () -> c.loadConstant((int) imm), rd, () -> c.ishr());
                case Op.ADDW -> { target(rd); reg(rs1, rs2, -1, () -> c.ladd()); c.l2i(); c.i2l(); write(rd); }
                case Op.SUBW -> { target(rd); reg(rs1, rs2, -1, () -> c.lsub()); c.l2i(); c.i2l(); write(rd); }
                case Op.MULW -> { target(rd); reg(rs1, rs2, -1, () -> c.lmul()); c.l2i(); c.i2l(); write(rd); }
                case Op.SLLW -> shiftWord(rs1, () -> { read(rs2); c.l2i(); }, rd, () -> c.ishl());
                case Op.SRLW -> shiftWord(rs1, () -> { read(rs2); c.l2i(); }, rd, () -> c.iushr());
                case Op.SRAW -> shiftWord(rs1, () -> { read(rs2); c.l2i(); }, rd, () -> c.ishr());
                case Op.LB, Op.LBU -> load(s, off, rs1, imm, rd, "load8", op == Op.LBU ? 0xffL : 0);
                case Op.LH, Op.LHU -> load(s, off, rs1, imm, rd, "load16", op == Op.LHU ? 0xffffL : 0);
                case Op.LW, Op.LWU -> load(s, off, rs1, imm, rd, "load32", op == Op.LWU ? 0xffff_ffffL : 0);
                case Op.LD -> load(s, off, rs1, imm, rd, "load64", 0);
                case Op.SB -> store(off, len, rs1, imm, rs2, "store8");
                case Op.SH -> store(off, len, rs1, imm, rs2, "store16");
                case Op.SW -> store(off, len, rs1, imm, rs2, "store32");
                case Op.SD -> store(off, len, rs1, imm, rs2, "store64");
                case Op.FENCE -> c.invokestatic(CD_VARHANDLE, "fullFence", ConstantDescs.MTD_void);
                case Op.BEQ, Op.BNE, Op.BLT, Op.BGE, Op.BLTU, Op.BGEU -> {
                    branch(s, op, rs1, rs2, off + imm);
                    next(s, len);
                    return;
                }
                case Op.JAL -> {
                    target(rd);
                    pcAt(off + len);
                    write(rd);
                    jump(s, off + imm);
                    return;
                }
                case Op.JALR -> {
                    read(rs1);
                    c.loadConstant(imm);
                    c.ladd();
                    c.loadConstant(-2L);
                    c.land();
                    c.lstore(TMP);
                    target(rd);
                    pcAt(off + len);
                    write(rd);
                    if (!dispatches) {
                        jumpedThroughRegister();
                        c.lload(TMP);
                        c.lstore(NEXT_PC);
                        c.goto_(exit);
                        return;
                    }
                    // Into this page and within the budget: the entries' switch, else leave.
                    Label leave = c.newLabel();
                    c.lload(TMP);
                    c.loadConstant(-4096L);
                    c.land();
                    c.lload(VBASE);
                    c.lcmp();
                    c.ifne(leave);
                    c.iload(COUNT);
                    c.loadConstant(BUDGET);
                    c.if_icmplt(dispatch);
                    c.labelBinding(leave);
                    c.lload(TMP);
                    c.lstore(NEXT_PC);
                    c.goto_(exit);
                    return;
                }
                case Op.CSRRW, Op.CSRRS, Op.CSRRC, Op.CSRRWI, Op.CSRRSI, Op.CSRRCI -> floatingPointCsr(off, d);
                default -> {
                    if (op < Op.FP_FIRST) throw new IllegalStateException("op " + op + " planned but not compilable");
                    floatingPoint(off, len, op, d, rd, rs1);
                }
            }
            next(s, len);
        }

        private void imm(int rs1, long imm, int rd, Runnable op) {
            target(rd);
            read(rs1);
            c.loadConstant(imm);
            op.run();
            write(rd);
        }

        /** rd < 0: the caller has pushed the target and stores the result. */
        private void reg(int rs1, int rs2, int rd, Runnable op) {
            if (rd >= 0) target(rd);
            read(rs1);
            read(rs2);
            op.run();
            if (rd >= 0) write(rd);
        }

        private void shiftImm(int rs1, long imm, int rd, Runnable op) {
            target(rd);
            read(rs1);
            c.loadConstant((int) imm);
            op.run();
            write(rd);
        }

        private void shiftReg(int rs1, int rs2, int rd, Runnable op) {
            target(rd);
            read(rs1);
            read(rs2);
            c.l2i();
            op.run();
            write(rd);
        }

        /** 32-bit shift: operand's low word, shift amount pushed by {@code amount}, result sign-extended. */
        private void shiftWord(int rs1, Runnable amount, int rd, Runnable op) {
            target(rd);
            read(rs1);
            c.l2i();
            amount.run();
            op.run();
            c.i2l();
            write(rd);
        }

        private void unsignedCompare() {
            c.invokestatic(CD_LONGS, "compareUnsigned", JJ_I);
        }

        /** Turns a -1/0/1 comparison result into 1 (less) or 0. */
        private void lessFromCompare(int rd) {
            c.loadConstant(31);
            c.iushr();
            c.i2l();
            write(rd);
        }

        private void checkFault(long off, int len, boolean store) {
            Label ok = c.newLabel();
            c.aload(HART);
            c.getfield(CD_HART, "fault", CD_boolean);
            c.ifeq(ok);
            int rest = this.rest[(int) (off >> 1)];
            if (store) { // cause -1: the store completed and only the block must end
                Label trap = c.newLabel();
                c.aload(HART);
                c.getfield(CD_HART, "pendingCause", CD_int);
                c.ifge(trap);
                if (rest > 1) c.iinc(COUNT, 1 - rest); // the instructions after it did not run
                exitTo(off + len);
                c.labelBinding(trap);
            }
            c.iinc(COUNT, -rest); // neither the faulting instruction nor those after it retired
            exitTo(off);
            c.labelBinding(ok);
        }

        private void load(int s, long off, int rs1, long imm, int rd, String method, long zeroExtendMask) {
            c.aload(MMU);
            read(rs1);
            c.loadConstant(imm);
            c.ladd();
            c.invokevirtual(CD_MMU, method, J_J);
            c.lstore(TMP);
            checkFault(off, 0, false);
            target(rd);
            c.lload(TMP);
            if (zeroExtendMask != 0) {
                c.loadConstant(zeroExtendMask);
                c.land();
            }
            write(rd);
        }

        private void store(long off, int len, int rs1, long imm, int rs2, String method) {
            c.aload(MMU);
            read(rs1);
            c.loadConstant(imm);
            c.ladd();
            read(rs2);
            c.invokevirtual(CD_MMU, method, JJ_V);
            checkFault(off, len, true);
        }

        /**
         * An F/D instruction, executed by the FPU on the hart's f and x registers. When the
         * FPU refuses (FS off, a reserved rounding mode) the region raises illegal-instruction
         * there (the interpreter adds tval); memory faults leave as for integer loads and stores.
         */
        private void floatingPoint(long off, int len, int op, long d, int rd, int rs1) {
            int rs2 = Decoded.rs2(d), rs3 = (int) (d >>> 26) & 0x1f, rmField = (int) (d >>> 44) & 7;
            c.aload(HART);
            switch (op) { // the commonest double ops get a method C2 inlines; the rest the FPU's switch
                case FpOp.FLD, FpOp.FSD -> {
                    c.loadConstant(op == FpOp.FLD ? rd : rs2);
                    read(rs1);
                    c.loadConstant((long) Decoded.imm(d));
                    c.ladd();
                    c.invokestatic(CD_FPCOMPILED, op == FpOp.FLD ? "fld" : "fsd", HIJ_I);
                }
                case FpOp.FADD_D, FpOp.FSUB_D, FpOp.FMUL_D, FpOp.FDIV_D -> {
                    for (int v : new int[] {op, rd, rs1, rs2, rmField}) c.loadConstant(v);
                    c.invokestatic(CD_FPCOMPILED, "arithD", HIIIII_I);
                }
                case FpOp.FMADD_D -> {
                    for (int v : new int[] {rd, rs1, rs2, rs3, rmField}) c.loadConstant(v);
                    c.invokestatic(CD_FPCOMPILED, "fmaddD", HIIIII_I);
                }
                default -> {
                    c.loadConstant(d);
                    c.invokestatic(CD_FPEXEC, "execute", HJ_I);
                }
            }
            Label ok = c.newLabel();
            c.ifeq(ok); // Hart.OK
            checkFault(off, len, op == FpOp.FSW || op == FpOp.FSD);
            // Refused: raise illegal-instruction here, as the interpreter could not re-run an
            // instruction at a region entry. It fills in tval, which needs the raw bits.
            c.aload(HART);
            c.loadConstant(Cause.ILLEGAL_INSN);
            c.lconst_0();
            c.invokevirtual(CD_HART, "raise", IJ_V);
            c.iinc(COUNT, -rest[(int) (off >> 1)]);
            exitTo(off);
            c.labelBinding(ok);
        }

        /** fflags, frm or fcsr through the CSR file; a refusal was raised there and leaves here. */
        private void floatingPointCsr(long off, long d) {
            c.aload(HART);
            c.getfield(CD_HART, "csr", CD_CSRFILE);
            c.loadConstant(Decoded.imm(d));
            c.invokevirtual(CD_CSRFILE, "executeFloatingPoint", I_I);
            Label ok = c.newLabel();
            c.ifeq(ok); // Hart.OK
            c.iinc(COUNT, -rest[(int) (off >> 1)]);
            exitTo(off);
            c.labelBinding(ok);
        }

        private void branch(int s, int op, int rs1, int rs2, long target) {
            Label notTaken = c.newLabel();
            read(rs1);
            read(rs2);
            if (op == Op.BLTU || op == Op.BGEU) unsignedCompare(); else c.lcmp();
            switch (op) {
                case Op.BEQ -> c.ifne(notTaken);
                case Op.BNE -> c.ifeq(notTaken);
                case Op.BLT, Op.BLTU -> c.ifge(notTaken);
                default -> c.iflt(notTaken); // BGE, BGEU
            }
            jump(s, target);
            c.labelBinding(notTaken);
        }
    }
}
