/**
 * Guest images from Debian's archive: the catalog ({@code debian}), verified downloads from a
 * mirror (signed InRelease, Packages index, .deb checksums), .deb extraction, the initramfs
 * builder, and the on-disk cache that {@code jvisor run debian} and {@code jvisor images} use.
 * For a full Debian system, {@link jvisor.images.Resolver} turns root package names into the
 * packages they need, in install order.
 */
package jvisor.images;
