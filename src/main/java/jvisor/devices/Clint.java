package jvisor.devices;

import jvisor.cpu.Cause;
import jvisor.cpu.Clock;
import jvisor.cpu.Hart;
import jvisor.firmware.Fdt;
import jvisor.memory.MmioDevice;
import jvisor.memory.Region;

/**
 * Core-local interruptor, SiFive style (as QEMU virt): per-hart software interrupt and timer
 * comparator, and the shared mtime counter at 10 MHz.
 *
 * <pre>
 *   0x0000 + 4*hart   msip      R/W  bit 0 drives the hart's MSIP
 *   0x4000 + 8*hart   mtimecmp  R/W  64-bit; MTIP while mtime >= mtimecmp
 *   0xbff8            mtime     R    64-bit (writes are ignored: time follows the host clock)
 * </pre>
 */
public final class Clint implements MmioDevice {
    private static final long MSIP = 0x0000, MTIMECMP = 0x4000, MTIME = 0xbff8;

    private final Hart[] harts;
    private final Clock clock;

    public Clint(Hart[] harts, Clock clock) {
        this.harts = harts;
        this.clock = clock;
    }

    @Override
    public long read(long off, int size) {
        if (off >= MSIP && off < MSIP + 4L * harts.length && size == 4) {
            return harts[(int) (off >>> 2)].interruptLine(Cause.IRQ_MSI) ? 1 : 0;
        }
        if (off >= MTIMECMP && off < MTIMECMP + 8L * harts.length) {
            long v = harts[(int) ((off - MTIMECMP) >>> 3)].mtimecmp;
            return half(v, off, size);
        }
        if (off >= MTIME && off < MTIME + 8) return half(clock.now(), off, size);
        return 0;
    }

    private static long half(long v, long off, int size) {
        if (size == 8) return v;
        return (off & 4) != 0 ? v >>> 32 : v & 0xffff_ffffL;
    }

    @Override
    public void write(long off, int size, long value) {
        if (off >= MSIP && off < MSIP + 4L * harts.length && size == 4) {
            Hart h = harts[(int) (off >>> 2)];
            if ((value & 1) != 0) h.raiseInterrupt(Cause.IRQ_MSI); else h.lowerInterrupt(Cause.IRQ_MSI);
        } else if (off >= MTIMECMP && off < MTIMECMP + 8L * harts.length) {
            Hart h = harts[(int) ((off - MTIMECMP) >>> 3)];
            long v = h.mtimecmp;
            if (size == 8) v = value;
            else if ((off & 4) != 0) v = v & 0xffff_ffffL | value << 32;
            else v = v & ~0xffff_ffffL | value & 0xffff_ffffL;
            h.setMtimecmp(v);
        }
    }

    public void describe(Fdt fdt, Region r, int[] cpuIntcPhandles) {
        Fdt.Node n = fdt.root().child("soc").child("clint@" + Long.toHexString(r.base()));
        n.strings("compatible", "sifive,clint0", "riscv,clint0");
        n.u64s("reg", r.base(), r.size());
        int[] ext = new int[cpuIntcPhandles.length * 4];
        for (int i = 0; i < cpuIntcPhandles.length; i++) {
            ext[4 * i] = cpuIntcPhandles[i];
            ext[4 * i + 1] = Cause.IRQ_MSI;
            ext[4 * i + 2] = cpuIntcPhandles[i];
            ext[4 * i + 3] = Cause.IRQ_MTI;
        }
        n.cells("interrupts-extended", ext);
    }
}
