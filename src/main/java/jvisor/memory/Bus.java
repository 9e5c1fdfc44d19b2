package jvisor.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * The physical address space: RAM plus memory-mapped devices. The bus owns access rules: an
 * access to a hole, one that straddles a device's end, or one of a size the device refuses is an
 * access fault: {@link #deviceAccepts} says no and the CPU raises the fault, never a Java exception.
 */
public final class Bus {
    private record Mapping(Region region, MmioDevice device) {}

    private final GuestRam ram;
    private Mapping[] devices = new Mapping[0];
    public Bus(GuestRam ram) { this.ram = ram; }

    public GuestRam ram() { return ram; }

    public synchronized void map(Region region, MmioDevice device) {
        for (Mapping m : devices) {
            if (region.base() < m.region().end() && m.region().base() < region.end()) {
                throw new IllegalArgumentException(region + " overlaps " + m.region());
            }
        }
        List<Mapping> list = new ArrayList<>(List.of(devices));
        list.add(new Mapping(region, device));
        devices = list.toArray(new Mapping[0]);
    }

    /** The device mapping that fully contains {@code [pa, pa+size)} with an accepted size, or null. */
    private Mapping find(long pa, int size) {
        for (Mapping m : devices) {
            Region r = m.region();
            if (r.contains(pa)) {
                MmioDevice d = m.device();
                boolean ok = pa + size <= r.end() && size >= d.minAccess() && size <= d.maxAccess()
                        && (pa & (size - 1)) == 0;
                return ok ? m : null;
            }
        }
        return null;
    }

    /** True if a device access of this size at {@code pa} would be accepted. */
    public boolean deviceAccepts(long pa, int size) { return find(pa, size) != null; }

    /**
     * Reads a device register. The caller has checked {@link #deviceAccepts}; returns the
     * zero-extended value.
     */
    public long readDevice(long pa, int size) {
        Mapping m = find(pa, size);
        return m == null ? 0 : m.device().read(pa - m.region().base(), size);
    }

    /** Writes a device register; the caller has checked {@link #deviceAccepts}. */
    public void writeDevice(long pa, int size, long value) {
        Mapping m = find(pa, size);
        if (m != null) m.device().write(pa - m.region().base(), size, value);
    }
}
