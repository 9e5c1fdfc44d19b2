/**
 * The virtual board: assembles RAM, the bus, harts and devices into a machine compatible with
 * QEMU's {@code virt}, and runs it. Start with {@link jvisor.machine.Machine}.
 */
package jvisor.machine;
