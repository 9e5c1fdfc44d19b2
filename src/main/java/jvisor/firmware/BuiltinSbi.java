package jvisor.firmware;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import jvisor.cpu.Cause;
import jvisor.cpu.Csr;
import jvisor.cpu.EnvironmentCall;
import jvisor.cpu.Hart;
import jvisor.memory.GuestRam;

/**
 * The built-in SBI (RISC-V Supervisor Binary Interface spec 2.0): S-mode ecalls answered in Java,
 * the way a hypervisor answers hypercalls, so no M-mode firmware runs. Calling convention: a7 =
 * extension id, a6 = function id, a0-a5 = arguments; the result is a0 = error, a1 = value.
 *
 * <p>Implemented: BASE, TIME (through Sstc's stimecmp), IPI, RFENCE (with the HFENCE calls when the
 * harts have the H extension), HSM, SRST, DBCN and the
 * legacy console putchar/getchar, set_timer and shutdown.
 */
public final class BuiltinSbi implements EnvironmentCall {
    static final long SPEC_VERSION = 2L << 24;          // 2.0
    static final long IMPL_ID = 0x6a76;                 // "jv": not assigned to anyone else
    private static final long SUCCESS = 0, ERR_FAILED = -1, ERR_NOT_SUPPORTED = -2, ERR_INVALID_PARAM = -3,
            ERR_INVALID_ADDRESS = -5, ERR_ALREADY_AVAILABLE = -6;

    /** HSM hart states (SBI spec 2.0 §9). */
    public static final int HSM_STARTED = 0, HSM_STOPPED = 1, HSM_START_PENDING = 2, HSM_STOP_PENDING = 3,
            HSM_SUSPENDED = 4, HSM_SUSPEND_PENDING = 5, HSM_RESUME_PENDING = 6;
    /** HSM suspend types: the default retentive one, and where the platform-specific ones begin. */
    private static final long SUSPEND_RETENTIVE = 0, SUSPEND_PLATFORM = 0x1000_0000L, SUSPEND_NON_RETENTIVE = 0x8000_0000L;

    static final int EXT_BASE = 0x10, EXT_TIME = 0x54494D45, EXT_IPI = 0x735049, EXT_RFENCE = 0x52464E43,
            EXT_HSM = 0x48534D, EXT_SRST = 0x53525354, EXT_DBCN = 0x4442434E;
    static final int LEGACY_SET_TIMER = 0, LEGACY_PUTCHAR = 1, LEGACY_GETCHAR = 2, LEGACY_SHUTDOWN = 8;

    /** What the SBI needs from the machine. */
    public interface Platform {
        Hart[] harts();
        GuestRam ram();
        OutputStream console();
        /** Next byte typed on the console, or -1. */
        IntSupplier consoleInput();
        void powerOff();
        void reboot();
        /**
         * HSM hart_start: moves a STOPPED hart to START_PENDING; it then starts at {@code pc} in S-mode
         * with a0 = hartid, a1 = opaque, satp = 0, sstatus.SIE = 0. False if it was not STOPPED.
         */
        boolean startHart(int hartId, long pc, long opaque);
        /** HSM hart_stop for the calling hart: it stops when the ecall completes and stays STOPPED. */
        void stopHart(Hart hart);
        /** HSM hart_get_status: one of the HSM_* states. */
        int hartStatus(int hartId);
        /** HSM retentive suspend of the calling hart: returns when an interrupt is pending for it. */
        void suspendHart(Hart hart);
    }

    private final Platform platform;

    public BuiltinSbi(Platform platform) { this.platform = platform; }

    /**
     * Machine-mode setup a firmware would do before entering the kernel: delegate every exception
     * and S-level interrupt to S-mode, let S-mode read the counters (and U-mode the time), enable Sstc.
     */
    public static void prepareHart(Hart h) {
        // With the H extension, also ecalls from VS-mode, guest-page faults and virtual-instruction
        // exceptions: the hypervisor in HS-mode handles them (the CSR drops these bits without H).
        h.csr.set(Csr.MEDELEG, 0xB3FF & ~(1L << Cause.ECALL_S) | 1L << Cause.ECALL_VS
                | 1L << Cause.INSN_GUEST_PAGE_FAULT | 1L << Cause.LOAD_GUEST_PAGE_FAULT
                | 1L << Cause.VIRTUAL_INSN | 1L << Cause.STORE_GUEST_PAGE_FAULT);
        h.csr.set(Csr.MIDELEG, 1L << Cause.IRQ_SSI | 1L << Cause.IRQ_STI | 1L << Cause.IRQ_SEI);
        h.csr.set(Csr.MCOUNTEREN, 7);
        // Linux opens the time CSR to user mode (the vDSO's clock_gettime reads it) only from its
        // SBI PMU driver, which we give nothing to drive; start with it open, as Linux would leave it.
        h.csr.set(Csr.SCOUNTEREN, 2);
        h.csr.set(Csr.MENVCFG, 1L << 63); // STCE: S-mode programs stimecmp directly
        h.csr.set(Csr.MIE, 0);
    }

    @Override
    public boolean handle(Hart h) {
        if (h.priv != Hart.S) return false; // U-mode ecalls go to the guest kernel
        long[] x = h.x;
        int ext = (int) x[17], fid = (int) x[16];
        long a0 = x[10], a1 = x[11], a2 = x[12];
        long error = SUCCESS, value = 0;
        switch (ext) {
            case EXT_BASE -> {
                switch (fid) {
                    case 0 -> value = SPEC_VERSION;
                    case 1 -> value = IMPL_ID;
                    case 2 -> value = 1;
                    case 3 -> value = probe((int) a0) ? 1 : 0;
                    case 4, 5, 6 -> value = 0; // mvendorid, marchid, mimpid
                    default -> error = ERR_NOT_SUPPORTED;
                }
            }
            case EXT_TIME -> {
                if (fid == 0) setTimer(h, a0); else error = ERR_NOT_SUPPORTED;
            }
            case EXT_IPI -> {
                List<Hart> targets = new ArrayList<>();
                if (fid != 0) error = ERR_NOT_SUPPORTED;
                else if ((error = selectHarts(a0, a1, targets)) == SUCCESS) {
                    for (Hart t : targets) t.setSoftwareInterrupts(1L << Cause.IRQ_SSI, -1L);
                }
            }
            case EXT_RFENCE -> {
                // 0 fence.i, 1 sfence.vma, 2 sfence.vma.asid, and with the H extension 3
                // hfence.gvma.vmid, 4 hfence.gvma, 5 hfence.vvma.asid, 6 hfence.vvma: every target
                // flushes its whole TLB (guest translations included) and ends its block before we return.
                List<Hart> targets = new ArrayList<>();
                if (fid < 0 || fid > (h.hypervisor() ? 6 : 2)) error = ERR_NOT_SUPPORTED;
                else if ((error = selectHarts(a0, a1, targets)) == SUCCESS) h.fenceRemote(targets);
            }
            case EXT_HSM -> {
                switch (fid) {
                    case 0 -> error = hartStart(a0, a1, a2);
                    case 1 -> platform.stopHart(h); // does not return to the caller: the hart stops
                    case 2 -> {
                        if (a0 < 0 || a0 >= platform.harts().length) error = ERR_INVALID_PARAM;
                        else value = platform.hartStatus((int) a0);
                    }
                    case 3 -> error = suspend(h, a0);
                    default -> error = ERR_NOT_SUPPORTED;
                }
            }
            case EXT_SRST -> {
                if (fid != 0 || a0 > 2 || a0 < 0) error = ERR_INVALID_PARAM;
                else if (a0 == 0) platform.powerOff();
                else platform.reboot();
            }
            case EXT_DBCN -> {
                switch (fid) {
                    case 0 -> { value = consoleWrite(a0, a1, a2); if (value < 0) { error = value; value = 0; } }
                    case 1 -> { value = consoleRead(a0, a1, a2); if (value < 0) { error = value; value = 0; } }
                    case 2 -> { put((int) a0 & 0xff); flush(); }
                    default -> error = ERR_NOT_SUPPORTED;
                }
            }
            case LEGACY_SET_TIMER -> { setTimer(h, a0); x[10] = 0; return true; }
            case LEGACY_PUTCHAR -> { put((int) a0 & 0xff); flush(); x[10] = 0; return true; }
            case LEGACY_GETCHAR -> { x[10] = platform.consoleInput().getAsInt(); return true; }
            case LEGACY_SHUTDOWN -> { platform.powerOff(); return true; }
            default -> error = ERR_NOT_SUPPORTED;
        }
        x[10] = error;
        x[11] = value;
        return true;
    }

    private static boolean probe(int ext) {
        return switch (ext) {
            case EXT_BASE, EXT_TIME, EXT_IPI, EXT_RFENCE, EXT_HSM, EXT_SRST, EXT_DBCN,
                 LEGACY_SET_TIMER, LEGACY_PUTCHAR, LEGACY_GETCHAR, LEGACY_SHUTDOWN -> true;
            default -> false;
        };
    }

    /** SBI set_timer: the next timer event, which clears any pending one (through stimecmp). */
    private static void setTimer(Hart h, long when) {
        h.csr.set(Csr.STIMECMP, when);
    }

    /**
     * Adds the harts a hart mask selects (hart_mask_base -1: all harts) to {@code out}; returns
     * SUCCESS, or ERR_INVALID_PARAM (selecting nothing) if any selected hart id does not exist.
     */
    private long selectHarts(long mask, long base, List<Hart> out) {
        Hart[] harts = platform.harts();
        if (base == -1) {
            out.addAll(List.of(harts));
            return SUCCESS;
        }
        for (int i = 0; i < 64; i++) {
            if ((mask >>> i & 1) == 0) continue;
            long id = base + i;
            if (base < 0 || id >= harts.length) {
                out.clear();
                return ERR_INVALID_PARAM;
            }
            out.add(harts[(int) id]);
        }
        return SUCCESS;
    }

    private long hartStart(long id, long pc, long opaque) {
        if (id < 0 || id >= platform.harts().length) return ERR_INVALID_PARAM;
        if (!platform.ram().contains(pc, 2)) return ERR_INVALID_ADDRESS; // start_addr is physical (satp = 0)
        return platform.startHart((int) id, pc, opaque) ? SUCCESS : ERR_ALREADY_AVAILABLE;
    }

    /** HSM hart_suspend: the default retentive type only (non-retentive ones need none here). */
    private long suspend(Hart h, long type) {
        type &= 0xffff_ffffL;
        if (type == SUSPEND_RETENTIVE) {
            platform.suspendHart(h);
            return SUCCESS;
        }
        if (type < SUSPEND_PLATFORM || type > SUSPEND_NON_RETENTIVE && type < SUSPEND_NON_RETENTIVE + SUSPEND_PLATFORM) {
            return ERR_INVALID_PARAM; // reserved types
        }
        return ERR_NOT_SUPPORTED;
    }

    /** DBCN console_write: bytes from guest physical memory. Returns the count or an SBI error. */
    private long consoleWrite(long len, long lo, long hi) {
        GuestRam ram = platform.ram();
        if (hi != 0 || len < 0 || !ram.contains(lo, len)) return ERR_INVALID_PARAM;
        int n = (int) Math.min(len, 4096);
        byte[] buf = new byte[n];
        ram.copyOut(lo, buf, 0, n);
        try {
            platform.console().write(buf);
            platform.console().flush();
        } catch (IOException e) {
            return ERR_FAILED;
        }
        return n;
    }

    /** DBCN console_read: whatever input is waiting, without blocking. */
    private long consoleRead(long len, long lo, long hi) {
        GuestRam ram = platform.ram();
        if (hi != 0 || len < 0 || !ram.contains(lo, len)) return ERR_INVALID_PARAM;
        int n = 0;
        while (n < len) {
            int c = platform.consoleInput().getAsInt();
            if (c < 0) break;
            ram.load(lo + n, new byte[] {(byte) c}, 0, 1);
            n++;
        }
        return n;
    }

    private void put(int c) {
        try {
            platform.console().write(c);
        } catch (IOException e) {
            // host console closed: drop output
        }
    }

    private void flush() {
        try {
            platform.console().flush();
        } catch (IOException e) {
            // host console closed
        }
    }
}
