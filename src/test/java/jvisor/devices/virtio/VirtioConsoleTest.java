package jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** virtio-console (virtio 1.2 §5.3) between in-memory pipes and a test driver. */
class VirtioConsoleTest {
    @Test
    void carriesBytesBothWays() throws Exception {
        PipedOutputStream keyboard = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(keyboard, 1 << 16);
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        try (FakeDriver d = new FakeDriver(new VirtioConsole(in, screen))) {
            assertEquals(3, d.reg(VirtioMmio.DEVICE_ID));
            d.init(1L << 32 | 1L << VirtioConsole.F_EMERG_WRITE);
            // input typed before the guest offers buffers waits for them
            keyboard.write("hello\n".getBytes(StandardCharsets.US_ASCII));
            keyboard.flush();
            Thread.sleep(50);
            FakeDriver.Buf rx = d.writable(64);
            d.offer(0, rx);
            d.kick(0);
            assertTrue(d.awaitUsed(0, 1, 5000));
            assertEquals(6, d.usedElem(0, 0)[1]);
            assertArrayEquals("hello\n".getBytes(StandardCharsets.US_ASCII), d.bytes(rx, 6));

            d.offer(1, d.readable("login: ".getBytes(StandardCharsets.US_ASCII)));
            d.kick(1);
            assertTrue(d.awaitUsed(1, 1, 5000));
            assertEquals("login: ", screen.toString(StandardCharsets.US_ASCII));

            d.mmio.write(VirtioMmio.CONFIG + 8, 4, '!');
            assertEquals("login: !", screen.toString(StandardCharsets.US_ASCII));
        }
    }
}
