package jvisor.host;

import java.util.Locale;

/**
 * Where a VM is in its life (DESIGN §6): defined → running ⇄ paused → saved; running → stopped;
 * any → crashed. Only running and paused VMs have a machine and hold guest RAM. A VM arriving
 * by live migration is incoming (it holds RAM, is not yet persisted) until it runs here.
 */
public enum VmState {
    DEFINED, RUNNING, PAUSED, SAVED, STOPPED, CRASHED, INCOMING;

    /** A machine exists: the VM holds memory and threads. */
    public boolean active() { return this == RUNNING || this == PAUSED; }

    /** Can boot afresh. */
    public boolean startable() { return this == DEFINED || this == STOPPED || this == CRASHED; }

    /** The lower-case name used in JSON, tables and events. */
    public String label() { return name().toLowerCase(Locale.ROOT); }

    public static VmState parse(String label) { return valueOf(label.toUpperCase(Locale.ROOT)); }
}
