package jvisor.gdb;

/**
 * Why the machine stopped for the debugger: which hart (0-based) and what happened there;
 * {@code address} is the watched address for watchpoint stops.
 */
public record Stop(int hart, Reason reason, long address) {
    public enum Reason {
        /** Halted on request (Ctrl-C, a client attaching, --gdb-wait). */
        HALTED,
        /** A single step finished. */
        STEP,
        /** A software or hardware breakpoint (the same mechanism; gdb is told which it set). */
        SW_BREAK, HW_BREAK,
        /** Watchpoints: write, read, access; reported before the access (gdb steps over it itself). */
        WATCH, RWATCH, AWATCH
    }

    /** The stop reply packet (gdb manual, "Stop Reply Packets"); gdb threads are harts + 1. */
    String packet(boolean interrupted) {
        String sig = interrupted && reason == Reason.HALTED ? "02" : "05"; // SIGINT, SIGTRAP
        String extra = switch (reason) {
            case SW_BREAK -> "swbreak:;";
            case HW_BREAK -> "hwbreak:;";
            case WATCH -> "watch:" + Long.toHexString(address) + ";";
            case RWATCH -> "rwatch:" + Long.toHexString(address) + ";";
            case AWATCH -> "awatch:" + Long.toHexString(address) + ";";
            default -> "";
        };
        return "T" + sig + "thread:" + Integer.toHexString(hart + 1) + ";" + extra;
    }
}
