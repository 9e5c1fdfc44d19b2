/**
 * A gdb remote stub (GDB Remote Serial Protocol) for a machine: what QEMU's {@code -gdb} and
 * {@code -S} give OS developers.
 *
 * <p>Reading order: {@link jvisor.gdb.GdbServer} (the TCP listener, one client at a time),
 * {@link jvisor.gdb.GdbSession} (the packets), {@link jvisor.gdb.Debugger} (halting, stepping,
 * breakpoints and watchpoints over the harts, through {@link jvisor.cpu.DebugHook}; usable without
 * gdb, e.g. by a host daemon), {@link jvisor.gdb.Registers} (gdb's register numbers and the
 * target description), {@link jvisor.gdb.GuestView} (memory by virtual address without side
 * effects) and {@link jvisor.gdb.PacketChannel} (framing).
 */
package jvisor.gdb;
