package jvisor.machine;

import java.io.IOException;
import java.io.OutputStream;
import jvisor.cpu.Clock;
import jvisor.cpu.DecodeCache;
import jvisor.cpu.Hart;
import jvisor.firmware.ElfImage;
import jvisor.firmware.Htif;
import jvisor.memory.Bus;
import jvisor.memory.GuestRam;

/**
 * One virtual machine: RAM at 0x8000_0000, the bus, harts and (as the board grows) devices.
 * {@link #run()} runs the boot hart on the calling thread until the guest exits.
 */
public final class Machine implements AutoCloseable {
    private final GuestRam ram;
    private final Bus bus;
    private final DecodeCache decoded;
    private final Clock clock;
    private final Hart[] harts;
    private volatile int exitStatus = -1;

    public Machine(MachineConfig config) {
        this(config, new HostClock());
    }

    public Machine(MachineConfig config, Clock clock) {
        this.ram = new GuestRam(MachineConfig.RAM_BASE, config.memoryBytes());
        this.bus = new Bus(ram);
        this.decoded = new DecodeCache(ram);
        this.clock = clock;
        this.harts = new Hart[config.cpus()];
        for (int i = 0; i < harts.length; i++) harts[i] = new Hart(i, bus, decoded, clock);
    }

    public GuestRam ram() { return ram; }
    public Bus bus() { return bus; }
    public Hart hart(int i) { return harts[i]; }

    /**
     * Bare-metal test mode (DESIGN §3): loads the ELF at its physical addresses, starts hart 0 in
     * M-mode at its entry, and connects HTIF if the program has a {@code tohost} symbol.
     */
    public void loadHtifProgram(ElfImage elf, OutputStream console) throws IOException {
        elf.loadInto(ram);
        long tohost = elf.symbol("tohost");
        if (tohost >= 0) new Htif(ram, tohost, elf.symbol("fromhost"), console, this::exit);
        harts[0].pc = elf.entry();
    }

    /** Ends the run with {@code status}; callable from any thread. */
    public void exit(int status) {
        exitStatus = status;
        for (Hart h : harts) h.requestStop();
    }

    /** Runs until the guest exits; returns its exit status. */
    public int run() {
        harts[0].run();
        return exitStatus;
    }

    /**
     * Runs until the guest exits or about {@code maxInstructions} have retired; returns the exit
     * status, or empty if the guest was still running.
     */
    public java.util.OptionalInt run(long maxInstructions) {
        return harts[0].run(maxInstructions) ? java.util.OptionalInt.of(exitStatus) : java.util.OptionalInt.empty();
    }

    @Override
    public void close() { ram.close(); }
}
