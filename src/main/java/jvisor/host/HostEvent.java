package jvisor.host;

/**
 * Something that happened to a VM, for the event stream: its new state and why.
 *
 * @param time    milliseconds since the epoch
 * @param vm      the VM's name
 * @param state   its state after the event ("deleted" when it is gone)
 * @param message what happened, for people
 */
public record HostEvent(long time, String vm, String state, String message) {}
