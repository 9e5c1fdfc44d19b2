/**
 * The RISC-V hart: RV64IMAC + Zicsr/Zifencei/Zicntr, M/S/U privilege (privileged spec 1.12),
 * Sv39/48/57 virtual memory, and a pre-decoding interpreter.
 *
 * <p>Reading order: {@link jvisor.cpu.Hart} (architectural state and the run loop),
 * {@link jvisor.cpu.Decoder} (instruction bits to packed {@link jvisor.cpu.Decoded} ops, once per
 * instruction thanks to {@link jvisor.cpu.DecodeCache}), {@link jvisor.cpu.Interpreter} (the hot
 * loop), {@link jvisor.cpu.Mmu} (software TLB and page walker), {@link jvisor.cpu.CsrFile} and
 * {@link jvisor.cpu.Traps}.
 *
 * <p>Guest faults never travel as Java exceptions: memory helpers record the trap on the hart,
 * set {@link jvisor.cpu.Hart#fault}, and the interpreter checks that flag after a slow path.
 */
package jvisor.cpu;
