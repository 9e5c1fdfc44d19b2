package jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Test;

/**
 * The virtio console as --console virtio attaches it: Debian's kernel makes it hvc0, and a
 * busybox getty there gives a shell to whoever types on the device.
 */
class LinuxConsoleTest {
    @Test
    void gettyOnHvc0CarriesAShell() throws Exception {
        ByteArrayOutputStream hvc = new ByteArrayOutputStream();
        VirtioConsole console = new VirtioConsole(null, hvc);
        try (LinuxGuest g = LinuxGuest.boot(256L << 20, List.of(), List.of(console), Duration.ofMinutes(5))) {
            g.ok("test -c /dev/hvc0");
            g.ok("(setsid getty -n -l /bin/sh 0 hvc0 > /dev/null 2>&1 &)");
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            String out = "";
            while (!out.contains("hvc-42") && System.nanoTime() < deadline) {
                console.type("echo hvc-$((6*7))\n".getBytes(StandardCharsets.US_ASCII));
                Thread.sleep(2000);
                synchronized (hvc) { out = hvc.toString(StandardCharsets.ISO_8859_1); }
            }
            assertTrue(out.contains("hvc-42"), "a shell answered on hvc0:\n" + out + "\nserial:\n" + g.console());
            // getty set hvc0 up as the shell's controlling terminal before it exec'd the shell.
            console.type("tty\n".getBytes(StandardCharsets.US_ASCII));
            while (!out.contains("/dev/hvc0") && System.nanoTime() < deadline) {
                Thread.sleep(500);
                synchronized (hvc) { out = hvc.toString(StandardCharsets.ISO_8859_1); }
            }
            assertTrue(out.contains("/dev/hvc0"), "the shell's terminal is hvc0:\n" + out);
        }
    }
}
