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
import jvisor.firmware.BuiltinSbi;
import jvisor.firmware.ElfImage;
import jvisor.firmware.Fdt;
import jvisor.firmware.Htif;
import jvisor.firmware.LinuxImage;
import jvisor.memory.Bus;
import jvisor.memory.GuestRam;

/**
 * One virtual machine on the virt board: RAM at 0x8000_0000, the devices of {@link VirtMap},
 * harts, and the boot paths of DESIGN §3. {@link #run()} runs the boot hart on the calling
 * thread (other harts get threads when the guest starts them) until the guest powers off or
 * reboots.
 */
public final class Machine implements AutoCloseable {
    /** How a run ended: power-off with a status, or a reboot request. */
    public record Outcome(int status, boolean reboot) {}

    static final long KERNEL_OFFSET = 2L << 20;      // Linux Image goes to RAM base + 2 MiB
    private static final long DTB_ALIGN = 2L << 20;
    private static final long FW_DYNAMIC_MAGIC = 0x4942534f; // "OSBI"

    private final MachineConfig config;
    private final GuestRam ram;
    private final Bus bus;
    private final DecodeCache decoded;
    private final Clock clock;
    private final Hart[] harts;
    private final OutputStream console;
    private final Uart16550 uart;
    private final Plic plic;
    private final Clint clint;
    private final GoldfishRtc rtc = new GoldfishRtc();
    private final TestDevice test;
    private final boolean[] started;
    private final List<Thread> threads = new ArrayList<>();
    private volatile Outcome outcome;
    private byte[] dtb;

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
        for (int i = 0; i < harts.length; i++) harts[i] = new Hart(i, bus, decoded, clock);
        this.started = new boolean[harts.length];

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

    public GuestRam ram() { return ram; }
    public Bus bus() { return bus; }
    public Hart hart(int i) { return harts[i]; }
    public byte[] deviceTreeBlob() { return dtb.clone(); }

    /** A byte typed on the console; callable from any thread. */
    public void typed(byte b) { uart.receive(b); }

    // ---- boot ----

    /**
     * Bare-metal test mode (DESIGN §3): loads the ELF at its physical addresses, starts hart 0 in
     * M-mode at its entry, and connects HTIF if the program has a {@code tohost} symbol.
     */
    public void loadHtifProgram(ElfImage elf) throws IOException {
        elf.loadInto(ram);
        long tohost = elf.symbol("tohost");
        if (tohost >= 0) new Htif(ram, tohost, elf.symbol("fromhost"), console, this::powerOff);
        harts[0].pc = elf.entry();
        started[0] = true;
    }

    /** Loads firmware, kernel, initrd and the device tree as {@code boot} says, and points hart 0 at them. */
    public void load(Boot boot) throws IOException {
        Hart h = harts[0];
        started[0] = true;
        long kernelEnd;
        long entry;
        if (ElfImage.isElf(boot.kernel())) {
            ElfImage elf = ElfImage.parse(boot.kernelName(), boot.kernel());
            elf.loadInto(ram);
            long tohost = elf.symbol("tohost");
            if (tohost >= 0) new Htif(ram, tohost, elf.symbol("fromhost"), console, this::powerOff);
            entry = elf.entry();
            kernelEnd = elf.segments().stream().mapToLong(s -> s.paddr() + s.memSize()).max().orElse(entry);
        } else {
            LinuxImage image = LinuxImage.parse(boot.kernelName(), boot.kernel());
            entry = VirtMap.RAM_BASE + KERNEL_OFFSET;
            kernelEnd = entry + image.imageSize();
            if (kernelEnd > ram.end()) {
                throw new IOException(boot.kernelName() + ": the kernel needs " + mib(kernelEnd - VirtMap.RAM_BASE)
                        + " of RAM; --memory " + mib(ram.size()) + " is too small");
            }
            ram.load(entry, image.bytes(), 0, image.bytes().length);
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
        switch (boot.bios()) {
            case BUILTIN -> {
                h.environmentCall = sbi();
                BuiltinSbi.prepareHart(h);
                h.priv = Hart.S;
                h.pc = entry;
            }
            case NONE -> h.pc = entry;
            case FILE -> {
                long fwEnd = loadFirmware(boot);
                if (fwEnd > entry && !ElfImage.isElf(boot.kernel())) {
                    throw new IOException(boot.firmwareName() + ": firmware overlaps the kernel at 0x" + Long.toHexString(entry));
                }
                ByteBuffer info = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
                info.putLong(FW_DYNAMIC_MAGIC).putLong(2).putLong(entry).putLong(Hart.S).putLong(0).putLong(0);
                ram.load(infoAddr, info.array(), 0, 48);
                h.x[12] = infoAddr; // a2: fw_dynamic_info (fw_jump and fw_payload ignore it)
                h.pc = VirtMap.RAM_BASE;
            }
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
        int[] intc = DeviceTree.base(fdt, harts.length, ram.base(), ram.size());
        int plicPhandle = fdt.allocatePhandle();
        test.describe(fdt, VirtMap.TEST, fdt.allocatePhandle());
        rtc.describe(fdt, VirtMap.RTC, plicPhandle);
        uart.describe(fdt, VirtMap.UART0, plicPhandle);
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
            @Override public boolean startHart(int id, long pc, long opaque) { return Machine.this.startHart(id, pc, opaque); }
            @Override public void stopHart(Hart hart) { Machine.this.stopHart(hart); }
            @Override public boolean hartStarted(int id) { return Machine.this.hartStarted(id); }
        });
    }

    // ---- harts ----

    private synchronized boolean hartStarted(int id) { return started[id]; }

    private synchronized boolean startHart(int id, long pc, long opaque) {
        if (started[id] || outcome != null) return false;
        started[id] = true;
        Hart h = harts[id];
        h.environmentCall = harts[0].environmentCall;
        BuiltinSbi.prepareHart(h);
        h.priv = Hart.S;
        h.pc = pc;
        h.x[10] = id;
        h.x[11] = opaque;
        h.resume();
        Thread t = Thread.ofPlatform().name("jvisor-hart-" + id).daemon().start(() -> {
            h.run();
            synchronized (this) { started[id] = false; }
        });
        threads.add(t);
        return true;
    }

    private void stopHart(Hart h) {
        if (h.hartId == 0) return; // the boot hart keeps the machine alive; Linux never stops it
        h.requestStop();
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
        for (Hart h : harts) h.requestStop();
    }

    /** Runs until the guest powers off or reboots. */
    public Outcome run() {
        harts[0].run();
        joinHarts();
        return outcome;
    }

    /** Runs for about {@code maxInstructions} on hart 0; returns null if the guest is still running. */
    public Outcome run(long maxInstructions) {
        boolean stopped = harts[0].run(maxInstructions);
        if (!stopped) return null;
        joinHarts();
        return outcome;
    }

    private void joinHarts() {
        List<Thread> ts;
        synchronized (this) { ts = List.copyOf(threads); }
        for (Thread t : ts) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String mib(long bytes) { return (bytes + (1 << 20) - 1 >> 20) + "M"; }

    @Override
    public void close() {
        finish(new Outcome(-1, false));
        joinHarts();
        ram.close();
    }
}
