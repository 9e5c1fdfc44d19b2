package jvisor.cpu;

/** Exception and interrupt cause codes (privileged spec 1.12, table 3.6). */
public final class Cause {
    private Cause() {}

    public static final int INSN_MISALIGNED = 0, INSN_ACCESS = 1, ILLEGAL_INSN = 2, BREAKPOINT = 3;
    public static final int LOAD_MISALIGNED = 4, LOAD_ACCESS = 5, STORE_MISALIGNED = 6, STORE_ACCESS = 7;
    public static final int ECALL_U = 8, ECALL_S = 9, ECALL_M = 11;
    public static final int INSN_PAGE_FAULT = 12, LOAD_PAGE_FAULT = 13, STORE_PAGE_FAULT = 15;
    /** The H extension: ecall from VS-mode, guest-page faults and virtual-instruction exceptions. */
    public static final int ECALL_VS = 10, INSN_GUEST_PAGE_FAULT = 20, LOAD_GUEST_PAGE_FAULT = 21,
            VIRTUAL_INSN = 22, STORE_GUEST_PAGE_FAULT = 23;
    /**
     * Not a RISC-V cause: a debugger breakpoint or watchpoint stops the hart before the instruction
     * ({@link DebugHook}). {@link Traps#take} leaves pc on it and the guest never sees a trap.
     */
    public static final int DEBUG_STOP = 1 << 16;

    /** Interrupt numbers (bit positions in mip/mie). */
    public static final int IRQ_SSI = 1, IRQ_MSI = 3, IRQ_STI = 5, IRQ_MTI = 7, IRQ_SEI = 9, IRQ_MEI = 11;
    /** VS-level interrupts (H extension) and the supervisor guest external interrupt. */
    public static final int IRQ_VSSI = 2, IRQ_VSTI = 6, IRQ_VSEI = 10, IRQ_SGEI = 12;
}
