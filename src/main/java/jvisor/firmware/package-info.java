/**
 * What gets the guest going: program loaders (ELF), and the HTIF test protocol used by
 * riscv-tests and jvisor's own bare-metal test programs. The built-in SBI and device-tree
 * builder live here too as the board grows.
 */
package jvisor.firmware;
