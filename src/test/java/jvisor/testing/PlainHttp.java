package jvisor.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** HTTP/1.0 by hand, for a guest's web server reached through a host forward. */
public final class PlainHttp {
    private PlainHttp() {}

    /** The whole reply to a GET of {@code path} at {@code to}, retrying (30 times, a second apart) while nothing answers. */
    public static String get(InetSocketAddress to, String path) throws InterruptedException {
        IOException last = null;
        for (int i = 0; i < 30; i++) {
            try (Socket s = new Socket()) {
                s.connect(to, 10_000);
                s.setSoTimeout(60_000);
                s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: guest\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                String reply = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
                if (!reply.isEmpty()) return reply;
            } catch (IOException e) {
                last = e;
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("no answer through the forward at " + to, last);
    }
}
