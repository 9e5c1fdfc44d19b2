package jvisor.devices;

import java.util.function.IntConsumer;
import jvisor.firmware.Fdt;
import jvisor.memory.MmioDevice;
import jvisor.memory.Region;

/**
 * SiFive test device (QEMU's {@code sifive_test}): the guest powers off, reboots or reports a
 * failure by writing one 32-bit word. Linux reaches it through the syscon-poweroff and
 * syscon-reboot nodes.
 *
 * <pre>
 *   0x0  W  0x5555 power off (status 0) · 0x7777 reboot · 0x3333 | code << 16 fail with code
 * </pre>
 */
public final class TestDevice implements MmioDevice {
    public static final int FAIL = 0x3333, PASS = 0x5555, RESET = 0x7777;

    private final IntConsumer exit;
    private final Runnable reboot;

    public TestDevice(IntConsumer exit, Runnable reboot) {
        this.exit = exit;
        this.reboot = reboot;
    }

    @Override
    public long read(long off, int size) { return 0; }

    @Override
    public void write(long off, int size, long value) {
        if (off != 0) return;
        int v = (int) value;
        switch (v & 0xffff) {
            case PASS -> exit.accept(0);
            case RESET -> reboot.run();
            case FAIL -> exit.accept(v >>> 16);
            default -> { }
        }
    }

    public void describe(Fdt fdt, Region r, int phandle) {
        Fdt.Node soc = fdt.root().child("soc");
        Fdt.Node n = soc.child("test@" + Long.toHexString(r.base()));
        n.cells("phandle", phandle);
        n.u64s("reg", r.base(), r.size());
        n.strings("compatible", "sifive,test1", "sifive,test0", "syscon");
        fdt.root().child("poweroff").cells("value", PASS).cells("offset", 0).cells("regmap", phandle)
                .strings("compatible", "syscon-poweroff");
        fdt.root().child("reboot").cells("value", RESET).cells("offset", 0).cells("regmap", phandle)
                .strings("compatible", "syscon-reboot");
    }
}
