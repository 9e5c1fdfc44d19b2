package jvisor.cpu;

/** M-extension arithmetic with RISC-V's defined results for division by zero and overflow. */
final class IntMath {
    private IntMath() {}

    /** High 64 bits of signed × unsigned. */
    static long mulhsu(long a, long b) {
        long hi = Math.unsignedMultiplyHigh(a, b);
        return a < 0 ? hi - b : hi;
    }

    /**
     * div/divu/rem/remu and their W forms. Division by zero gives all ones (quotient) or the
     * dividend (remainder); the one signed overflow gives the dividend (quotient) or 0 (remainder).
     * Java's / and % already give those overflow results; only zero needs care.
     */
    static long divide(int op, long a, long b) {
        return switch (op) {
            case Op.DIV -> b == 0 ? -1 : a / b;
            case Op.DIVU -> b == 0 ? -1 : Long.divideUnsigned(a, b);
            case Op.REM -> b == 0 ? a : a % b;
            case Op.REMU -> b == 0 ? a : Long.remainderUnsigned(a, b);
            case Op.DIVW -> (int) b == 0 ? -1 : (int) a / (int) b;
            case Op.DIVUW -> (int) b == 0 ? -1 : (int) Integer.divideUnsigned((int) a, (int) b);
            case Op.REMW -> (int) b == 0 ? (int) a : (int) a % (int) b;
            default -> (int) b == 0 ? (int) a : Integer.remainderUnsigned((int) a, (int) b); // REMUW
        };
    }
}
