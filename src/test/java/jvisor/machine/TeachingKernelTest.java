package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jvisor.devices.virtio.VirtioBlock;
import jvisor.storage.DiskSpec;
import jvisor.testing.Guest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kernel of our own written as teaching kernels for QEMU's virt board are
 * (src/test/resources/jvisor/teachingkernel: M-mode start on every hart, CLINT timer interrupts,
 * the PLIC, the UART, an xv6-style virtio-blk driver that checks QEMU's vendor id and negotiates
 * only the low feature word), built with Debian's riscv64-linux-gnu-gcc and booted with
 * --bios none on two harts. It runs unchanged on qemu-system-riscv64 -M virt -bios none
 * -global virtio-mmio.force-legacy=false -device virtio-blk-device,bus=virtio-mmio-bus.0.
 */
class TeachingKernelTest {
    @TempDir Path dir;

    @Test
    void bootsOnEveryHartTakesInterruptsAndReadsAndWritesItsDisk() throws Exception {
        Path elf = build();
        Path disk = dir.resolve("disk.img");
        byte[] image = new byte[1 << 20];
        System.arraycopy("jvisor test disk".getBytes(StandardCharsets.US_ASCII), 0, image, 0, 16);
        Files.write(disk, image);

        ByteArrayOutputStream console = new ByteArrayOutputStream();
        try (Machine m = Guest.newMachine(2, console);
             VirtioBlock blk = new VirtioBlock(DiskSpec.parse(disk + ",format=raw").open(), "teaching")) {
            m.attach(blk);
            m.load(new Boot(Boot.Bios.NONE, null, null, Files.readAllBytes(elf), elf.toString(), null, ""));
            Machine.Outcome outcome = m.run(2_000_000_000L);
            String out = console.toString(StandardCharsets.UTF_8);
            assertTrue(outcome != null, "the kernel did not finish:\n" + out);
            assertEquals(0, outcome.status(), out);
            assertTrue(out.contains("harts up: 2"), out);
            assertTrue(out.contains("timer ticks: 3"), out);
            assertTrue(out.contains("sector 0: jvisor test disk"), out);
            assertTrue(out.contains("teaching kernel: ok"), out);
        }
        byte[] sector1 = Arrays.copyOfRange(Files.readAllBytes(disk), 512, 1024);
        assertArrayEquals("written by the teaching kernel".getBytes(StandardCharsets.US_ASCII), Arrays.copyOf(sector1, 30));
        assertEquals((byte) 511, sector1[511]);
    }

    private Path build() throws Exception {
        boolean gcc = false;
        for (String d : System.getenv().getOrDefault("PATH", "").split(":")) gcc |= Files.isExecutable(Path.of(d, "riscv64-linux-gnu-gcc"));
        assumeTrue(gcc, "riscv64-linux-gnu-gcc missing (gcc-riscv64-linux-gnu)");
        Path src = dir.resolve("src");
        Files.createDirectories(src);
        for (String f : List.of("entry.S", "kernel.c", "kernel.ld")) {
            try (var in = TeachingKernelTest.class.getResourceAsStream("/jvisor/teachingkernel/" + f)) {
                Files.copy(in, src.resolve(f));
            }
        }
        Path elf = dir.resolve("kernel.elf");
        Process cc = new ProcessBuilder("riscv64-linux-gnu-gcc", "-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany",
                "-ffreestanding", "-fno-pic", "-fno-stack-protector", "-nostdlib", "-static", "-O2", "-Wall",
                "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments", "-T", src.resolve("kernel.ld").toString(),
                "-o", elf.toString(), src.resolve("entry.S").toString(), src.resolve("kernel.c").toString())
                .redirectErrorStream(true).start();
        String log = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(cc.waitFor(120, TimeUnit.SECONDS) && cc.exitValue() == 0, "gcc failed:\n" + log);
        return elf;
    }
}
