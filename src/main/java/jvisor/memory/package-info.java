/**
 * Guest physical memory: RAM as one native segment, the bus that routes physical addresses to
 * RAM or to memory-mapped devices, and write watches that let the CPU (decoded-instruction cache)
 * and test devices (HTIF) notice guest stores to particular pages.
 *
 * <p>Start with {@link jvisor.memory.Bus}; devices implement {@link jvisor.memory.MmioDevice}.
 */
package jvisor.memory;
