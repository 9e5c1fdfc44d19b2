/**
 * The machine state stream's vocabulary: how one part of a VM (a hart, a device, a transport)
 * writes its state and reads it back. Every stateful part implements {@link Snapshottable},
 * with {@code saveState} and {@code loadState} written right below the fields they carry, so a
 * new register and its place in the stream are added in one spot. The stream's framing
 * (header, sections, checksums, RAM) lives in {@code jvisor.machine}; this package is the
 * bottom layer every other package may use. Format: docs/SNAPSHOT-FORMAT.md.
 */
package jvisor.state;
