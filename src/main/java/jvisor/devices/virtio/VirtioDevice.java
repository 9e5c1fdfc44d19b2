package jvisor.devices.virtio;

import jvisor.memory.GuestRam;
import jvisor.state.StateException;
import jvisor.state.StateReader;
import jvisor.state.StateWriter;

/**
 * A virtio device without its transport (STYLE pattern 8): what it is (device ID, feature bits,
 * configuration space), and what it does once the driver has set it up. {@link VirtioMmio}
 * carries it to the guest; another transport could carry it unchanged.
 *
 * <p>Life cycle (virtio 1.2 §3.1): the transport negotiates features and collects the queue
 * layout, then calls {@link #activate} when the driver sets DRIVER_OK. From then on
 * {@link #notify} reports available buffers; {@link #reset} (the driver writes 0 to the status,
 * or the machine shuts down) must leave the device idle and no longer touching guest memory.
 * Devices do their I/O on their own threads, never on the hart thread that calls them.
 */
public interface VirtioDevice extends AutoCloseable {
    // Device IDs (virtio 1.2 §5).
    int NET = 1, BLOCK = 2, CONSOLE = 3, ENTROPY = 4, NINEP = 9;

    // Reserved feature bits the transport handles (virtio 1.2 §6).
    int F_INDIRECT_DESC = 28, F_EVENT_IDX = 29, F_VERSION_1 = 32;

    /** Virtio device ID (§5). */
    int deviceId();

    /** A short name for messages, e.g. "virtio-blk vda.img". */
    String name();

    /** Device-specific feature bits offered (bits 0-23); the transport adds the ring features. */
    long features();

    /** Number of virtqueues. */
    int queueCount();

    /** Largest size the driver may give queue {@code q} (a power of 2). */
    default int queueMaxSize(int q) { return 256; }

    /** The device-specific configuration space (§2.5), little-endian; read on every access. */
    default byte[] config() { return new byte[0]; }

    /** The driver wrote {@code data} at {@code offset} into the configuration space. */
    default void writeConfig(int offset, byte[] data) { }

    /**
     * The driver set DRIVER_OK: the device may now use {@code queues} (those the driver did not
     * make ready are idle) in {@code ram}, with the features the driver accepted.
     */
    void activate(long features, Virtqueue[] queues, GuestRam ram, VirtioInterrupt interrupt);

    /** The driver made buffers available in queue {@code q} (called on a hart thread: hand off). */
    void notify(int q);

    /** Stops all work and forgets the driver's setup; returns when the device no longer touches guest memory. */
    void reset();

    /**
     * Stops work at a request boundary: returns once the device no longer touches guest memory
     * or raises interrupts, until {@link #resume}. Backend events meanwhile wait their turn.
     */
    default void pause() { }

    default void resume() { }

    /** Makes everything the device completed durable (a disk's fsync); called while paused, before a save. */
    default void flush() throws java.io.IOException { }

    /**
     * Lets go of host resources the device's copy on a live migration's destination will take,
     * which may be on this same machine (a network's forwarded host ports); called while paused,
     * after {@link #flush}. {@link #reclaim} takes them back when the guest stays here.
     */
    default void handOver() { }

    /** Takes back what {@link #handOver} let go; the exception names what another program took meanwhile. */
    default void reclaim() throws java.io.IOException { }

    /**
     * The device's own state beyond the transport's, written while paused (for example 9p's open
     * files). Most devices keep everything they need in the transport and their configuration.
     */
    default void saveState(StateWriter out) { }

    /** Reads what {@link #saveState} wrote, before the transport activates the device again. */
    default void loadState(StateReader in) throws StateException { }

    /** Releases host resources (files, sockets, threads) for good. */
    @Override
    default void close() { reset(); }
}
