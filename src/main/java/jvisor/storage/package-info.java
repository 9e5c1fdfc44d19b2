/**
 * Disk images for virtio-blk: {@link jvisor.storage.Disk} is what the device reads and writes;
 * {@link jvisor.storage.RawDisk} maps it onto a file, {@link jvisor.storage.Qcow2Disk} onto a
 * qcow2 image (version 2 and 3, with backing files). {@link jvisor.storage.DiskSpec} parses
 * {@code --disk} and opens the right one, including snapshot overlays.
 *
 * <p>For qcow2, start with {@link jvisor.storage.Qcow2Header} (what is checked before an offset
 * is trusted), then {@link jvisor.storage.Qcow2Disk} (the L1/L2 mapping) and
 * {@link jvisor.storage.Qcow2Refcounts} (cluster allocation). Images written here pass
 * {@code qemu-img check}.
 */
package jvisor.storage;
