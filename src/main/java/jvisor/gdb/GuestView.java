package jvisor.gdb;

import jvisor.cpu.Csr;
import jvisor.cpu.Hart;
import jvisor.memory.GuestRam;

/**
 * Guest memory as a hart sees it, for the debugger: virtual addresses go through the hart's
 * current translation (satp, unless it runs in M-mode) with a walk of its own that changes nothing
 * the guest can see: no A/D bits set, no TLB filled, no trap raised. Any valid leaf maps, whatever
 * its permissions, so gdb can read execute-only and user pages from a supervisor stop. Only RAM is
 * reachable: reading a device register could change it (a UART's receive buffer).
 */
final class GuestView {
    private static final long PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8;
    private static final long PPN_MASK = (1L << 44) - 1;

    private final GuestRam ram;

    GuestView(GuestRam ram) { this.ram = ram; }

    /** The physical address of {@code va} for {@code h}, or -1 if it is not mapped. */
    long translate(Hart h, long va) {
        if (h.priv == Hart.M) return va;
        long satp = h.csr.get(Csr.SATP);
        int mode = (int) (satp >>> 60);
        if (mode == 0) return va;
        int levels = mode - 5; // Sv39 = 8 → 3 levels, Sv48 → 4, Sv57 → 5
        int vaBits = 12 + 9 * levels;
        if ((va << (64 - vaBits)) >> (64 - vaBits) != va) return -1;
        long table = (satp & PPN_MASK) << 12;
        for (int level = levels - 1; level >= 0; level--) {
            long pteAddr = table + ((va >>> (12 + 9 * level)) & 511) * 8;
            if (!ram.contains(pteAddr, 8)) return -1;
            long pte = ram.getLongVolatile(pteAddr - ram.base());
            if ((pte & PTE_V) == 0 || (pte & (PTE_R | PTE_W)) == PTE_W) return -1;
            long ppn = pte >>> 10 & PPN_MASK;
            if ((pte & (PTE_R | PTE_X)) == 0) {
                table = ppn << 12;
                continue;
            }
            long lowMask = (1L << (9 * level)) - 1;
            return ((ppn & ~lowMask | va >>> 12 & lowMask) << 12) | (va & 0xfff);
        }
        return -1;
    }

    /** Up to {@code len} bytes at {@code va}, stopping at the first unreadable one; empty if none. */
    byte[] read(Hart h, long va, int len) {
        byte[] out = new byte[len];
        int done = 0;
        while (done < len) {
            long pa = translate(h, va + done);
            int chunk = (int) Math.min(len - done, 4096 - ((va + done) & 0xfff));
            if (pa == -1 || !ram.contains(pa, chunk)) break;
            ram.copyOut(pa, out, done, chunk);
            done += chunk;
        }
        return done == len ? out : java.util.Arrays.copyOf(out, done);
    }

    /**
     * Writes {@code data} at {@code va}; false, having written nothing, if any byte is unmapped.
     * Writes go through the RAM's watchers, so decoded and compiled code of those pages is dropped.
     */
    boolean write(Hart h, long va, byte[] data) {
        for (int done = 0; done < data.length; done += chunk(va + done, data.length - done)) {
            long pa = translate(h, va + done);
            if (pa == -1 || !ram.contains(pa, chunk(va + done, data.length - done))) return false;
        }
        for (int done = 0; done < data.length; ) {
            int chunk = chunk(va + done, data.length - done);
            ram.load(translate(h, va + done), data, done, chunk);
            done += chunk;
        }
        return true;
    }

    private static int chunk(long va, int left) { return (int) Math.min(left, 4096 - (va & 0xfff)); }
}
