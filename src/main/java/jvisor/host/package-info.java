/**
 * Many VMs in one JVM (DESIGN §6), above {@code machine} and below {@code api}. Start with
 * {@link jvisor.host.Host} (the registry, the state directory, memory accounting, events and the
 * managed save), then {@link jvisor.host.Vm} (one VM's lifecycle and the runner thread that
 * settles how each run ended), {@link jvisor.host.VmDefinition} (what the API and the CLI's
 * {@code vm define} send) and {@link jvisor.host.ConsoleBuffer} (the console ring that viewers,
 * followers and the log read).
 */
package jvisor.host;
