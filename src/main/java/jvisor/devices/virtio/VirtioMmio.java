package jvisor.devices.virtio;

import jvisor.devices.IrqLine;
import jvisor.firmware.Fdt;
import jvisor.memory.GuestRam;
import jvisor.memory.MmioDevice;
import jvisor.memory.Region;
import jvisor.state.Snapshottable;
import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

/**
 * The virtio-mmio transport, version 2 (virtio 1.2 §4.2): the register file of one slot, which
 * carries one {@link VirtioDevice} to the guest. Modern devices, which also take drivers that
 * never accept VIRTIO_F_VERSION_1, as QEMU's do. Control registers take 32-bit accesses; the configuration space from 0x100 takes
 * 8-, 16- and 32-bit ones.
 *
 * <pre>
 *   0x000 MagicValue "virt"   R    0x050 QueueNotify         W    0x0a0 QueueDeviceLow   W
 *   0x004 Version (2)         R    0x060 InterruptStatus     R    0x0a4 QueueDeviceHigh  W
 *   0x008 DeviceID            R    0x064 InterruptACK        W    0x0ac SHMSel           W
 *   0x00c VendorID            R    0x070 Status              RW   0x0b0 SHMLen (lo, hi)  R
 *   0x010 DeviceFeatures      R    0x080 QueueDescLow        W    0x0b8 SHMBase (lo, hi) R
 *   0x014 DeviceFeaturesSel   W    0x084 QueueDescHigh       W    0x0c0 QueueReset       RW
 *   0x020 DriverFeatures      W    0x090 QueueDriverLow      W    0x0fc ConfigGeneration R
 *   0x024 DriverFeaturesSel   W    0x094 QueueDriverHigh     W    0x100 Config           RW
 *   0x030 QueueSel            W
 *   0x034 QueueNumMax         R
 *   0x038 QueueNum            W
 *   0x044 QueueReady          RW
 * </pre>
 *
 * Interrupt status bit 0 is a used-buffer notification, bit 1 a configuration change; the
 * line to the PLIC is high while any bit is set (§4.2.3.4). Register accesses come from hart
 * threads; a device's worker signals through the {@link VirtioInterrupt} this transport hands it,
 * which takes only the small {@code events} lock, so a reset may wait for the worker safely.
 */
public final class VirtioMmio implements MmioDevice, Snapshottable {
    static final int MAGIC = 0x000, VERSION = 0x004, DEVICE_ID = 0x008, VENDOR_ID = 0x00c,
            DEVICE_FEATURES = 0x010, DEVICE_FEATURES_SEL = 0x014, DRIVER_FEATURES = 0x020, DRIVER_FEATURES_SEL = 0x024,
            QUEUE_SEL = 0x030, QUEUE_NUM_MAX = 0x034, QUEUE_NUM = 0x038, QUEUE_READY = 0x044, QUEUE_NOTIFY = 0x050,
            INTERRUPT_STATUS = 0x060, INTERRUPT_ACK = 0x064, STATUS = 0x070,
            QUEUE_DESC_LOW = 0x080, QUEUE_DESC_HIGH = 0x084, QUEUE_DRIVER_LOW = 0x090, QUEUE_DRIVER_HIGH = 0x094,
            QUEUE_DEVICE_LOW = 0x0a0, QUEUE_DEVICE_HIGH = 0x0a4, SHM_SEL = 0x0ac, SHM_LEN_LOW = 0x0b0,
            SHM_LEN_HIGH = 0x0b4, SHM_BASE_LOW = 0x0b8, SHM_BASE_HIGH = 0x0bc, QUEUE_RESET = 0x0c0,
            CONFIG_GENERATION = 0x0fc, CONFIG = 0x100;
    /** QEMU's vendor id, "QEMU": teaching kernels written for QEMU's virt board check it (xv6 does). */
    static final int MAGIC_VALUE = 0x74726976, VERSION_2 = 2, VENDOR = 0x554d4551;

    /** Device status bits (§2.1). */
    public static final int ACKNOWLEDGE = 1, DRIVER = 2, DRIVER_OK = 4, FEATURES_OK = 8,
            DEVICE_NEEDS_RESET = 64, FAILED = 128;
    static final int INT_USED = 1, INT_CONFIG = 2;
    /** Ring features every device gets from this transport (§6). */
    static final long TRANSPORT_FEATURES = 1L << VirtioDevice.F_VERSION_1 | 1L << VirtioDevice.F_EVENT_IDX
            | 1L << VirtioDevice.F_INDIRECT_DESC;

    private final VirtioDevice device;
    private final GuestRam ram;
    private final Region region;
    private final IrqLine line;
    private final Virtqueue[] queues;
    private final long offered;

    // Register state, guarded by this.
    private int status, deviceFeaturesSel, driverFeaturesSel, queueSel;
    private long driverFeatures;
    private boolean active;

    // Event state, guarded by events: shared with the device's worker.
    private final Object events = new Object();
    private int interruptStatus, generation;
    private boolean needsReset;
    private String lastError;

    public VirtioMmio(VirtioDevice device, GuestRam ram, Region region, IrqLine line) {
        this.device = device;
        this.ram = ram;
        this.region = region;
        this.line = line;
        this.queues = new Virtqueue[device.queueCount()];
        for (int q = 0; q < queues.length; q++) queues[q] = new Virtqueue(q, device.queueMaxSize(q));
        this.offered = device.features() & 0xff_ffffL | TRANSPORT_FEATURES;
    }

    /**
     * The transport's registers, its queues and then the device's own state. A device that was
     * running is activated again with its queues at their saved indexes: it then serves whatever
     * the driver made available meanwhile, as after a notification.
     */
    @Override
    public synchronized void saveState(StateWriter out) {
        out.i32(status).i32(deviceFeaturesSel).i32(driverFeaturesSel).i32(queueSel).i64(driverFeatures).bool(active);
        synchronized (events) {
            out.i32(interruptStatus).i32(generation).bool(needsReset).string(lastError);
        }
        out.i32(queues.length);
        for (Virtqueue q : queues) q.saveState(out);
        device.saveState(out);
    }

    @Override
    public synchronized void loadState(StateReader in) throws StateException {
        status = in.i32(0, 0xff, "status");
        deviceFeaturesSel = in.i32();
        driverFeaturesSel = in.i32();
        queueSel = in.i32();
        driverFeatures = in.i64();
        boolean wasActive = in.bool();
        in.check((driverFeatures & ~offered) == 0, "holds features the device does not offer");
        in.check(!wasActive || (status & (DRIVER_OK | FEATURES_OK)) == (DRIVER_OK | FEATURES_OK),
                "holds an active device without DRIVER_OK");
        synchronized (events) {
            interruptStatus = in.i32(0, INT_USED | INT_CONFIG, "interrupt status");
            generation = in.i32();
            needsReset = in.bool();
            lastError = in.string(4096, "last error");
            line.set(interruptStatus != 0);
        }
        in.i32(queues.length, queues.length, "queue count");
        for (Virtqueue q : queues) q.loadState(in, ram, driverFeatures);
        device.loadState(in);
        if (wasActive) {
            active = true;
            device.activate(driverFeatures, queues.clone(), ram, interrupt);
        }
    }

    /** Stops the device's work at a request boundary (machine pause); {@link #resume} lets it go on. */
    public void pause() { device.pause(); }

    public void resume() { device.resume(); }

    public VirtioDevice device() { return device; }
    public Region region() { return region; }

    @Override public int minAccess() { return 1; }
    @Override public int maxAccess() { return 4; }

    @Override
    public synchronized long read(long off, int size) {
        if (off >= CONFIG) return readConfig((int) (off - CONFIG), size);
        if (size != 4) return 0;
        Virtqueue q = selected();
        return switch ((int) off) {
            case MAGIC -> MAGIC_VALUE;
            case VERSION -> VERSION_2;
            case DEVICE_ID -> device.deviceId();
            case VENDOR_ID -> VENDOR;
            case DEVICE_FEATURES -> deviceFeaturesSel < 2 ? offered >>> (32 * deviceFeaturesSel) & 0xffff_ffffL : 0;
            case QUEUE_NUM_MAX -> q == null ? 0 : q.maxSize();
            case QUEUE_READY -> q != null && q.ready ? 1 : 0;
            case INTERRUPT_STATUS -> { synchronized (events) { yield interruptStatus; } }
            case STATUS -> { synchronized (events) { yield status | (needsReset ? DEVICE_NEEDS_RESET : 0); } }
            case SHM_LEN_LOW, SHM_LEN_HIGH, SHM_BASE_LOW, SHM_BASE_HIGH -> 0xffff_ffffL; // no shared memory regions
            case QUEUE_RESET -> 0;
            case CONFIG_GENERATION -> { synchronized (events) { yield generation; } }
            default -> 0;
        };
    }

    @Override
    public synchronized void write(long off, int size, long value) {
        if (off >= CONFIG) {
            writeConfig((int) (off - CONFIG), size, value);
            return;
        }
        if (size != 4) return;
        int v = (int) value;
        Virtqueue q = selected();
        boolean configurable = q != null && !active && !q.ready;
        switch ((int) off) {
            case DEVICE_FEATURES_SEL -> deviceFeaturesSel = v;
            case DRIVER_FEATURES_SEL -> driverFeaturesSel = v;
            case DRIVER_FEATURES -> {
                if ((status & FEATURES_OK) == 0 && driverFeaturesSel < 2) {
                    int shift = 32 * driverFeaturesSel;
                    driverFeatures = driverFeatures & ~(0xffff_ffffL << shift) | (v & 0xffff_ffffL) << shift;
                }
            }
            case QUEUE_SEL -> queueSel = v;
            case QUEUE_NUM -> { if (configurable) q.size = v; }
            case QUEUE_READY -> { if (q != null && !active) q.ready = (v & 1) != 0; }
            case QUEUE_NOTIFY -> { if (active) device.notify(v & 0xffff); }
            case INTERRUPT_ACK -> acknowledge(v);
            case STATUS -> writeStatus(v & 0xff);
            case QUEUE_DESC_LOW -> { if (configurable) q.desc = low(q.desc, v); }
            case QUEUE_DESC_HIGH -> { if (configurable) q.desc = high(q.desc, v); }
            case QUEUE_DRIVER_LOW -> { if (configurable) q.avail = low(q.avail, v); }
            case QUEUE_DRIVER_HIGH -> { if (configurable) q.avail = high(q.avail, v); }
            case QUEUE_DEVICE_LOW -> { if (configurable) q.used = low(q.used, v); }
            case QUEUE_DEVICE_HIGH -> { if (configurable) q.used = high(q.used, v); }
            default -> { } // read-only registers, SHMSel, QueueReset (VIRTIO_F_RING_RESET is not offered)
        }
    }

    private Virtqueue selected() { return queueSel >= 0 && queueSel < queues.length ? queues[queueSel] : null; }

    private static long low(long a, int v) { return a & 0xffff_ffff_0000_0000L | v & 0xffff_ffffL; }

    private static long high(long a, int v) { return a & 0xffff_ffffL | (long) v << 32; }

    /** Status writes (§3.1.1): 0 resets; FEATURES_OK checks the driver's choice; DRIVER_OK starts the device. */
    private void writeStatus(int v) {
        if (v == 0) {
            reset();
            return;
        }
        int added = v & ~status;
        if ((added & FEATURES_OK) != 0 && !featuresAcceptable()) v &= ~FEATURES_OK;
        status = v;
        if ((added & DRIVER_OK) != 0 && (status & FEATURES_OK) != 0 && !active) start();
    }

    /**
     * A driver that takes VERSION_1 may only take offered features (§6.1). One that does not is a
     * legacy driver on this modern transport (many teaching kernels write only the low feature
     * word); QEMU accepts it then, keeping the offered part of its choice, and so do we.
     */
    private boolean featuresAcceptable() {
        if ((driverFeatures >>> VirtioDevice.F_VERSION_1 & 1) != 0) return (driverFeatures & ~offered) == 0;
        driverFeatures &= offered;
        return true;
    }

    private void start() {
        for (Virtqueue q : queues) {
            String error = q.start(ram, driverFeatures);
            if (error != null) {
                interrupt.needsReset(error);
                return;
            }
        }
        active = true;
        device.activate(driverFeatures, queues.clone(), ram, interrupt);
    }

    /** Device reset (§2.4): the device stops touching memory before the status reads 0. */
    private void reset() {
        if (active) device.reset();
        active = false;
        for (Virtqueue q : queues) q.reset();
        status = 0;
        deviceFeaturesSel = driverFeaturesSel = queueSel = 0;
        driverFeatures = 0;
        synchronized (events) {
            interruptStatus = 0;
            needsReset = false;
            line.set(false);
        }
    }

    /** Why the device last asked for a reset, or null. */
    public String lastError() {
        synchronized (events) { return lastError; }
    }

    /** Stops the device for good (the machine is going away). */
    public synchronized void shutdown() { reset(); }

    private void acknowledge(int bits) {
        synchronized (events) {
            interruptStatus &= ~bits;
            line.set(interruptStatus != 0);
        }
    }

    private long readConfig(int off, int size) {
        byte[] c = device.config();
        long v = 0;
        for (int i = size - 1; i >= 0; i--) v = v << 8 | (off + i < c.length ? c[off + i] & 0xff : 0);
        return v;
    }

    private void writeConfig(int off, int size, long value) {
        byte[] data = new byte[size];
        for (int i = 0; i < size; i++) data[i] = (byte) (value >>> (8 * i));
        device.writeConfig(off, data);
    }

    private final VirtioInterrupt interrupt = new VirtioInterrupt() {
        @Override
        public void usedBuffers() { raise(INT_USED); }

        @Override
        public void configChanged() {
            synchronized (events) { generation++; }
            raise(INT_CONFIG);
        }

        @Override
        public void needsReset(String why) {
            System.err.printf("jvisor: %s at 0x%x: %s; the device needs a reset%n", device.name(), region.base(), why);
            synchronized (events) {
                needsReset = true;
                lastError = why;
            }
            raise(INT_CONFIG);
        }

        private void raise(int bit) {
            synchronized (events) {
                interruptStatus |= bit;
                line.set(true);
            }
        }
    };

    /** Adds this slot's node to the device tree (the same shape as QEMU virt's). */
    public void describe(Fdt fdt, int plicPhandle) {
        Fdt.Node n = fdt.root().child("soc").child("virtio_mmio@" + Long.toHexString(region.base()));
        n.cells("interrupts", region.irq());
        n.cells("interrupt-parent", plicPhandle);
        n.u64s("reg", region.base(), region.size());
        n.strings("compatible", "virtio,mmio");
    }
}
