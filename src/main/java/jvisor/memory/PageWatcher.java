package jvisor.memory;

/** Told about guest stores to a watched RAM page, after the bytes are in memory. */
@FunctionalInterface
public interface PageWatcher {
    /** {@code pa} is the guest physical address of the store, {@code size} its length in bytes. */
    void written(long pa, int size);
}
