package jvisor.cpu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import jvisor.memory.GuestRam;
import jvisor.memory.PageWatcher;

/**
 * {@link CodePage}s per physical RAM page: decoded instructions (2048 slots, one per 2-byte
 * position, filled lazily by the interpreter) and compiled regions. A code page is watched, so any
 * store to it (by a hart or a device) throws it away; the next fetch decodes afresh. Shared by all
 * harts of a machine since decoding depends only on the bytes.
 *
 * <p>Why no store is missed across harts. Stores reach a watched page's watchers only through the
 * slow path; a hart's TLB may hold a fast store entry only for a page that was not watched when the
 * entry was made. {@link #allowFastStores} marks the page first ({@code storeMapped}) and then
 * checks the watch; {@link #page} watches first and then reads the mark. With a full fence on each
 * side, either the storing hart sees the watch (and keeps no entry) or the decoding hart sees the
 * mark and, before publishing a decoded page, makes every hart flush its TLB ({@link Shootdown})
 * and waits, so the fast stores in flight have landed and no more can follow. A page is published
 * only if no store unwatched it meanwhile ({@code version}); otherwise its decoder uses it for the
 * current block only.
 */
public final class DecodeCache implements PageWatcher {
    static final int SLOTS = 2048;
    private static final VarHandle MARK = MethodHandles.arrayElementVarHandle(byte[].class);

    private final GuestRam ram;
    private final CodePage[] pages;
    /** Per page: 1 while some hart may hold a fast store TLB entry for it. */
    private final byte[] storeMapped;
    /** Per page: bumped whenever a store drops the decoded page (guarded by this). */
    private final int[] version;
    final Shootdown shootdown = new Shootdown();

    public DecodeCache(GuestRam ram) {
        this.ram = ram;
        int n = (int) (ram.size() >>> GuestRam.PAGE_SHIFT);
        this.pages = new CodePage[n];
        this.storeMapped = new byte[n];
        this.version = new int[n];
    }

    /** The code page for the RAM page at offset {@code pageOff}, created on first use by {@code hart}. */
    CodePage page(long pageOff, Hart hart) {
        CodePage page = pages[(int) (pageOff >>> GuestRam.PAGE_SHIFT)];
        return page != null ? page : create(pageOff, hart);
    }

    private CodePage create(long pageOff, Hart hart) {
        int p = (int) (pageOff >>> GuestRam.PAGE_SHIFT);
        int v;
        synchronized (this) {
            v = version[p];
            ram.watch(pageOff, this);
        }
        VarHandle.fullFence();
        if ((byte) MARK.getVolatile(storeMapped, p) != 0) shootdown.all(hart); // holds no lock while waiting
        CodePage page = new CodePage(pageOff);
        page.heatEpoch = hart.heatEpoch; // its age starts now (see sweep)
        synchronized (this) {
            if (version[p] != v) return page; // a store came in between: this block only
            if (pages[p] != null) return pages[p];
            pages[p] = page;
            MARK.setVolatile(storeMapped, p, (byte) 0); // no hart has a fast store entry for it now
        }
        if (hart.jit != null) hart.jit.adopt(page);
        return page;
    }

    /**
     * The RAM pages (page numbers, ascending) the interpreter entered in this heat epoch or the
     * one before it ({@code now}: the guest's time, in ticks): the code the guest runs now.
     */
    public synchronized int[] recentPages(long now) {
        int epoch = (int) (now >>> Hart.HEAT_EPOCH_SHIFT);
        int n = 0;
        int[] found = new int[64];
        for (int p = 0; p < pages.length; p++) {
            CodePage page = pages[p];
            if (page == null || epoch - page.heatEpoch > 1) continue;
            if (n == found.length) found = java.util.Arrays.copyOf(found, 2 * n);
            found[n++] = p;
        }
        return java.util.Arrays.copyOf(found, n);
    }

    /**
     * Decodes the RAM pages {@code pageNumbers} before any hart fetches from them, with the regions
     * compiled before for their content ({@code jit}, if not null): a live migration's destination,
     * while the machine it builds has never run, prepares the code the guest ran at the source, so
     * that the guest's first instructions there run compiled instead of waiting for page after
     * page to be decoded (~50 us each). A page written later (the next rounds' RAM, device writes)
     * is dropped as any code page is. {@code now}: the guest's time, in ticks.
     */
    public void prepare(int[] pageNumbers, long now, Jit jit) {
        int epoch = (int) (now >>> Hart.HEAT_EPOCH_SHIFT);
        for (int p : pageNumbers) {
            long pageOff = (long) p << GuestRam.PAGE_SHIFT;
            CodePage page = new CodePage(pageOff);
            page.heatEpoch = epoch;
            synchronized (this) {
                if (pages[p] != null) continue;
                ram.watch(pageOff, this);
                pages[p] = page;
            }
            if (jit != null) jit.adopt(page);
        }
    }

    /**
     * Called by a hart before it enters a fast store TLB entry for the RAM page at {@code pageOff};
     * returns false if the page is watched, and then the hart must not keep the entry.
     */
    boolean allowFastStores(long pageOff) {
        int p = (int) (pageOff >>> GuestRam.PAGE_SHIFT);
        if ((byte) MARK.getVolatile(storeMapped, p) == 0) MARK.setVolatile(storeMapped, p, (byte) 1);
        VarHandle.fullFence();
        return !ram.watched(pageOff);
    }

    @Override
    public synchronized void written(long pa, int size) {
        drop((int) ((pa - ram.base()) >>> GuestRam.PAGE_SHIFT));
    }

    private void drop(int p) {
        pages[p] = null;
        version[p]++;
        ram.unwatch((long) p << GuestRam.PAGE_SHIFT, this);
    }

    /** How often (in heat epochs, 0.84 s of guest time) hart 0 sweeps, and how long a page may go unentered. */
    static final int SWEEP_EPOCHS = 16;

    /**
     * Drops the decoded pages no hart has entered for {@link #SWEEP_EPOCHS} heat epochs (about
     * 13 s): 20 KiB each, over a thousand after Linux boots, most of them code that ran once
     * (start-up, init sections the kernel frees). Dropping one is what a store to it does, so a
     * hart that holds it finishes its block; the next entry decodes afresh and takes the page's
     * compiled regions back from the process's region cache. The epoch of a page's last entry is
     * its profile's age ({@link CodePage#heatEpoch}, set as the interpreter enters the page when
     * the JIT is on, which is when harts sweep).
     */
    synchronized void sweep(int epoch) {
        for (int p = 0; p < pages.length; p++) {
            CodePage page = pages[p];
            if (page != null && epoch - page.heatEpoch >= SWEEP_EPOCHS) drop(p);
        }
    }
}
