package jvisor.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host's DNS server, where the guest's queries to 10.0.2.3 are relayed: the first nameserver of /etc/resolv.conf. */
final class HostResolver {
    private HostResolver() {}

    static InetSocketAddress first() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/resolv.conf"))) {
                String[] w = line.trim().split("\\s+");
                if (w.length >= 2 && w[0].equals("nameserver")) return new InetSocketAddress(w[1], 53);
            }
        } catch (IOException | RuntimeException e) {
            // no resolver configuration: DNS queries go unanswered
        }
        return null;
    }
}
