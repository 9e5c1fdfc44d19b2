/**
 * Devices of the virt board (DESIGN §2), one per file, each starting with its register map:
 * {@link jvisor.devices.Clint} (timer and software interrupts), {@link jvisor.devices.Plic}
 * (external interrupts), {@link jvisor.devices.Uart16550} (serial console),
 * {@link jvisor.devices.GoldfishRtc} (wall clock) and {@link jvisor.devices.TestDevice}
 * (poweroff/reboot). Each also describes itself in the device tree.
 */
package jvisor.devices;
