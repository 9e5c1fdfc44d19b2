package jvisor.host;

import java.util.List;

/**
 * A VM's numbers at one moment. Counters belong to the current run (they restart with a boot
 * or a restore, and go on across a reboot of the guest); null where there is no machine or no
 * measure.
 *
 * @param uptimeSeconds        since the VM was started or restored
 * @param instructions         retired by all harts
 * @param mips                 millions of instructions per second since the previous stats call (or the start)
 * @param cpuSeconds           host CPU time of each hart's thread
 * @param jitCoverage          fraction of instructions that ran in compiled regions
 * @param regionsCompiled      code regions this VM's JIT compiled itself (since it was created in this process)
 * @param regionsShared        code regions it installed ready-made from the process's cache, compiled by it or
 *                             another VM (again each time a page that was written becomes code again)
 * @param memoryBytes          guest RAM as defined
 * @param touchedBytes         guest RAM backed by host memory (resident pages), where the host tells
 * @param disks                each virtio disk, in slot order
 * @param nics                 each virtio network card, in slot order
 */
public record VmStats(String name, String state, Double uptimeSeconds, Long instructions, Double mips,
                      List<Double> cpuSeconds, Double jitCoverage, Long regionsCompiled, Long regionsShared, long memoryBytes, Long touchedBytes,
                      List<Disk> disks, List<Nic> nics) {

    /**
     * One disk's traffic: what the guest read and wrote (successful requests; discards and
     * zeroed ranges are not counted as written).
     *
     * @param image  the image file
     */
    public record Disk(String image, long readBytes, long reads, long writtenBytes, long writes) {}

    /**
     * One network card's traffic in Ethernet frames (headers included; a large TCP segment the
     * offloads carry counts as one frame). rx is towards the guest, tx from it.
     *
     * @param mac      the guest's MAC address
     * @param dropped  frames for the guest dropped because it was not taking them
     */
    public record Nic(String mac, long rxBytes, long rxPackets, long txBytes, long txPackets, long dropped) {}
}
