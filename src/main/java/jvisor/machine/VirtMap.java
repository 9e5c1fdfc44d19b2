package jvisor.machine;

import jvisor.memory.Region;

/** The physical memory map of the board, compatible with QEMU's virt machine (DESIGN §2). */
public final class VirtMap {
    private VirtMap() {}

    public static final Region TEST = new Region("test", 0x0010_0000L, 0x1000, 0);
    public static final Region RTC = new Region("rtc", 0x0010_1000L, 0x1000, 11);
    public static final Region CLINT = new Region("clint", 0x0200_0000L, 0x1_0000, 0);
    public static final Region PLIC = new Region("plic", 0x0c00_0000L, 0x60_0000, 0);
    public static final Region UART0 = new Region("uart0", 0x1000_0000L, 0x100, 10);
    public static final long VIRTIO_BASE = 0x1000_1000L, VIRTIO_SIZE = 0x1000;
    public static final int VIRTIO_SLOTS = 8, VIRTIO_FIRST_IRQ = 1;
    public static final long RAM_BASE = 0x8000_0000L;

    /** Region of virtio-mmio slot {@code n} (0..7). */
    public static Region virtio(int n) {
        return new Region("virtio" + n, VIRTIO_BASE + n * VIRTIO_SIZE, VIRTIO_SIZE, VIRTIO_FIRST_IRQ + n);
    }
}
