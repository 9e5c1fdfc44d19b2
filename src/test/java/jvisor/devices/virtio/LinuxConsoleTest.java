package jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** hvc0 on Debian's kernel: a getty on it prints a login line, and a login there runs commands. */
@Tag("system")
class LinuxConsoleTest {
    /** Collects the device's output so the test can wait for text. */
    static final class Screen extends OutputStream {
        private final StringBuilder text = new StringBuilder();

        @Override
        public synchronized void write(int b) {
            text.append((char) (b & 0xff));
            notifyAll();
        }

        synchronized void await(String s, Duration timeout) throws InterruptedException {
            long deadline = System.currentTimeMillis() + timeout.toMillis();
            while (text.indexOf(s) < 0) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) throw new AssertionError("no '" + s + "' on hvc0 in " + timeout + ":\n" + text);
                wait(left);
            }
        }
    }

    @Test
    void gettyOnHvc0() throws Exception {
        PipedOutputStream keyboard = new PipedOutputStream();
        Screen screen = new Screen();
        VirtioConsole console = new VirtioConsole(new PipedInputStream(keyboard, 1 << 16), screen);
        try (LinuxGuest g = LinuxGuest.boot(256L << 20, List.of(), List.of(console), Duration.ofMinutes(5))) {
            g.ok("test -c /dev/hvc0");
            g.ok("printf '#!/bin/sh\\necho welcome \"$2\"\\nexec sh\\n' > /tmp/login && chmod +x /tmp/login");
            g.ok("(setsid getty -l /tmp/login 0 hvc0 vt100 &)");
            screen.await("login: ", Duration.ofMinutes(2));
            type(keyboard, "root\n");
            screen.await("welcome root", Duration.ofMinutes(1));
            type(keyboard, "echo $((6 * 7)) from \"$(tty)\"\n");
            screen.await("42 from /dev/hvc0", Duration.ofMinutes(1));
            assertTrue(g.ok("cat /proc/interrupts").contains("virtio0"));
        }
    }

    private static void type(PipedOutputStream keyboard, String s) throws IOException {
        keyboard.write(s.getBytes(StandardCharsets.US_ASCII));
        keyboard.flush();
    }
}
