package jvisor.machine;

/**
 * The CPU features a machine's harts offer the guest, as {@code jvisor run --cpu} and the
 * {@code cpu} field of a daemon's VM definition give them: comma-separated items, for now only
 * {@code h=on} or {@code h=off}, the hypervisor extension (on unless turned off, as in QEMU's
 * {@code rv64}).
 */
public record CpuFeatures(boolean hypervisor) {
    /** What a machine has unless told otherwise. */
    public static final CpuFeatures DEFAULT = new CpuFeatures(true);

    /**
     * Parses {@code h=on} or {@code h=off} (also {@code h}, {@code h=true}, {@code h=false});
     * the last item wins, empty items count for nothing. Throws IllegalArgumentException with a
     * message in the terms of the {@code --cpu} option.
     */
    public static CpuFeatures parse(String value) {
        boolean h = DEFAULT.hypervisor;
        for (String item : value.split(",")) {
            switch (item.strip()) {
                case "h=on", "h=true", "h" -> h = true;
                case "h=off", "h=false" -> h = false;
                case "" -> { }
                default -> throw new IllegalArgumentException("--cpu " + value + ": expected h=on or h=off");
            }
        }
        return new CpuFeatures(h);
    }

    /** Gives {@code m}'s harts these features; before {@link Machine#load}, since the device tree tells the guest of them. */
    public void applyTo(Machine m) { m.setHypervisor(hypervisor); }

    @Override
    public String toString() { return hypervisor ? "h=on" : "h=off"; }
}
