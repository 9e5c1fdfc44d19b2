package jvisor.machine;

/** What to build: RAM size in bytes and the number of harts. */
public record MachineConfig(long memoryBytes, int cpus) {
    public static final long RAM_BASE = 0x8000_0000L;
    public static final long DEFAULT_MEMORY = 512L << 20;

    public MachineConfig {
        if (memoryBytes < 1 << 20 || (memoryBytes & 0xfff) != 0) {
            throw new IllegalArgumentException("memory must be at least 1M and a multiple of 4K");
        }
        if (cpus < 1 || cpus > 32) throw new IllegalArgumentException("--cpus " + cpus + ": give 1 to 32 harts");
    }
}
