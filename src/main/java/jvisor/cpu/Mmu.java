package jvisor.cpu;

import jvisor.memory.Bus;
import jvisor.memory.GuestRam;

/**
 * Address translation and memory access for one hart (privileged spec 1.12 §4.3-4.6: Sv39,
 * Sv48, Sv57; §8.5: the H extension's two-stage translation). Hits in the software {@link Tlb}
 * go straight to RAM; everything else takes the slow path: page walk (setting A/D bits as QEMU
 * does), permission checks, devices on the bus, accesses that cross a page, and stores to
 * watched pages.
 *
 * <p>With V=1 (or for HLV/HSV) an address goes through the VS-stage (vsatp) and then the
 * G-stage (hgatp: Sv39x4/Sv48x4/Sv57x4); each VS-stage page-table access is itself a guest
 * physical address translated by the G-stage. The TLB caches the whole guest-virtual to RAM
 * mapping in tables of their own (VS and VU), so V=0 tables never see guest translations and
 * guests without H pay nothing for it.
 *
 * <p>Faults are recorded on the hart ({@link Hart#raise}) and the access returns 0; callers test
 * {@link Hart#fault} afterwards.
 */
public final class Mmu {
    static final int FETCH = 0, LOAD = 1, STORE = 2;

    private static final long PTE_V = 1, PTE_R = 2, PTE_W = 4, PTE_X = 8, PTE_U = 16, PTE_A = 64, PTE_D = 128;
    private static final long PPN_MASK = (1L << 44) - 1;
    static final long MSTATUS_MPRV = 1L << 17, MSTATUS_SUM = 1L << 18, MSTATUS_MXR = 1L << 19;

    private final Hart hart;
    private final GuestRam ram;
    private final Bus bus;
    private final DecodeCache decoded;
    private final long ramBase;

    /**
     * One TLB per privilege level and virtualization mode: U, S, S with SUM, M, then VU, VS and
     * VS with SUM ({@link #tlbIndex}, {@link #SUM}). Data accesses use the effective privilege
     * and mode (MPRV, MPV). S-mode data accesses while SUM is set have tables of their own, the
     * only ones that may hold user pages: Linux sets and clears SUM around every access to user
     * memory, and with one table each change flushed the kernel's entries (15,000 times in a boot).
     */
    private final Tlb[] tlbs = {new Tlb(), new Tlb(), new Tlb(), new Tlb(), new Tlb(), new Tlb(), new Tlb()};
    /** Added to an S or VS table's index for its tables with SUM set. */
    private static final int SUM = 1;
    /** The current privilege's tables (data ones follow MPRV), copied here to save a hop per access. */
    private long[] loadTlb, storeTlb, fetchTlb;
    private int dataPriv, codePriv;
    private boolean dataVirt, codeVirt;
    /** mstatus.SUM/MXR and vsstatus.SUM/MXR as the TLB contents were made with. */
    private boolean sum, mxr, vsum, vmxr;
    /**
     * Set while an HLV/HLVX/HSV runs: its translation enters no TLB; {@link #hlvx} makes its
     * load need execute permission instead of read permission in both stages.
     */
    private boolean hyperAccess, hlvx;

    private static int tlbIndex(int priv, boolean virt) { return virt ? priv + 4 : priv; }

    Mmu(Hart hart, Bus bus, DecodeCache decoded) {
        this.hart = hart;
        this.bus = bus;
        this.ram = bus.ram();
        this.decoded = decoded;
        this.ramBase = ram.base();
        dataPriv = codePriv = Hart.M;
        selectTables();
    }

    GuestRam ram() { return ram; }

    // ---- context ----

    /**
     * Re-derives which TLB serves fetches and data after a change of privilege, mstatus or satp.
     * SUM changes only S-mode data permissions, MXR every data permission.
     */
    void contextChanged() {
        long ms = hart.csr.mstatus, vs = hart.csr.vsstatus;
        boolean newSum = (ms & MSTATUS_SUM) != 0, newMxr = (ms & MSTATUS_MXR) != 0;
        boolean newVsum = (vs & MSTATUS_SUM) != 0, newVmxr = (vs & MSTATUS_MXR) != 0;
        // mstatus.MXR applies to both stages of guest translations as well. SUM picks tables.
        if (newMxr != mxr) { flush(-1); flushGuest(-1); }
        if (newVmxr != vmxr) flushGuest(-1);
        sum = newSum;
        mxr = newMxr;
        vsum = newVsum;
        vmxr = newVmxr;
        codePriv = hart.priv;
        codeVirt = hart.virt;
        if (hart.priv == Hart.M && (ms & MSTATUS_MPRV) != 0) {
            dataPriv = (int) (ms >>> 11 & 3);
            if (dataPriv == 2) dataPriv = Hart.U; // MPP is WARL and never holds 2; be safe anyway
            dataVirt = dataPriv != Hart.M && (ms & CsrFile.MPV) != 0;
        } else {
            dataPriv = hart.priv;
            dataVirt = hart.virt;
        }
        selectTables();
    }

    private void selectTables() {
        int index = tlbIndex(dataPriv, dataVirt);
        if (dataPriv == Hart.S && (dataVirt ? vsum : sum)) index += SUM;
        Tlb data = tlbs[index];
        loadTlb = data.load;
        storeTlb = data.store;
        fetchTlb = tlbs[tlbIndex(codePriv, codeVirt)].fetch;
    }

    /**
     * Drops every entry of every privilege level (a shootdown from another hart, see
     * {@link Shootdown}, or a debugger changing breakpoints); on the hart's thread or while it is parked.
     */
    public void flushAll() {
        for (Tlb t : tlbs) t.flush();
    }

    /**
     * sfence.vma with V=1, hfence.vvma, hfence.gvma, or a vsatp or hgatp write: drops guest
     * translations (VS and VU) for one guest virtual page ({@code vpn >= 0}) or all.
     */
    void flushGuest(long vpn) {
        flush(tlbIndex(Hart.U, true), tlbIndex(Hart.S, true) + SUM, vpn);
    }

    /** sfence.vma or satp write: drops translations for one page ({@code vpn >= 0}) or all. */
    void flush(long vpn) {
        // M-mode always runs bare, so its TLB holds identity entries that never go stale.
        flush(Hart.U, Hart.S + SUM, vpn);
    }

    /** Drops page {@code vpn} ({@code vpn >= 0}) or everything from tables {@code from} to {@code to}. */
    private void flush(int from, int to, long vpn) {
        for (int i = from; i <= to; i++) {
            if (vpn < 0) tlbs[i].flush();
            else tlbs[i].flushPage(vpn);
        }
    }

    // ---- loads and stores ----

    /**
     * The RAM offset a {@code size}-byte load at {@code va} reads when the TLB holds its page and
     * the access stays inside it; -1 otherwise (the slow path decides).
     */
    long loadHit(long va, int size) { return Tlb.hit(loadTlb, va, size); }

    /** As {@link #loadHit} for stores: -1 also for pages watched for code or devices. */
    long storeHit(long va, int size) { return Tlb.hit(storeTlb, va, size); }

    public long load64(long va) {
        long o = loadHit(va, 8);
        return o >= 0 ? ram.hartGetLong(o) : loadSlow(va, 8);
    }

    /** Sign-extended 32-bit load. */
    public long load32(long va) {
        long o = loadHit(va, 4);
        return o >= 0 ? ram.hartGetInt(o) : (int) loadSlow(va, 4);
    }

    /** Sign-extended 16-bit load. */
    public long load16(long va) {
        long o = loadHit(va, 2);
        return o >= 0 ? ram.hartGetShort(o) : (short) loadSlow(va, 2);
    }

    /** Sign-extended 8-bit load. */
    public long load8(long va) {
        long o = loadHit(va, 1);
        return o >= 0 ? ram.hartGetByte(o) : (byte) loadSlow(va, 1);
    }

    public void store64(long va, long v) {
        long o = storeHit(va, 8);
        if (o >= 0) ram.hartPutLong(o, v);
        else storeSlow(va, 8, v);
    }

    public void store32(long va, long v) {
        long o = storeHit(va, 4);
        if (o >= 0) ram.hartPutInt(o, (int) v);
        else storeSlow(va, 4, v);
    }

    public void store16(long va, long v) {
        long o = storeHit(va, 2);
        if (o >= 0) ram.hartPutShort(o, (short) v);
        else storeSlow(va, 2, v);
    }

    public void store8(long va, long v) {
        long o = storeHit(va, 1);
        if (o >= 0) ram.hartPutByte(o, (byte) v);
        else storeSlow(va, 1, v);
    }

    // ---- fetch ----

    /** RAM offset of the page {@link #fetchPage} returned last, for decoding from it. */
    private long fetchPageOff;

    /** The code page holding {@code pc}, or null after recording a fetch fault. */
    CodePage fetchPage(long pc) {
        long hit = Tlb.page(fetchTlb, pc);
        if (hit >= 0) {
            fetchPageOff = hit;
            return decoded.page(hit, hart);
        }
        long pa = translate(pc, FETCH, codePriv, codeVirt);
        if (pa == -1) return null;
        long off = pa - ramBase;
        if (!ram.contains(pa, 2)) {
            hart.raise(Cause.INSN_ACCESS, pc);
            return null;
        }
        long pageOff = off & -GuestRam.PAGE_SIZE;
        fetchPageOff = pageOff;
        DebugHook dbg = hart.debug;
        int[] breakpoints = dbg == null ? null : dbg.breakpointSlots(hart, pc);
        if (breakpoints != null) return decoded.page(pageOff, hart).debugCopy(breakpoints); // kept out of the TLB
        Tlb.put(fetchTlb, pc, pageOff);
        return decoded.page(pageOff, hart);
    }

    /** 16 instruction bits at {@code pc}, which lies in the page {@link #fetchPage} returned last. */
    int fetchInPage(long pc) {
        return ram.getShort(fetchPageOff + (pc & 0xfff)) & 0xffff;
    }

    /** Fetches 16 instruction bits at {@code va} without the decode cache; -1 after a fault. */
    int fetch16(long va) {
        long pa = translate(va, FETCH, codePriv, codeVirt);
        if (pa == -1) return -1;
        if (!ram.contains(pa, 2)) {
            hart.raise(Cause.INSN_ACCESS, va);
            return -1;
        }
        return ram.getShort(pa - ramBase) & 0xffff;
    }

    // ---- slow paths ----

    private long loadSlow(long va, int size) {
        if ((va & 0xfff) + size > 4096) {
            long v = 0; // misaligned across a page: byte by byte, little-endian
            for (int k = 0; k < size; k++) {
                long b = loadSlow(va + k, 1);
                if (hart.fault) return 0;
                v |= (b & 0xff) << (8 * k);
            }
            return v;
        }
        long pa = translate(va, LOAD, dataPriv, dataVirt);
        if (pa == -1) return 0;
        int watch = watch(va, size, false);
        if (watch == DebugHook.HIT) {
            hart.raise(Cause.DEBUG_STOP, va);
            return 0;
        }
        if (ram.contains(pa, size)) {
            enterLoad(va, pa - ramBase, watch);
            return ram.read(pa - ramBase, size);
        }
        if (bus.deviceAccepts(pa, size)) return bus.readDevice(pa, size);
        hart.raise(Cause.LOAD_ACCESS, va);
        return 0;
    }

    private void storeSlow(long va, int size, long v) {
        if ((va & 0xfff) + size > 4096) {
            // Check both pages before writing a byte, so a faulting store changes nothing.
            if (translate(va, STORE, dataPriv, dataVirt) == -1) return;
            long second = (va | 0xfff) + 1;
            if (translate(second, STORE, dataPriv, dataVirt) == -1) return;
            for (int k = 0; k < size; k++) {
                storeSlow(va + k, 1, v >>> (8 * k));
                if (hart.fault && hart.pendingCause >= 0) return;
            }
            return;
        }
        long pa = translate(va, STORE, dataPriv, dataVirt);
        if (pa == -1) return;
        int watch = watch(va, size, true);
        if (watch == DebugHook.HIT) {
            hart.raise(Cause.DEBUG_STOP, va);
            return;
        }
        if (ram.contains(pa, size)) {
            long off = pa - ramBase;
            ram.write(off, size, v);
            ram.markDirty(off, size); // before a fast mapping exists, so a dirty log sees the page
            if (ram.watched(off)) {
                ram.notifyStore(off, size);
                hart.endBlock();
            } else {
                enterStore(va, off, watch);
            }
            return;
        }
        if (bus.deviceAccepts(pa, size)) {
            bus.writeDevice(pa, size, v);
            hart.endBlock(); // a device write may raise an interrupt or stop the machine
            return;
        }
        hart.raise(Cause.STORE_ACCESS, va);
    }

    /** Enters the load translation of {@code va} (RAM offset {@code off}) unless the debugger watches it or an HLV made it. */
    private void enterLoad(long va, long off, int watch) {
        if (watch == DebugHook.UNWATCHED && !hyperAccess) Tlb.put(loadTlb, va, off & -GuestRam.PAGE_SIZE);
    }

    /**
     * Enters the store translation of {@code va} (RAM offset {@code off}, a page not watched for
     * code or devices) unless the debugger watches it, an HSV made it, or code was decoded there
     * meanwhile ({@link DecodeCache#allowFastStores}).
     */
    private void enterStore(long va, long off, int watch) {
        long page = off & -GuestRam.PAGE_SIZE;
        if (watch == DebugHook.UNWATCHED && !hyperAccess && decoded.allowFastStores(page)) Tlb.put(storeTlb, va, page);
    }

    /** What the debugger says about a data access that missed the TLB ({@link DebugHook#watch}). */
    private int watch(long va, int size, boolean store) {
        DebugHook dbg = hart.debug;
        return dbg == null ? DebugHook.UNWATCHED : dbg.watch(hart, va, size, store);
    }

    /** Tells watchers about an atomic store to RAM offset {@code off}. */
    void afterAtomicStore(long off, int size) {
        if (ram.watched(off)) {
            ram.notifyStore(off, size);
            hart.endBlock();
        }
    }

    /**
     * Translates {@code va} for an LR/SC/AMO of {@code size} bytes and returns its RAM offset, or -1
     * after recording the fault (misaligned, page fault, or not RAM: atomics need main memory).
     */
    long atomicOffset(long va, int size, int access) {
        if ((va & (size - 1)) != 0) {
            hart.raise(access == LOAD ? Cause.LOAD_MISALIGNED : Cause.STORE_MISALIGNED, va);
            return -1;
        }
        // A TLB entry proves RAM, permission and (for stores) the D bit; watched pages never have
        // store entries, so the caller's afterAtomicStore still sees every store to them.
        long o = access == LOAD ? loadHit(va, size) : storeHit(va, size); // aligned: inside its page
        if (o >= 0) return o;
        long pa = translate(va, access, dataPriv, dataVirt);
        if (pa == -1) return -1;
        int watch = watch(va, size, access == STORE);
        if (watch == DebugHook.HIT) {
            hart.raise(Cause.DEBUG_STOP, va);
            return -1;
        }
        if (!ram.contains(pa, size)) {
            hart.raise(access == LOAD ? Cause.LOAD_ACCESS : Cause.STORE_ACCESS, va);
            return -1;
        }
        long off = pa - ramBase;
        // Entered as a load or store would enter it: a third of a boot's page walks were atomics
        // (spinlocks, counters) on pages no plain access had brought into the TLB.
        if (access == LOAD) {
            enterLoad(va, off, watch);
        } else {
            ram.markDirty(off, size);
            if (!ram.watched(off)) enterStore(va, off, watch);
        }
        return off;
    }

    // ---- HLV, HLVX, HSV ----

    /**
     * HLV/HLVX: a {@code size}-byte load at {@code va} as VS-mode (hstatus.SPVP = 1) or VU-mode
     * would make it, with two-stage translation and vsstatus's SUM/MXR; HLVX needs execute
     * permission instead of read. The translation is not cached. Returns the raw bytes.
     */
    long hyperLoad(long va, int size, boolean execute) {
        beginHyper(execute);
        try {
            return loadSlow(va, size);
        } finally {
            endHyper();
        }
    }

    /** HSV: a {@code size}-byte store as {@link #hyperLoad} loads. */
    void hyperStore(long va, int size, long v) {
        beginHyper(false);
        try {
            storeSlow(va, size, v);
        } finally {
            endHyper();
        }
    }

    private void beginHyper(boolean execute) {
        hyperAccess = true;
        hlvx = execute;
        dataPriv = (hart.csr.hstatus & CsrFile.SPVP) != 0 ? Hart.S : Hart.U;
        dataVirt = true;
    }

    private void endHyper() {
        if (hart.fault && hart.pendingCause >= 0) hart.pendingGva = true; // tval is a guest virtual address
        hyperAccess = hlvx = false;
        contextChanged();
    }

    // ---- translation ----

    /** Kinds of G-stage translations: the access itself, or the VS-stage walk reading or updating a PTE. */
    private static final int EXPLICIT = 0, IMPLICIT_READ = 1, IMPLICIT_WRITE = 2;
    /** htinst/mtinst pseudoinstructions for guest-page faults of VS-stage PTE reads and A/D writes (RV64). */
    static final int TINST_PTE_READ = 0x3000, TINST_PTE_WRITE = 0x3020;

    /**
     * Writes an updated PTE (A/D bits) at RAM offset {@code pteOff} if it still holds {@code pte};
     * every page-table write of every stage goes through here. False if another hart changed it
     * first: the caller walks again.
     */
    private boolean updatePte(long pteOff, long pte, long updated) {
        if (!ram.cas64(pteOff, pte, updated)) return false;
        ram.markDirty(pteOff, 8); // a migration's dirty log must see the page table change
        return true;
    }

    /**
     * Virtual to physical for one access, or -1 after recording the fault. M-mode (or bare satp)
     * is the identity; {@code virt} selects two-stage translation (VS-stage, then G-stage).
     */
    private long translate(long va, int access, int priv, boolean virt) {
        return virt ? translateGuest(va, access, priv) : translate(va, access, priv);
    }

    /**
     * Virtual to physical for one access, or -1 after recording the fault. M-mode (or bare satp)
     * is the identity.
     */
    private long translate(long va, int access, int priv) {
        int mode = hart.csr.satpMode();
        if (priv == Hart.M || mode == 0) return va;
        int levels = mode - 5; // Sv39 = 8 → 3 levels, Sv48 = 9 → 4, Sv57 = 10 → 5
        int vaBits = 12 + 9 * levels;
        if ((va << (64 - vaBits)) >> (64 - vaBits) != va) return pageFault(va, access);
        long table = (hart.csr.satp & PPN_MASK) << 12;
        for (int level = levels - 1; level >= 0; level--) {
            long pteAddr = table + ((va >>> (12 + 9 * level)) & 511) * 8;
            if (!ram.contains(pteAddr, 8)) return accessFault(va, access);
            long pteOff = pteAddr - ramBase;
            long pte = ram.getLongVolatile(pteOff);
            if ((pte & PTE_V) == 0 || (pte & (PTE_R | PTE_W)) == PTE_W || (pte >>> 54) != 0) {
                return pageFault(va, access);
            }
            if ((pte & (PTE_R | PTE_X)) == 0) { // pointer to the next level
                table = (pte >>> 10 & PPN_MASK) << 12;
                continue;
            }
            if (!permitted(pte, access, priv)) return pageFault(va, access);
            long ppn = pte >>> 10 & PPN_MASK;
            long lowMask = (1L << (9 * level)) - 1;
            if ((ppn & lowMask) != 0) return pageFault(va, access); // misaligned superpage
            superpage(priv, va >>> 12, lowMask); // the caller may cache this as a 4 KiB entry
            long need = PTE_A | (access == STORE ? PTE_D : 0);
            if ((pte & need) != need) {
                // Hardware A/D update (Svadu-like, as QEMU): atomic, so a concurrent change by
                // another hart makes us walk again.
                if (!updatePte(pteOff, pte, pte | need)) return translate(va, access, priv);
            }
            return ((ppn | (va >>> 12 & lowMask)) << 12) | (va & 0xfff);
        }
        return pageFault(va, access);
    }

    /** Notes a superpage translation of {@code vpn} in the tables of {@code index} (with SUM too, for S and VS). */
    private void superpage(int index, long vpn, long lowMask) {
        tlbs[index].enteredSuperpage(vpn, lowMask);
        if (index == Hart.S || index == tlbIndex(Hart.S, true)) tlbs[index + SUM].enteredSuperpage(vpn, lowMask);
    }

    private boolean permitted(long pte, int access, int priv) {
        return permitted(pte, access, priv, sum, mxr, false);
    }

    private static boolean permitted(long pte, int access, int priv, boolean sum, boolean mxr, boolean execute) {
        boolean user = (pte & PTE_U) != 0;
        if (access == FETCH) return (pte & PTE_X) != 0 && (priv == Hart.U) == user;
        if (priv == Hart.U ? !user : user && !sum) return false;
        if (access == LOAD) return execute ? (pte & PTE_X) != 0 : (pte & PTE_R) != 0 || (mxr && (pte & PTE_X) != 0);
        return (pte & PTE_W) != 0;
    }

    /**
     * The VS-stage of a guest access (vsatp; Bare passes the address through), each of its PTE
     * reads and A/D writes translated by the G-stage, then the G-stage for the result.
     */
    private long translateGuest(long va, int access, int priv) {
        long vsatp = hart.csr.vsatp;
        int mode = (int) (vsatp >>> 60);
        if (mode == 0) return gStage(va, access, va, access, EXPLICIT);
        int levels = mode - 5;
        int vaBits = 12 + 9 * levels;
        if ((va << (64 - vaBits)) >> (64 - vaBits) != va) return pageFault(va, access);
        long table = (vsatp & PPN_MASK) << 12;
        for (int level = levels - 1; level >= 0; level--) {
            long pteGpa = table + ((va >>> (12 + 9 * level)) & 511) * 8;
            long ptePa = gStage(pteGpa, LOAD, va, access, IMPLICIT_READ);
            if (ptePa == -1) return -1;
            if (!ram.contains(ptePa, 8)) return accessFault(va, access);
            long pteOff = ptePa - ramBase;
            long pte = ram.getLongVolatile(pteOff);
            if ((pte & PTE_V) == 0 || (pte & (PTE_R | PTE_W)) == PTE_W || (pte >>> 54) != 0) {
                return pageFault(va, access);
            }
            if ((pte & (PTE_R | PTE_X)) == 0) {
                table = (pte >>> 10 & PPN_MASK) << 12;
                continue;
            }
            if (!permitted(pte, access, priv, vsum, vmxr || mxr, hlvx)) return pageFault(va, access);
            long ppn = pte >>> 10 & PPN_MASK;
            long lowMask = (1L << (9 * level)) - 1;
            if ((ppn & lowMask) != 0) return pageFault(va, access);
            superpage(tlbIndex(priv, true), va >>> 12, lowMask);
            long need = PTE_A | (access == STORE ? PTE_D : 0);
            if ((pte & need) != need) {
                // The A/D write is a store to guest physical memory: the G-stage must allow it.
                long wpa = gStage(pteGpa, STORE, va, access, IMPLICIT_WRITE);
                if (wpa == -1) return -1;
                if (!updatePte(wpa - ramBase, pte, pte | need)) return translateGuest(va, access, priv);
            }
            long gpa = ((ppn | (va >>> 12 & lowMask)) << 12) | (va & 0xfff);
            return gStage(gpa, access, va, access, EXPLICIT);
        }
        return pageFault(va, access);
    }

    /**
     * The G-stage (hgatp): guest physical {@code gpa} to physical, checked as a {@code check}
     * access (every G-stage access counts as U-mode, so leaves need the U bit), or -1 after
     * recording a guest-page fault for the original {@code access} at guest virtual {@code gva}
     * (htval = gpa >> 2; htinst a pseudoinstruction for a VS-stage PTE access). The root table
     * spans four pages, so guest physical addresses have two more bits than the VS-stage mode.
     */
    private long gStage(long gpa, int check, long gva, int access, int kind) {
        long hgatp = hart.csr.hgatp;
        int mode = (int) (hgatp >>> 60);
        if (mode == 0) return gpa;
        int levels = mode - 5;
        if (gpa >>> (14 + 9 * levels) != 0) return guestPageFault(gva, gpa, access, kind);
        long table = (hgatp & PPN_MASK) << 12;
        for (int level = levels - 1; level >= 0; level--) {
            long index = gpa >>> (12 + 9 * level) & (level == levels - 1 ? 2047 : 511);
            long pteAddr = table + index * 8;
            if (!ram.contains(pteAddr, 8)) return accessFault(gva, access);
            long pteOff = pteAddr - ramBase;
            long pte = ram.getLongVolatile(pteOff);
            if ((pte & PTE_V) == 0 || (pte & (PTE_R | PTE_W)) == PTE_W || (pte >>> 54) != 0) {
                return guestPageFault(gva, gpa, access, kind);
            }
            if ((pte & (PTE_R | PTE_X)) == 0) {
                table = (pte >>> 10 & PPN_MASK) << 12;
                continue;
            }
            if (!permitted(pte, check, Hart.U, false, mxr, hlvx && kind == EXPLICIT)) {
                return guestPageFault(gva, gpa, access, kind);
            }
            long ppn = pte >>> 10 & PPN_MASK;
            long lowMask = (1L << (9 * level)) - 1;
            if ((ppn & lowMask) != 0) return guestPageFault(gva, gpa, access, kind);
            long need = PTE_A | (check == STORE ? PTE_D : 0);
            if ((pte & need) != need && !updatePte(pteOff, pte, pte | need)) return gStage(gpa, check, gva, access, kind);
            return ((ppn | (gpa >>> 12 & lowMask)) << 12) | (gpa & 0xfff);
        }
        return guestPageFault(gva, gpa, access, kind);
    }

    private long guestPageFault(long gva, long gpa, int access, int kind) {
        hart.raise(access == FETCH ? Cause.INSN_GUEST_PAGE_FAULT
                : access == LOAD ? Cause.LOAD_GUEST_PAGE_FAULT : Cause.STORE_GUEST_PAGE_FAULT, gva);
        hart.pendingGpa = gpa >>> 2;
        hart.pendingTinst = kind == IMPLICIT_READ ? TINST_PTE_READ : kind == IMPLICIT_WRITE ? TINST_PTE_WRITE : 0;
        hart.pendingGva = true;
        return -1;
    }

    private long pageFault(long va, int access) {
        hart.raise(access == FETCH ? Cause.INSN_PAGE_FAULT
                : access == LOAD ? Cause.LOAD_PAGE_FAULT : Cause.STORE_PAGE_FAULT, va);
        return -1;
    }

    private long accessFault(long va, int access) {
        hart.raise(access == FETCH ? Cause.INSN_ACCESS
                : access == LOAD ? Cause.LOAD_ACCESS : Cause.STORE_ACCESS, va);
        return -1;
    }
}
