package jvisor.devices.virtio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import jvisor.net.HostForward;
import jvisor.net.Packets.Mac;
import jvisor.net.UserNetwork;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Debian's kernel on user-mode networking, all traffic on the host's loopback: DHCP configures
 * the guest, DNS queries (UDP) are relayed to a server this test runs, the guest fetches a file
 * over HTTP from a server on 127.0.0.1 (by address and by name) and uploads to a host socket,
 * ping reaches the gateway, and the test reaches a web server in the guest through a host forward.
 */
@Tag("system")
class LinuxNetworkTest {
    static final Duration BOOT = Duration.ofMinutes(5), CMD = Duration.ofMinutes(3);

    @Test
    void dhcpDnsHttpUdpPingAndHostForward() throws Exception {
        byte[] file = new byte[4 << 20];
        new Random(42).nextBytes(file);
        String fileMd5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(file));
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/file", ex -> {
            ex.sendResponseHeaders(200, file.length);
            try (OutputStream o = ex.getResponseBody()) { o.write(file); }
        });
        http.start();
        TinyDns dns = new TinyDns("files.jvisor.test", new byte[] {10, 0, 2, 2});
        Mac mac = new Mac(0x5254_0012_3456L);
        UserNetwork net = new UserNetwork(List.of(HostForward.parse("tcp:127.0.0.1:0-:8080")), dns.address(), mac);
        InetSocketAddress forward = net.forwardAddresses().getFirst();
        try (LinuxGuest g = LinuxGuest.boot(256L << 20, List.of("virtio_net"), List.of(new VirtioNet(net, mac)), BOOT)) {
            g.ok("printf '#!/bin/sh\\ncase \"$1\" in bound|renew) ip addr add $ip/24 dev $interface; "
                    + "ip route add default via $router; echo \"nameserver $dns\" > /etc/resolv.conf;; esac\\n' > /tmp/dhcp.sh "
                    + "&& chmod +x /tmp/dhcp.sh");
            g.ok("ip link set eth0 up && udhcpc -i eth0 -n -q -s /tmp/dhcp.sh", CMD);
            assertTrue(g.ok("ip addr show eth0").contains("inet 10.0.2.15/24"));
            assertTrue(g.ok("ip route").contains("default via 10.0.2.2"));

            String lookup = g.ok("nslookup files.jvisor.test", CMD);
            assertTrue(lookup.contains("10.0.2.2"), lookup);

            int port = http.getAddress().getPort();
            g.ok("wget -q -O /tmp/file http://10.0.2.2:" + port + "/file", CMD);
            assertEquals(fileMd5, g.ok("md5sum /tmp/file").split(" ")[0], "the file came through the NAT intact");
            g.ok("wget -q -O /tmp/byname http://files.jvisor.test:" + port + "/file", CMD);
            assertEquals(fileMd5, g.ok("md5sum /tmp/byname").split(" ")[0], "fetched by a name the relayed DNS gave");

            // and the other way: 4 MiB from the guest to a host socket (large segments with offloads)
            try (java.net.ServerSocket sink = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                var received = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try (Socket c = sink.accept(); InputStream in = c.getInputStream()) {
                        MessageDigest md = MessageDigest.getInstance("MD5");
                        byte[] buf = new byte[65536];
                        for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
                        return HexFormat.of().formatHex(md.digest());
                    } catch (Exception e) {
                        return e.toString();
                    }
                });
                g.ok("dd if=/dev/urandom of=/tmp/up bs=64k count=64 2>/dev/null", CMD);
                String upMd5 = g.ok("md5sum /tmp/up").split(" ")[0];
                g.ok("nc 10.0.2.2 " + sink.getLocalPort() + " < /tmp/up", CMD);
                assertEquals(upMd5, received.get(60, java.util.concurrent.TimeUnit.SECONDS), "the upload arrived intact");
            }

            assertTrue(g.ok("ping -c 2 10.0.2.2", CMD).contains("2 packets received"));

            g.ok("mkdir -p /www && echo hello-from-the-guest > /www/index.html && (httpd -p 8080 -h /www &)");
            String page = jvisor.testing.PlainHttp.get(forward, "/index.html");
            assertTrue(page.contains("hello-from-the-guest"), page);
            assertTrue(page.startsWith("HTTP/1.") && page.contains(" 200 "), page);
        } finally {
            http.stop(0);
            dns.close();
        }
    }
}
