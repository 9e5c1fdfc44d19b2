package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jvisor.devices.virtio.Virtio9p;
import jvisor.share.P9Server;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * KVM inside a jvisor guest (issue 19): Debian's kernel loads kvm.ko on a hart with the H
 * extension, and kvmtiny ({@code src/test/resources/jvisor/kvm/kvmtiny.c}, built here with
 * Debian's cross gcc and shared over 9p) runs a nested guest of a few instructions through
 * /dev/kvm. The nested guest's device accesses must leave KVM_RUN as MMIO exits with the exact
 * addresses, sizes and data, the answer to its load must reach it, and its store to its own RAM
 * must land in the monitor's memory; its own traps (a breakpoint, an illegal instruction, a page
 * fault under its Sv39 tables, a timer interrupt) must reach its handler with the right scause
 * and sepc, and an SBI call KVM forwards must reach the monitor. Every step is jvisor's H
 * extension at work: VS-mode, the G-stage faults KVM answers by mapping pages (also during the
 * nested guest's page-table walks), the guest-page faults it turns into MMIO exits (reading the
 * trapped instruction with HLVX), VS-level delegation, vstimecmp, WFI trapping, and the world
 * switches in and out of V=1. On two harts the monitor also moves its vcpu from hart to hart
 * between runs. Last, Debian's QEMU in the guest boots Debian's kernel as a nested KVM guest.
 */
@Tag("system")
class KvmGuestTest {
    @TempDir static Path share;

    @BeforeAll
    static void build() throws Exception {
        LinuxGuest.assumeAvailable();
        Path src = share.resolve("kvmtiny.c");
        try (InputStream in = KvmGuestTest.class.getResourceAsStream("/jvisor/kvm/kvmtiny.c")) {
            Files.copy(in, src);
        }
        Process cc;
        try {
            cc = new ProcessBuilder("riscv64-linux-gnu-gcc", "-static", "-O2", "-Wall", "-o",
                    share.resolve("kvmtiny").toString(), src.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            assumeTrue(false, "riscv64-linux-gnu-gcc missing (gcc-riscv64-linux-gnu)");
            return;
        }
        String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(120, TimeUnit.SECONDS) && cc.exitValue() == 0, "cannot build kvmtiny:\n" + log);
    }

    /** What kvmtiny prints when every step went right. */
    private static final String EXPECTED = String.join("\n",
            "kvmtiny: api version 12",
            "kvmtiny: mmio write 0x10000000 len 4 data 0x2a",
            "kvmtiny: mmio read 0x10000008 len 4 answered 0x12345678",
            "kvmtiny: mmio write 0x10000010 len 8 data 0x12345679",
            "kvmtiny: mmio write 0x10000018 len 1 data 0x2a",
            // its breakpoint (scause 3) and illegal instruction (2), with their sepc
            "kvmtiny: mmio write 0x10000020 len 8 data 0x3",
            "kvmtiny: mmio write 0x10000028 len 8 data 0x80000030",
            "kvmtiny: mmio write 0x10000020 len 8 data 0x2",
            "kvmtiny: mmio write 0x10000028 len 8 data 0x80000034",
            "kvmtiny: sbi extension 0x8000000 function 0 a0 0x4b answered 0x55",
            "kvmtiny: mmio write 0x10000030 len 8 data 0x55",
            // paging on: a store through a virtual alias, then a load page fault (13)
            "kvmtiny: mmio write 0x10000040 len 4 data 0x2a",
            "kvmtiny: mmio write 0x10000020 len 8 data 0xd",
            "kvmtiny: mmio write 0x10000028 len 8 data 0x80000074",
            // the supervisor timer interrupt it asked for
            "kvmtiny: mmio write 0x10000020 len 8 data 0x8000000000000005",
            "kvmtiny: mmio write 0x10000048 len 1 data 0x2a",
            "kvmtiny: ram 0x80000800 holds 0x12345679, t2 0x12345679, pc 0x800000ac",
            "kvmtiny: PASS");

    @ParameterizedTest
    @EnumSource(value = Machine.JitMode.class, names = {"OFF", "ON", "EAGER"})
    void aNestedGuestsExitsReachTheMonitor(Machine.JitMode jit) throws Exception {
        runKvmTiny(1, jit, "");
    }

    /** The monitor moves to the other hart before every KVM_RUN: the vcpu must follow it whole. */
    @ParameterizedTest
    @EnumSource(value = Machine.JitMode.class, names = {"OFF", "ON"})
    void aVcpuMovingBetweenHartsKeepsItsState(Machine.JitMode jit) throws Exception {
        runKvmTiny(2, jit, " migrate");
    }

    /**
     * The nested boot: inside the guest, Debian's QEMU (the test guest's
     * {@code qemu/}: qemu-system-riscv64 and its libraries) boots the same kernel and initramfs with
     * {@code -accel kvm}, to the nested busybox shell, which answers a command and powers off. On
     * two harts the nested kernel has two vcpus: KVM starts the second (SBI HSM), and its IPIs and
     * remote fences reach the other hart through jvisor's SBI.
     */
    @ParameterizedTest(name = "{0} hart(s), {0} vcpu(s)")
    @ValueSource(ints = {1, 2})
    void debianBootsAsANestedKvmGuestUnderQemu(int cpus) throws Exception {
        Path dir = LinuxGuest.dir();
        assumeTrue(Files.isExecutable(dir.resolve("qemu/qemu-system-riscv64")),
                "no QEMU beside the test guest (jvisor images pull testguest builds one)");
        try (LinuxGuest g = LinuxGuest.boot(768L << 20, cpus, List.of("9p", "9pnet_virtio", "kvm"),
                List.of(new Virtio9p(new P9Server(dir, true), "guest")), null, Duration.ofMinutes(10))) {
            g.ok("mount -t 9p -o trans=virtio,version=9p2000.L guest /mnt");
            long start = System.nanoTime();
            g.type("/mnt/qemu/lib/ld-linux-riscv64-lp64d.so.1 --library-path /mnt/qemu/lib /mnt/qemu/qemu-system-riscv64"
                    + " -M virt -accel kvm -cpu host -smp " + cpus + " -m 128M -nographic -bios none -kernel /mnt/vmlinux"
                    + " -initrd /mnt/initrd.gz -append 'console=ttyS0 quiet jvisor.nested=yes'; echo \"QEMU-\"\"EXIT $?\"\n");
            g.awaitBoot(Duration.ofMinutes(20)); // the nested guest's /init says it is ready
            System.out.printf("nested Debian boot under QEMU -accel kvm, %d vcpu(s): %.1f s to the shell%n",
                    cpus, (System.nanoTime() - start) / 1e9);
            assertTrue(g.ok("cat /proc/cmdline").contains("jvisor.nested=yes"), "not the nested guest's shell");
            assertEquals("42", g.ok("echo $((6 * 7))").strip());
            assertEquals(cpus == 1 ? "0" : "0-" + (cpus - 1), g.ok("cat /sys/devices/system/cpu/online").strip(),
                    "the nested guest's online CPUs");
            g.type("poweroff -f\n");
            g.await("QEMU-EXIT 0", Duration.ofMinutes(5));
            assertEquals("outer", g.ok("echo outer").strip(), "the outer shell after QEMU");
            String complaints = g.sh("dmesg | grep -E 'WARNING|BUG|Oops|kvm.*(fail|error)'", Duration.ofMinutes(1)).output();
            assertEquals("", complaints.strip(), "the kernel complained");
        }
    }

    private static void runKvmTiny(int cpus, Machine.JitMode jit, String args) throws Exception {
        try (LinuxGuest g = LinuxGuest.boot(256L << 20, cpus, List.of("9p", "9pnet_virtio", "kvm"),
                List.of(new Virtio9p(new P9Server(share, true), "host")), m -> m.setJit(jit), Duration.ofMinutes(10))) {
            assertEquals("" + cpus, g.ok("grep -c ^processor /proc/cpuinfo").strip(), "online harts");
            g.ok("mount -t 9p -o trans=virtio,version=9p2000.L host /mnt");
            assertTrue(g.ok("ls /dev/kvm").contains("/dev/kvm"), "kvm.ko made no /dev/kvm:\n" + g.console());
            String out = g.ok("/mnt/kvmtiny" + args, Duration.ofMinutes(5));
            assertEquals(EXPECTED, out.strip().replace("\r", ""));
            String complaints = g.sh("dmesg | grep -E 'WARNING|BUG|Oops|kvm.*(fail|error)'", Duration.ofMinutes(1)).output();
            assertEquals("", complaints.strip(), "the kernel complained");
        }
    }
}
