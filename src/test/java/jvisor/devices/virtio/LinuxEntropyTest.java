package jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Debian's kernel reads /dev/hwrng from {@link VirtioRng}. */
@Tag("system")
class LinuxEntropyTest {
    @Test
    void hwrngGivesBytes() throws Exception {
        try (LinuxGuest g = LinuxGuest.boot(256L << 20, List.of("virtio-rng"), List.of(new VirtioRng()), Duration.ofMinutes(5))) {
            assertEquals("virtio_rng.0", g.ok("cat /sys/class/misc/hw_random/rng_current").strip());
            String hex = g.ok("dd if=/dev/hwrng bs=4096 count=4 2>/dev/null | od -An -tx1 -v | tr -d ' \\n'").strip();
            assertEquals(2 * 16384, hex.length(), hex);
            long distinct = hex.chars().distinct().count();
            assertEquals(16, distinct, "all hex digits occur in 16 KiB of random bytes");
            assertTrue(!hex.contains("0".repeat(64)), "not zeros");
        }
    }
}
