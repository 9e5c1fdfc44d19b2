package jvisor.machine;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jvisor.cpu.Clock;
import jvisor.cpu.DecodeCache;
import jvisor.cpu.Hart;
import jvisor.devices.Clint;
import jvisor.devices.GoldfishRtc;
import jvisor.devices.Plic;
import jvisor.devices.TestDevice;
import jvisor.devices.Uart16550;
import jvisor.devices.virtio.VirtioDevice;
import jvisor.devices.virtio.VirtioMmio;
import jvisor.firmware.BuiltinSbi;
import jvisor.firmware.ElfImage;
import jvisor.firmware.Fdt;
import jvisor.firmware.Htif;
import jvisor.firmware.LinuxImage;
import jvisor.jit.RegionCompiler;
import jvisor.memory.Bus;
import jvisor.memory.GuestRam;

/**
 * One virtual machine on the virt board: RAM at 0x8000_0000, the devices of {@link VirtMap},
 * harts, and the boot paths of DESIGN §3. {@link #run()} runs the boot hart on the calling
 * thread and every other hart on a thread of its own ({@link HartThreads}) until the guest powers
 * off or reboots. With the built-in SBI only the boot hart starts; the others wait in HSM STOPPED
 * until the guest starts them. Firmware and bare-metal programs find every hart running at the
 * entry point, as on QEMU and Spike, and park the secondaries themselves.
 */
public final class Machine implements AutoCloseable {
    /** How a run ended: power-off with a status, or a reboot request. */
    public record Outcome(int status, boolean reboot) {}

    static final long KERNEL_OFFSET = 2L << 20;      // Linux Image goes to RAM base + 2 MiB
    private static final long DTB_ALIGN = 2L << 20;
    private static final long FW_DYNAMIC_MAGIC = 0x4942534f; // "OSBI"
    /** A live migration's section of the code pages the guest runs ({@link #writeCode}). */
    static final String CODE = "code";
    /** The most code pages that section lists ({@link #writeCode}). */
    private static final int MAX_CODE_PAGES = 4096;

    private final MachineConfig config;
    private final GuestRam ram;
    private final Bus bus;
    private final DecodeCache decoded;
    private final Clock clock;
    private final Hart[] harts;
    private RegionCompiler jit;
    private final OutputStream console;
    private final Uart16550 uart;
    private final Plic plic;
    private final Clint clint;
    private final GoldfishRtc rtc = new GoldfishRtc();
    private final TestDevice test;
    private final HartThreads threads;
    private final List<VirtioMmio> virtio = new ArrayList<>();
    /** How each virtio device was asked for (null for devices attached without one: not saveable). */
    private final List<DeviceSpec> specs = new ArrayList<>();
    private volatile Outcome outcome;
    private byte[] dtb;
    // What the state stream needs to rebuild this machine: set by the loaders.
    private Boot.Bios bios = Boot.Bios.NONE;
    private String cmdline = "";
    private long tohost = -1, fromhost = -1;
    /** Guarded by {@link #pauseLock}, not by this: a hart powering off takes this while a pause waits for it. */
    private boolean paused;
    private final Object pauseLock = new Object();
    /** The host's wall clock when the machine last paused (from the state stream after a restore). */
    private volatile long pausedAtWallNanos;
    /** Set for a machine rebuilt from a state stream: it opened its devices, so it closes them. */
    private boolean ownsDevices;

    public Machine(MachineConfig config, OutputStream console) {
        this(config, console, new HostClock());
    }

    public Machine(MachineConfig config, OutputStream console, Clock clock) {
        this.config = config;
        this.console = console;
        this.clock = clock;
        this.ram = new GuestRam(VirtMap.RAM_BASE, config.memoryBytes());
        this.bus = new Bus(ram);
        this.decoded = new DecodeCache(ram);
        this.harts = new Hart[config.cpus()];
        for (int i = 0; i < harts.length; i++) {
            harts[i] = new Hart(i, bus, decoded, clock);
            harts[i].yieldWhenSpinning = harts.length > 1; // one hart has nobody to wait for
        }
        setJit(JitMode.ON);
        this.threads = new HartThreads(harts, BuiltinSbi::prepareHart);

        this.test = new TestDevice(this::powerOff, this::reboot);
        this.clint = new Clint(harts, clock);
        this.plic = new Plic(harts);
        this.uart = new Uart16550(console);
        bus.map(VirtMap.TEST, test);
        bus.map(VirtMap.RTC, rtc);
        bus.map(VirtMap.CLINT, clint);
        bus.map(VirtMap.PLIC, plic);
        bus.map(VirtMap.UART0, uart);
        uart.connect(plic.line(VirtMap.UART0.irq()));
        rtc.connect(plic.line(VirtMap.RTC.irq()));
    }

    /**
     * Gives every hart the H extension (the default) or not; the device tree follows. Call before
     * {@link #load}.
     */
    public void setHypervisor(boolean on) {
        for (Hart h : harts) h.setHypervisor(on);
    }

    /** How guest code runs: interpreted, compiled when hot (default), or compiled at once (tests the JIT). */
    public enum JitMode { OFF, ON, EAGER }

    public void setJit(JitMode mode) {
        RegionCompiler compiler = jit = switch (mode) {
            case OFF -> null;
            case ON -> new RegionCompiler(ram, Integer.getInteger("jvisor.jit.threshold", 4096), true);
            case EAGER -> new RegionCompiler(ram, 1, false); // deterministic, for tests
        };
        for (Hart h : harts) {
            h.jit = compiler;
            h.blockSize = mode == JitMode.EAGER ? 7 : Hart.BLOCK_DEFAULT;
        }
    }

    /** The JIT of this machine's harts, or null when its code is interpreted. */
    public RegionCompiler jit() { return jit; }

    public GuestRam ram() { return ram; }
    public Bus bus() { return bus; }
    public Hart hart(int i) { return harts[i]; }

    public int hartCount() { return harts.length; }

    /** The virtio device in {@code slot}. */
    public VirtioDevice device(int slot) { return virtio.get(slot).device(); }

    /** The host thread running hart {@code i}, or null if it has not started (for per-hart CPU time). */
    public Thread hartThread(int i) { return threads.thread(i); }
    public byte[] deviceTreeBlob() { return dtb.clone(); }

    /**
     * Puts {@code device} in the next free virtio-mmio slot (DESIGN §2), before {@link #load}.
     * The caller keeps ownership: the machine resets the device when it closes, never closes it,
     * so a device (an open disk) can serve the next machine after a guest reboot.
     */
    public int attach(DeviceSpec spec, VirtioDevice device) {
        int slot = attach(device);
        specs.set(slot, spec);
        if (device instanceof jvisor.devices.virtio.VirtioConsole vc) routeConsoleInput(b -> vc.type(new byte[] {(byte) b}));
        return slot;
    }

    /** Attaches a device that was not built from a {@link DeviceSpec}: such a machine cannot be saved. */
    public int attach(VirtioDevice device) {
        int slot = virtio.size();
        if (slot == VirtMap.VIRTIO_SLOTS) {
            throw new IllegalStateException("all " + VirtMap.VIRTIO_SLOTS + " virtio-mmio slots are taken");
        }
        jvisor.memory.Region r = VirtMap.virtio(slot);
        VirtioMmio transport = new VirtioMmio(device, ram, r, plic.line(r.irq()));
        bus.map(r, transport);
        virtio.add(transport);
        specs.add(null);
        return slot;
    }

    /** Where typed bytes go instead of the UART (a virtio console), or null. */
    private volatile java.util.function.IntConsumer keyboard;

    /** Sends what {@link #typed} receives to {@code target} rather than the UART (--console virtio). */
    public void routeConsoleInput(java.util.function.IntConsumer target) { keyboard = target; }

    /** The virtio devices in slot order (their owner closes them when the machine is done). */
    public List<VirtioDevice> devices() { return virtio.stream().map(VirtioMmio::device).toList(); }

    /** How each virtio device was asked for, in slot order (null for one attached without a spec). */
    public List<DeviceSpec> deviceSpecs() { return java.util.Collections.unmodifiableList(new ArrayList<>(specs)); }

    /** A byte typed on the console; callable from any thread. */
    public void typed(byte b) {
        java.util.function.IntConsumer k = keyboard;
        if (k != null) k.accept(b);
        else uart.receive(b);
    }

    // ---- boot ----

    /**
     * Bare-metal test mode (DESIGN §3): loads the ELF at its physical addresses, starts hart 0 in
     * M-mode at its entry, and connects HTIF if the program has a {@code tohost} symbol.
     */
    public void loadHtifProgram(ElfImage elf) throws IOException {
        elf.loadInto(ram);
        connectHtif(elf);
        for (Hart h : harts) {
            h.pc = elf.entry();
            h.x[10] = h.hartId;
            threads.startAtReset(h.hartId);
        }
    }

    /** Loads firmware, kernel, initrd and the device tree as {@code boot} says, and points hart 0 at them. */
    public void load(Boot boot) throws IOException {
        Hart h = harts[0];
        long kernelEnd;
        long entry;
        if (ElfImage.isElf(boot.kernel())) {
            ElfImage elf = ElfImage.parse(boot.kernelName(), boot.kernel());
            elf.loadInto(ram);
            connectHtif(elf);
            entry = elf.entry();
            kernelEnd = elf.segments().stream().mapToLong(s -> s.paddr() + s.memSize()).max().orElse(entry);
        } else {
            // A Linux Image, or else a raw binary (U-Boot's .bin, a flat kernel) where QEMU loads
            // one: behind the firmware or the built-in SBI, or at the RAM base with --bios none.
            LinuxImage image = LinuxImage.looksLikeImage(boot.kernel()) ? LinuxImage.parse(boot.kernelName(), boot.kernel()) : null;
            byte[] bytes = boot.kernel();
            entry = VirtMap.RAM_BASE + (image != null || boot.bios() != Boot.Bios.NONE ? KERNEL_OFFSET : 0);
            kernelEnd = entry + (image != null ? image.imageSize() : bytes.length);
            if (kernelEnd > ram.end()) {
                throw new IOException(boot.kernelName() + ": the kernel needs " + mib(kernelEnd - VirtMap.RAM_BASE)
                        + " of RAM; --memory " + mib(ram.size()) + " is too small");
            }
            ram.load(entry, bytes, 0, bytes.length);
        }

        long dtbAddr = Math.max(kernelEnd, (ram.end() - DTB_ALIGN) & -DTB_ALIGN);
        long initrdStart = 0, initrdEnd = 0;
        if (boot.initrd() != null) {
            initrdEnd = dtbAddr;
            initrdStart = (dtbAddr - boot.initrd().length) & -4096L;
            if (initrdStart < kernelEnd) {
                throw new IOException("the initrd (" + mib(boot.initrd().length) + ") does not fit in --memory "
                        + mib(ram.size()) + " beside the kernel; give more --memory");
            }
            ram.load(initrdStart, boot.initrd(), 0, boot.initrd().length);
            initrdEnd = initrdStart + boot.initrd().length;
        }
        dtb = buildDeviceTree(boot.cmdline(), initrdStart, initrdEnd);
        long infoAddr = dtbAddr + ((dtb.length + 63) & -64);
        if (infoAddr + 48 > ram.end()) throw new IOException("--memory " + mib(ram.size()) + " is too small for this boot");
        ram.load(dtbAddr, dtb, 0, dtb.length);

        h.x[10] = 0;        // a0: hart id
        h.x[11] = dtbAddr;  // a1: device tree
        bios = boot.bios();
        cmdline = boot.cmdline();
        switch (boot.bios()) {
            case BUILTIN -> {
                installSbi();
                BuiltinSbi.prepareHart(h);
                h.priv = Hart.S;
                h.pc = entry;
                threads.startAtReset(0);
            }
            case NONE -> startAllAt(entry, dtbAddr, 0);
            case FILE -> {
                long fwEnd = loadFirmware(boot);
                if (fwEnd > entry && !ElfImage.isElf(boot.kernel())) {
                    throw new IOException(boot.firmwareName() + ": firmware overlaps the kernel at 0x" + Long.toHexString(entry));
                }
                ByteBuffer info = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
                // boot_hart 0: OpenSBI's other harts wait for it (in wfi, woken through CLINT msip)
                info.putLong(FW_DYNAMIC_MAGIC).putLong(2).putLong(entry).putLong(Hart.S).putLong(0).putLong(0);
                ram.load(infoAddr, info.array(), 0, 48);
                // a2: fw_dynamic_info (fw_jump and fw_payload ignore it)
                startAllAt(VirtMap.RAM_BASE, dtbAddr, infoAddr);
            }
        }
    }

    private void connectHtif(ElfImage elf) {
        long to = elf.symbol("tohost");
        if (to >= 0) connectHtif(to, elf.symbol("fromhost"));
    }

    private void connectHtif(long to, long from) {
        tohost = to;
        fromhost = from;
        new Htif(ram, to, from, console, this::powerOff);
    }

    private void installSbi() {
        BuiltinSbi sbi = sbi();
        for (Hart t : harts) t.environmentCall = sbi;
    }

    /** Every hart starts at {@code pc} in M-mode with a0 = hart id, a1 = device tree, a2 (QEMU's reset vector). */
    private void startAllAt(long pc, long dtbAddr, long a2) {
        for (Hart t : harts) {
            t.pc = pc;
            t.x[10] = t.hartId;
            t.x[11] = dtbAddr;
            t.x[12] = a2;
            threads.startAtReset(t.hartId);
        }
    }

    private long loadFirmware(Boot boot) throws IOException {
        byte[] fw = boot.firmware();
        if (ElfImage.isElf(fw)) {
            ElfImage elf = ElfImage.parse(boot.firmwareName(), fw);
            if (elf.entry() != VirtMap.RAM_BASE) {
                throw new IOException(boot.firmwareName() + ": firmware entry must be 0x80000000");
            }
            elf.loadInto(ram);
            return elf.segments().stream().mapToLong(s -> s.paddr() + s.memSize()).max().orElse(VirtMap.RAM_BASE);
        }
        if (fw.length > KERNEL_OFFSET) {
            throw new IOException(boot.firmwareName() + ": firmware larger than 2 MiB would overlap the kernel");
        }
        ram.load(VirtMap.RAM_BASE, fw, 0, fw.length);
        return VirtMap.RAM_BASE + fw.length;
    }

    private byte[] buildDeviceTree(String cmdline, long initrdStart, long initrdEnd) {
        Fdt fdt = new Fdt();
        int[] intc = DeviceTree.base(fdt, harts.length, ram.base(), ram.size(), harts[0].hypervisor());
        int plicPhandle = fdt.allocatePhandle();
        test.describe(fdt, VirtMap.TEST, fdt.allocatePhandle());
        rtc.describe(fdt, VirtMap.RTC, plicPhandle);
        uart.describe(fdt, VirtMap.UART0, plicPhandle);
        for (VirtioMmio v : virtio) v.describe(fdt, plicPhandle);
        plic.describe(fdt, VirtMap.PLIC, plicPhandle, intc);
        clint.describe(fdt, VirtMap.CLINT, intc);
        DeviceTree.chosen(fdt, cmdline, initrdStart, initrdEnd,
                "/soc/serial@" + Long.toHexString(VirtMap.UART0.base()));
        return fdt.toDtb(0);
    }

    /** The device tree this machine would give a guest, for --dump-dtb. */
    public byte[] describe(String cmdline) { return buildDeviceTree(cmdline, 0, 0); }

    private BuiltinSbi sbi() {
        return new BuiltinSbi(new BuiltinSbi.Platform() {
            @Override public Hart[] harts() { return harts; }
            @Override public GuestRam ram() { return ram; }
            @Override public OutputStream console() { return console; }
            @Override public java.util.function.IntSupplier consoleInput() { return uart::takeReceived; }
            @Override public void powerOff() { Machine.this.powerOff(0); }
            @Override public void reboot() { Machine.this.reboot(); }
            @Override public boolean startHart(int id, long pc, long opaque) { return threads.start(id, pc, opaque); }
            @Override public void stopHart(Hart hart) { threads.stop(hart); }
            @Override public int hartStatus(int id) { return threads.status(id); }
            @Override public void suspendHart(Hart hart) { threads.suspend(hart); }
        });
    }

    // ---- running ----

    public void powerOff(int status) {
        finish(new Outcome(status, false));
    }

    public void reboot() {
        finish(new Outcome(0, true));
    }

    private synchronized void finish(Outcome o) {
        if (outcome == null) outcome = o;
        threads.finish();
    }

    /** How the run ended, or null while the guest runs. */
    public Outcome outcome() { return outcome; }

    /** Runs until the guest powers off or reboots. */
    public Outcome run() {
        return run(Long.MAX_VALUE);
    }

    /**
     * Runs until the guest powers off or reboots, or about {@code maxInstructions} have retired on
     * hart 0; then returns null and the other harts run on (until {@link #close}).
     */
    public Outcome run(long maxInstructions) {
        threads.startSecondaries();
        if (!threads.runBootHart(maxInstructions)) return null;
        threads.join();
        return outcome;
    }

    private static String mib(long bytes) { return (bytes + (1 << 20) - 1 >> 20) + "M"; }

    // ---- pause, resume, state ----

    /**
     * Stops the guest: every hart at an instruction boundary (harts in wfi or stopped count as
     * stopped), every device between requests, and guest time. Returns once all have stopped.
     * Callable from any thread but a hart's.
     */
    public void pause() {
        synchronized (pauseLock) {
            if (paused) return;
            threads.pause();
            for (VirtioMmio v : virtio) v.pause();
            clock.freeze();
            pausedAtWallNanos = wallNanos();
            paused = true;
        }
    }

    /** The host's wall clock in nanoseconds since the epoch (comparable between hosts, unlike nanoTime). */
    static long wallNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    /**
     * Moves a paused machine's clock on by the wall-clock time since it paused (on whichever host
     * that was): after a migration the guest's clock shows the downtime, as real hardware would,
     * rather than standing still. A snapshot's restore does not call this: its guest continues
     * as if no time had passed. Returns how long the guest stood still, in nanoseconds.
     */
    public long continueClock() {
        long gap = wallNanos() - pausedAtWallNanos;
        if (pausedAtWallNanos <= 0 || gap <= 0) return 0;
        clock.restore(clock.now() + gap / 100);
        return gap;
    }

    // ---- dirty log and throttling (live migration) ----

    /**
     * The RAM pages the guest or a device wrote since the last call; the first call starts the
     * log and returns null. Stops the harts for a moment, as a pause does, to drop their fast
     * store mappings so their next store to any page is logged again.
     */
    public java.util.BitSet dirtyPages() {
        synchronized (pauseLock) {
            boolean stop = !paused;
            if (stop) threads.pause();
            try {
                java.util.BitSet taken = ram.dirtyLogging() ? ram.takeDirty() : null;
                if (taken == null) ram.startDirtyLog();
                for (Hart h : harts) h.mmu.flushAll();
                return taken;
            } finally {
                if (stop) threads.resume();
            }
        }
    }

    /** Ends the dirty log (a migration finished or gave up). */
    public void stopDirtyLog() { ram.stopDirtyLog(); }

    /**
     * Holds the harts stopped for {@code stoppedNanos} and lets them run for {@code runNanos}:
     * one beat of a migration's auto-converge, which slows a guest that writes memory faster
     * than the link carries it. Does nothing while the machine is paused.
     */
    public void throttle(long stoppedNanos, long runNanos) throws InterruptedException {
        synchronized (pauseLock) {
            if (paused) return;
            threads.pause();
            try {
                java.util.concurrent.locks.LockSupport.parkNanos(stoppedNanos);
            } finally {
                threads.resume();
            }
        }
        Thread.sleep(java.time.Duration.ofNanos(runNanos));
    }

    /** Whether devices let go of host resources for a migration ({@link #handOver}), not yet reclaimed. */
    private boolean handedOver;

    /**
     * Lets go of the host resources the VM's copy on a live migration's destination will take
     * (forwarded ports: the destination may be on this machine); the machine must be paused.
     * {@link #reclaim} (or {@link #resume}) takes them back if the guest stays here.
     */
    void handOver() {
        synchronized (pauseLock) {
            if (!paused) throw new IllegalStateException("pause the machine before handing it over");
            for (VirtioMmio v : virtio) v.device().handOver();
            handedOver = true;
        }
    }

    /**
     * Takes back what {@link #handOver} let go: the migration did not hand the guest over. What
     * another program took meanwhile is told on stderr, and the guest goes on without it.
     */
    public void reclaim() {
        synchronized (pauseLock) {
            if (!handedOver) return;
            handedOver = false;
            for (VirtioMmio v : virtio) {
                try {
                    v.device().reclaim();
                } catch (IOException e) {
                    System.err.println("jvisor: " + v.device().name() + ": " + e.getMessage());
                }
            }
        }
    }

    /** Lets a paused guest go on: its clock continues from where it stopped. */
    public void resume() {
        synchronized (pauseLock) {
            reclaim();
            if (!paused) return;
            clock.thaw();
            for (VirtioMmio v : virtio) v.resume();
            threads.resume();
            paused = false;
        }
    }

    public boolean paused() {
        synchronized (pauseLock) { return paused; }
    }

    /** What the state stream's "machine" section says of this machine; throws if it cannot be saved. */
    synchronized MachineState.Config stateConfig() {
        for (int i = 0; i < specs.size(); i++) {
            if (specs.get(i) == null) {
                throw new IllegalStateException(virtio.get(i).device().name() + " was attached without a device spec; this machine cannot be saved");
            }
        }
        return new MachineState.Config(ram.size(), harts.length, bios, cmdline, tohost, fromhost, List.copyOf(specs));
    }

    /** The temporary overlay file of the snapshot=on disk in {@code slot}, or null. */
    synchronized java.nio.file.Path temporaryOverlay(int slot) {
        return virtio.get(slot).device() instanceof jvisor.devices.virtio.VirtioBlock b
                && b.disk() instanceof jvisor.storage.DiskSpec.TemporaryOverlay t ? t.file() : null;
    }

    /** Makes what every device completed durable (disks), so a snapshot and its disks agree. */
    synchronized void flushDevices() throws IOException {
        if (!paused()) throw new IllegalStateException("pause the machine before saving it");
        for (VirtioMmio v : virtio) v.device().flush();
    }

    /** Writes every hart's and device's state (not RAM); the machine must be paused. */
    synchronized void saveState(StateStreamWriter out) throws IOException {
        if (!paused()) throw new IllegalStateException("pause the machine before saving it");
        // Guest time, and the host's wall clock then: a migration's destination adds the time since.
        out.section("clock", 2, new jvisor.state.StateWriter().i64(clock.now()).i64(pausedAtWallNanos));
        for (Hart h : harts) {
            jvisor.state.StateWriter w = new jvisor.state.StateWriter();
            threads.saveState(h.hartId, w);
            h.saveState(w);
            out.section("hart." + h.hartId, Hart.STATE_VERSION, w);
        }
        out.section("plic", 1, state(plic));
        out.section("uart", 1, state(uart));
        out.section("rtc", 1, state(rtc));
        for (int i = 0; i < virtio.size(); i++) out.section("virtio." + i, 1, state(virtio.get(i)));
    }

    private static jvisor.state.StateWriter state(jvisor.state.Snapshottable part) {
        jvisor.state.StateWriter w = new jvisor.state.StateWriter();
        part.saveState(w);
        return w;
    }

    /**
     * Builds the machine a "machine" section describes, paused, with its firmware hooks (built-in
     * SBI, HTIF) connected but no devices yet: a migration fills RAM before the source has let go
     * of the disks. {@link #attachRestored} adds them; then the caller loads the state.
     */
    static Machine rebuild(MachineState.Config c, OutputStream console) {
        Machine m = new Machine(new MachineConfig(c.memory(), c.cpus()), console);
        m.bios = c.bios();
        m.cmdline = c.cmdline();
        if (c.bios() == Boot.Bios.BUILTIN) m.installSbi();
        if (c.tohost() >= 0) m.connectHtif(c.tohost(), c.fromhost());
        m.pause();
        return m;
    }

    /** Attaches the devices a rebuilt machine's state stream names, paused as the machine is; it closes them. */
    void attachRestored(List<DeviceSpec> specs, List<VirtioDevice> devices) {
        ownsDevices = true;
        for (int i = 0; i < devices.size(); i++) virtio.get(attach(specs.get(i), devices.get(i))).pause();
    }

    /**
     * Writes a live migration's "code" section: the guest's time and the RAM pages of the code it
     * runs now, which the destination decodes before the guest arrives ({@link #prepareCode}).
     */
    void writeCode(StateStreamWriter out) throws IOException {
        long now = clock.now();
        int[] pages = decoded.recentPages(now);
        // An idle Linux runs some hundred pages; beyond this many the destination decodes the
        // rest as it goes (each decoded page holds 20 KiB).
        if (pages.length > MAX_CODE_PAGES) pages = java.util.Arrays.copyOf(pages, MAX_CODE_PAGES);
        jvisor.state.StateWriter w = new jvisor.state.StateWriter().i64(now).i32(pages.length);
        for (int p : pages) w.i32(p);
        out.section(CODE, 1, w);
    }

    /** Reads a "code" section ({@link #writeCode}) and decodes its pages; only before the machine first runs. */
    void prepareCode(jvisor.state.StateReader in) throws jvisor.state.StateException {
        long now = in.i64(0, Long.MAX_VALUE, "time");
        int last = (int) (ram.size() >>> GuestRam.PAGE_SHIFT) - 1;
        int[] pages = new int[in.i32(0, last + 1, "number of code pages")];
        for (int i = 0; i < pages.length; i++) pages[i] = in.i32(i == 0 ? 0 : pages[i - 1] + 1, last, "code page");
        in.end();
        decoded.prepare(pages, now, jit);
    }

    /** Reads one state section into the part it belongs to (sections other than RAM). */
    synchronized void loadSection(String name, jvisor.state.StateReader in) throws jvisor.state.StateException {
        switch (name) {
            case "clock" -> {
                long ticks = in.i64(0, Long.MAX_VALUE, "time");
                long since = in.version() >= 2 ? in.i64() : 0;
                clock.restore(ticks);
                pausedAtWallNanos = since;
            }
            case "plic" -> plic.loadState(in);
            case "uart" -> uart.loadState(in);
            case "rtc" -> rtc.loadState(in);
            default -> {
                int dot = name.indexOf('.');
                int index = -1;
                try {
                    index = dot < 0 ? -1 : Integer.parseInt(name.substring(dot + 1));
                } catch (NumberFormatException e) {
                    index = -1;
                }
                String kind = dot < 0 ? name : name.substring(0, dot);
                if (kind.equals("hart") && index >= 0 && index < harts.length) {
                    threads.loadState(index, in);
                    harts[index].loadState(in);
                } else if (kind.equals("virtio") && index >= 0 && index < virtio.size()) {
                    virtio.get(index).loadState(in);
                } else {
                    throw in.fail("is not part of this machine");
                }
            }
        }
        in.end();
    }

    @Override
    public void close() {
        finish(new Outcome(-1, false)); // also releases paused hart threads; device resets release paused workers
        threads.join();
        for (VirtioMmio v : virtio) v.shutdown();
        if (ownsDevices) for (VirtioMmio v : virtio) v.device().close();
        threads.whenNoHartRuns(ram::close); // a hart thread join gave up on may still read RAM by address
    }
}
