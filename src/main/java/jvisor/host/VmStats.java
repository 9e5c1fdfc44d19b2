package jvisor.host;

import java.util.List;

/**
 * A VM's numbers at one moment. Counters belong to the current run (they restart with a boot
 * or a restore); null where there is no machine or no measure.
 *
 * @param uptimeSeconds        since the VM was started or restored
 * @param instructions         retired by all harts
 * @param mips                 millions of instructions per second since the previous stats call (or the start)
 * @param cpuSeconds           host CPU time of each hart's thread
 * @param jitCoverage          fraction of instructions that ran in compiled regions
 * @param memoryBytes          guest RAM as defined
 * @param touchedBytes         guest RAM backed by host memory (resident pages), where the host tells
 * @param diskBytes            bytes read and written by virtio disks: not measured yet (null)
 * @param netBytes             bytes sent and received by virtio net: not measured yet (null)
 */
public record VmStats(String name, String state, Double uptimeSeconds, Long instructions, Double mips,
                      List<Double> cpuSeconds, Double jitCoverage, long memoryBytes, Long touchedBytes,
                      Long diskBytes, Long netBytes) {}
