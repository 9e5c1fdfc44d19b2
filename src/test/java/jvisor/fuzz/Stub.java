package jvisor.fuzz;

/**
 * jvisor's M-mode side of a run (at STUB, never run by QEMU): enables the FPU, installs the trap
 * handler, and enters the program at CODE, in M-mode or in U-mode under Sv39 (the page tables come
 * from {@link JvisorRun}). The handler powers off through the SiFive test device: with status 0
 * on the epilogue's ecall, with 0x100 + mcause on any other trap, unless the program traps on
 * purpose: then it logs mcause, mepc and mtval at {@link Program#TRAP_LOG} and resumes after the
 * trapping instruction.
 */
final class Stub {
    private Stub() {}

    static final long HANDLER = Program.STUB + 0x100;
    private static final int T0 = 5, T1 = 6, T2 = 7;
    private static final int MCOUNTEREN = 0x306, SCOUNTEREN = 0x106;
    private static final int MSTATUS = 0x300, MTVEC = 0x305, MEPC = 0x341, MCAUSE = 0x342, MTVAL = 0x343;
    private static final int MSCRATCH = 0x340, SATP = 0x180;

    static Code build(boolean user, boolean traps) {
        Code c = new Code(Program.STUB);
        c.emit32(Rv.u(Rv.AUIPC, T0, 0), "auipc t0, 0");
        c.emit32(Rv.addi(T0, T0, (int) (HANDLER - Program.STUB)), "addi t0, t0, handler");
        c.emit32(csr(1, 0, MTVEC, T0), "csrw mtvec, t0");
        c.emit32(Rv.u(Rv.LUI, T0, 6), "lui t0, 6");
        c.emit32(csr(2, 0, MSTATUS, T0), "csrs mstatus, t0 (FS = dirty)");
        long here = c.pc();
        long log = Program.TRAP_LOG - Program.STUB, hi = (log + 0x800) >> 12;
        c.emit32(Rv.u(Rv.AUIPC, T0, (int) hi), "auipc t0, TRAP_LOG");
        c.emit32(Rv.addi(T0, T0, (int) (log - (hi << 12) - (here - Program.STUB))), "addi t0, t0, TRAP_LOG");
        c.emit32(csr(1, 0, MSCRATCH, T0), "csrw mscratch, t0");
        if (user) {
            c.emit32(Rv.addi(T0, 0, 5), "li t0, 5");
            c.emit32(csr(1, 0, MCOUNTEREN, T0), "csrw mcounteren, t0 (cycle, instret)");
            c.emit32(csr(1, 0, SCOUNTEREN, T0), "csrw scounteren, t0");
            c.emit32(Rv.addi(T0, 0, 3), "li t0, 3");
            c.emit32(Rv.i(Rv.OP_IMM, 1, T0, T0, 11), "slli t0, t0, 11");
            c.emit32(csr(3, 0, MSTATUS, T0), "csrc mstatus, t0 (MPP = U)");
            c.emit32(Rv.addi(T0, 0, 8), "li t0, 8");
            c.emit32(Rv.i(Rv.OP_IMM, 1, T0, T0, 60), "slli t0, t0, 60 (Sv39)");
            long ppn = Program.PAGE_TABLES >>> 12;
            c.emit32(Rv.u(Rv.LUI, T1, (int) (ppn >>> 12)), "lui t1, ppn >> 12");
            c.emit32(Rv.addi(T1, T1, (int) (ppn & 0xfff)), "addi t1, t1, ppn & 0xfff");
            c.emit32(Rv.r(Rv.OP, 6, 0, T0, T0, T1), "or t0, t0, t1");
            c.emit32(csr(1, 0, SATP, T0), "csrw satp, t0");
            long at = c.pc();
            c.emit32(Rv.u(Rv.AUIPC, T0, (int) (Program.CODE - Program.STUB) >> 12), "auipc t0, CODE >> 12");
            c.emit32(Rv.addi(T0, T0, (int) (Program.STUB - at)), "addi t0, t0, -pc");
            c.emit32(csr(1, 0, MEPC, T0), "csrw mepc, t0");
            c.emit32(0x30200073, "mret");
        } else {
            c.emit32(Rv.jal(0, (int) (Program.CODE - c.pc())), "j CODE");
        }
        while (c.pc() < HANDLER) c.emit32(0, ".word 0");
        if (traps) logAndResume(c);
        c.emit32(csr(2, T0, MCAUSE, 0), "csrr t0, mcause");
        c.emit32(Rv.addi(T1, 0, 8), "li t1, 8");
        c.emit32(Rv.b(0, T0, T1, 4 * 9), "beq t0, t1, pass");
        c.emit32(Rv.addi(T1, 0, 11), "li t1, 11");
        c.emit32(Rv.b(0, T0, T1, 4 * 7), "beq t0, t1, pass");
        c.emit32(Rv.addi(T0, T0, 0x100), "addi t0, t0, 0x100");
        c.emit32(Rv.i(Rv.OP_IMM, 1, T0, T0, 16), "slli t0, t0, 16");
        c.emit32(Rv.u(Rv.LUI, T2, 3), "lui t2, 3");
        c.emit32(Rv.addi(T2, T2, 0x333), "addi t2, t2, 0x333");
        c.emit32(Rv.r(Rv.OP, 6, 0, T0, T0, T2), "or t0, t0, t2 (fail)");
        c.emit32(Rv.jal(0, 4 * 3), "j write");
        // pass:
        c.emit32(Rv.u(Rv.LUI, T0, 5), "lui t0, 5");
        c.emit32(Rv.addi(T0, T0, 0x555), "addi t0, t0, 0x555 (pass)");
        // write:
        c.emit32(Rv.u(Rv.LUI, T1, 0x100), "lui t1, 0x100 (test device)");
        c.emit32(Rv.s(Rv.STORE, 2, T1, T0, 0), "sw t0, 0(t1)");
        c.emit32(Rv.jal(0, 0), "j .");
        return c;
    }

    /**
     * Every trap but an ecall: log mcause, mepc, mtval (at most {@link Program#TRAP_LOG_ENTRIES}),
     * step mepc over the instruction and return, with t0..t2 as they were. The log's header holds
     * the saved t1, t2 and the entry count; mscratch holds its address.
     */
    private static void logAndResume(Code c) {
        c.emit32(csr(1, T0, MSCRATCH, T0), "csrrw t0, mscratch, t0");
        c.emit32(Rv.s(Rv.STORE, 3, T0, T1, 0), "sd t1, 0(t0)");
        c.emit32(Rv.s(Rv.STORE, 3, T0, T2, 8), "sd t2, 8(t0)");
        c.emit32(csr(2, T1, MCAUSE, 0), "csrr t1, mcause");
        c.emit32(Rv.addi(T2, 0, 8), "li t2, 8");
        c.emit32(Rv.b(0, T1, T2, 4 * 28), "beq t1, t2, exit");
        c.emit32(Rv.addi(T2, 0, 11), "li t2, 11");
        c.emit32(Rv.b(0, T1, T2, 4 * 26), "beq t1, t2, exit");
        c.emit32(Rv.i(Rv.LOAD, 3, T2, T0, 16), "ld t2, 16(t0) (count)");
        c.emit32(Rv.addi(T1, 0, Program.TRAP_LOG_ENTRIES), "li t1, entries");
        c.emit32(Rv.b(7, T2, T1, 4 * 11), "bgeu t2, t1, skip");
        c.emit32(Rv.addi(T1, T2, 1), "addi t1, t2, 1");
        c.emit32(Rv.s(Rv.STORE, 3, T0, T1, 16), "sd t1, 16(t0)");
        c.emit32(Rv.i(Rv.OP_IMM, 1, T1, T2, 5), "slli t1, t2, 5");
        c.emit32(Rv.r(Rv.OP, 0, 0, T1, T1, T0), "add t1, t1, t0");
        c.emit32(csr(2, T2, MCAUSE, 0), "csrr t2, mcause");
        c.emit32(Rv.s(Rv.STORE, 3, T1, T2, 24), "sd t2, 24(t1)");
        c.emit32(csr(2, T2, MEPC, 0), "csrr t2, mepc");
        c.emit32(Rv.s(Rv.STORE, 3, T1, T2, 32), "sd t2, 32(t1)");
        c.emit32(csr(2, T2, MTVAL, 0), "csrr t2, mtval");
        c.emit32(Rv.s(Rv.STORE, 3, T1, T2, 40), "sd t2, 40(t1)");
        // skip: the instruction is 4 bytes if its low bits are 11, else 2 (bare M-mode: VA = PA here)
        c.emit32(csr(2, T1, MEPC, 0), "csrr t1, mepc");
        c.emit32(Rv.i(Rv.LOAD, 5, T2, T1, 0), "lhu t2, 0(t1)");
        c.emit32(Rv.i(Rv.OP_IMM, 7, T2, T2, 3), "andi t2, t2, 3");
        c.emit32(Rv.addi(T1, T1, 2), "addi t1, t1, 2");
        c.emit32(Rv.addi(T2, T2, -3), "addi t2, t2, -3");
        c.emit32(Rv.b(1, T2, 0, 8), "bnez t2, +8");
        c.emit32(Rv.addi(T1, T1, 2), "addi t1, t1, 2");
        c.emit32(csr(1, 0, MEPC, T1), "csrw mepc, t1");
        c.emit32(Rv.i(Rv.LOAD, 3, T1, T0, 0), "ld t1, 0(t0)");
        c.emit32(Rv.i(Rv.LOAD, 3, T2, T0, 8), "ld t2, 8(t0)");
        c.emit32(csr(1, T0, MSCRATCH, T0), "csrrw t0, mscratch, t0");
        c.emit32(0x30200073, "mret");
        // exit: the epilogue's ecall; the pass/fail code below may clobber anything
    }

    private static int csr(int f3, int rd, int csr, int rs1) { return Rv.i(Rv.SYSTEM, f3, rd, rs1, csr); }
}
