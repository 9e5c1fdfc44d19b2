package jvisor.devices;

import jvisor.state.Snapshottable;
import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

import jvisor.cpu.Cause;
import jvisor.cpu.Hart;
import jvisor.firmware.Fdt;
import jvisor.memory.MmioDevice;
import jvisor.memory.Region;

/**
 * Platform-level interrupt controller (RISC-V PLIC spec 1.0.0), configured as on QEMU virt: 95
 * sources, priorities 0-7, two contexts per hart (2h = M-mode → MEIP, 2h+1 = S-mode → SEIP).
 *
 * <pre>
 *   0x000000 + 4*src              priority        R/W
 *   0x001000 + 4*word             pending bits    R
 *   0x002000 + 0x80*ctx + 4*word  enable bits     R/W
 *   0x200000 + 0x1000*ctx         threshold       R/W
 *   0x200004 + 0x1000*ctx         claim/complete  R claims, W completes
 * </pre>
 * Sources are level-triggered, as QEMU models them: pending follows the line until claimed; a
 * claimed source is pending again after completion if its line is still high.
 */
public final class Plic implements MmioDevice, Snapshottable {
    public static final int SOURCES = 96; // source 0 is "no interrupt"
    private static final int WORDS = SOURCES / 32, PRIORITY_MASK = 7;

    private final Hart[] harts;
    private final int contexts;
    private final int[] priority = new int[SOURCES];
    private final boolean[] level = new boolean[SOURCES];
    private final boolean[] pending = new boolean[SOURCES];
    private final boolean[] claimed = new boolean[SOURCES];
    private final int[][] enable;
    private final int[] threshold;

    public Plic(Hart[] harts) {
        this.harts = harts;
        this.contexts = 2 * harts.length;
        this.enable = new int[contexts][WORDS];
        this.threshold = new int[contexts];
    }

    @Override
    public synchronized void saveState(StateWriter out) {
        for (int src = 0; src < SOURCES; src++) {
            out.u8(priority[src]).u8((level[src] ? 1 : 0) | (pending[src] ? 2 : 0) | (claimed[src] ? 4 : 0));
        }
        for (int ctx = 0; ctx < contexts; ctx++) {
            for (int w : enable[ctx]) out.i32(w);
            out.u8(threshold[ctx]);
        }
    }

    /** Reads the registers back and drives every hart's MEIP/SEIP from them. */
    @Override
    public synchronized void loadState(StateReader in) throws StateException {
        for (int src = 0; src < SOURCES; src++) {
            priority[src] = in.u8(PRIORITY_MASK, "priority");
            int flags = in.u8(7, "source flags");
            level[src] = (flags & 1) != 0;
            pending[src] = (flags & 2) != 0;
            claimed[src] = (flags & 4) != 0;
        }
        for (int ctx = 0; ctx < contexts; ctx++) {
            for (int w = 0; w < WORDS; w++) enable[ctx][w] = in.i32();
            threshold[ctx] = in.u8(PRIORITY_MASK, "threshold");
        }
        update();
    }

    /** The line of source {@code src} (1..95). */
    public IrqLine line(int src) {
        if (src <= 0 || src >= SOURCES) throw new IllegalArgumentException("PLIC source " + src);
        return lvl -> setLevel(src, lvl);
    }

    private synchronized void setLevel(int src, boolean lvl) {
        level[src] = lvl;
        pending[src] = lvl && !claimed[src];
        update();
    }

    @Override
    public synchronized long read(long off, int size) {
        if (off < 0x1000) return off / 4 < SOURCES ? priority[(int) (off / 4)] : 0;
        if (off < 0x2000) {
            int word = (int) ((off - 0x1000) / 4);
            return word < WORDS ? bits(pending, word) : 0;
        }
        if (off < 0x200000) {
            int ctx = (int) ((off - 0x2000) / 0x80), word = (int) ((off - 0x2000) % 0x80 / 4);
            return ctx < contexts && word < WORDS ? enable[ctx][word] & 0xffff_ffffL : 0;
        }
        int ctx = (int) ((off - 0x200000) / 0x1000);
        if (ctx >= contexts) return 0;
        return switch ((int) (off & 0xfff)) {
            case 0 -> threshold[ctx];
            case 4 -> claim(ctx);
            default -> 0;
        };
    }

    @Override
    public synchronized void write(long off, int size, long value) {
        int v = (int) value;
        if (off < 0x1000) {
            int src = (int) (off / 4);
            if (src > 0 && src < SOURCES) priority[src] = v & PRIORITY_MASK;
        } else if (off >= 0x2000 && off < 0x200000) {
            int ctx = (int) ((off - 0x2000) / 0x80), word = (int) ((off - 0x2000) % 0x80 / 4);
            if (ctx < contexts && word < WORDS) enable[ctx][word] = word == 0 ? v & ~1 : v;
        } else if (off >= 0x200000) {
            int ctx = (int) ((off - 0x200000) / 0x1000);
            if (ctx >= contexts) return;
            switch ((int) (off & 0xfff)) {
                case 0 -> threshold[ctx] = v & PRIORITY_MASK;
                case 4 -> complete(ctx, v);
                default -> { }
            }
        }
        update();
    }

    private static long bits(boolean[] set, int word) {
        long w = 0;
        for (int i = 0; i < 32; i++) if (set[word * 32 + i]) w |= 1L << i;
        return w;
    }

    private boolean enabled(int ctx, int src) { return (enable[ctx][src >>> 5] >>> (src & 31) & 1) != 0; }

    /** The best pending, enabled source for {@code ctx} above {@code floor}, or 0. */
    private int best(int ctx, int floor) {
        int best = 0, bestPriority = floor;
        for (int src = 1; src < SOURCES; src++) {
            if (pending[src] && priority[src] > bestPriority && enabled(ctx, src)) {
                best = src;
                bestPriority = priority[src];
            }
        }
        return best;
    }

    private int claim(int ctx) {
        int src = best(ctx, 0);
        if (src != 0) {
            pending[src] = false;
            claimed[src] = true;
            update();
        }
        return src;
    }

    private void complete(int ctx, int src) {
        if (src <= 0 || src >= SOURCES || !enabled(ctx, src)) return;
        claimed[src] = false;
        if (level[src]) pending[src] = true;
    }

    /** Drives each context's MEIP/SEIP from what it could claim above its threshold. */
    private void update() {
        for (int ctx = 0; ctx < contexts; ctx++) {
            Hart h = harts[ctx / 2];
            int bit = (ctx & 1) == 0 ? Cause.IRQ_MEI : Cause.IRQ_SEI;
            if (best(ctx, threshold[ctx]) != 0) h.raiseInterrupt(bit); else h.lowerInterrupt(bit);
        }
    }

    public void describe(Fdt fdt, Region r, int phandle, int[] cpuIntcPhandles) {
        Fdt.Node n = fdt.root().child("soc").child("plic@" + Long.toHexString(r.base()));
        n.cells("phandle", phandle);
        n.cells("riscv,ndev", SOURCES - 1);
        n.u64s("reg", r.base(), r.size());
        int[] ext = new int[cpuIntcPhandles.length * 4];
        for (int i = 0; i < cpuIntcPhandles.length; i++) {
            ext[4 * i] = cpuIntcPhandles[i];
            ext[4 * i + 1] = Cause.IRQ_MEI;
            ext[4 * i + 2] = cpuIntcPhandles[i];
            ext[4 * i + 3] = Cause.IRQ_SEI;
        }
        n.cells("interrupts-extended", ext);
        n.flag("interrupt-controller");
        n.strings("compatible", "sifive,plic-1.0.0", "riscv,plic0");
        n.cells("#address-cells", 0);
        n.cells("#interrupt-cells", 1);
    }
}
