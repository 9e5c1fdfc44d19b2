package jvisor.memory;

/**
 * A device mapped into guest physical memory. The bus calls it only with offsets inside its
 * region and sizes between {@link #minAccess()} and {@link #maxAccess()}; any other access is an
 * access fault the bus raises itself, so a device never sees a malformed request.
 */
public interface MmioDevice {
    /** Reads {@code size} bytes (1, 2, 4 or 8) at {@code offset}, zero-extended. */
    long read(long offset, int size);

    /** Writes the low {@code size} bytes of {@code value} at {@code offset}. */
    void write(long offset, int size, long value);

    /** Smallest access size in bytes the device accepts. */
    default int minAccess() { return 4; }

    /** Largest access size in bytes the device accepts. */
    default int maxAccess() { return 8; }
}
