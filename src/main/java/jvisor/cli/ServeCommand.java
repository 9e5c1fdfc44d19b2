package jvisor.cli;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import jvisor.api.ApiServer;
import jvisor.host.Host;
import jvisor.host.StateDir;
import jvisor.images.Images;
import jvisor.net.tls.Fingerprint;
import jvisor.net.tls.ServerCertificate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jvisor serve}: the host daemon in the foreground. It runs until SIGTERM or SIGINT, then
 * saves every running VM into the state directory (the managed save) and exits 0; started
 * again on the same directory, it restores them.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the host daemon in the foreground: many VMs behind a REST API (docs/HOST.md).",
                "'jvisor vm ...' is its command-line client. SIGTERM saves every running VM into the",
                "state directory and exits; the next start restores them."})
final class ServeCommand implements Callable<Integer> {
    static final int DEFAULT_PORT = 7407;

    @Option(names = "--listen", paramLabel = "ADDR:PORT", defaultValue = "127.0.0.1:" + DEFAULT_PORT,
            description = {"Where the API listens (default: ${DEFAULT-VALUE}; port 0 picks a free one).",
                    "A non-loopback address is served over HTTPS only (see --tls-cert)."})
    String listen;

    @Option(names = "--tls", description = "Serve HTTPS on a loopback address too (always on for other addresses).")
    boolean tls;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = {"The server's certificate (PEM, the chain after it) for HTTPS; with --tls-key.",
                    "Default: a self-signed one made once in STATE/tls, whose fingerprint clients pin."})
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The certificate's private key (PEM, unencrypted).")
    Path tlsKey;

    @Option(names = "--state", paramLabel = "DIR",
            description = "State directory: definitions, saved VMs, logs, the API token (default: $XDG_DATA_HOME/jvisor or ~/.local/share/jvisor).")
    Path state;

    @Option(names = "--max-memory", paramLabel = "SIZE", converter = Sizes.class,
            description = "Guest RAM the daemon gives out in all (default: 3/4 of the host's memory less the JVM heap).")
    Long maxMemory;

    @Mixin ImageOptions imageOptions;

    @Override
    public Integer call() throws IOException {
        InetSocketAddress address = parseListen(listen);
        if ((tlsCert == null) != (tlsKey == null)) throw new Main.UsageError("--tls-cert and --tls-key go together");
        Path root = state != null ? state : StateDir.defaultRoot(System.getenv());
        long limit = maxMemory != null ? maxMemory : Host.defaultMaxMemory();
        StateDir dir = new StateDir(root);
        Images images = imageOptions.images();
        Host host;
        try {
            String token = dir.token();
            ServerCertificate cert = certificate(address, dir);
            host = Host.open(dir, limit, name -> images.cache().newest(name).orElseGet(() -> obtain(images, name)));
            ApiServer api;
            try {
                api = ApiServer.start(host, token, address, cert);
            } catch (IllegalArgumentException e) {
                host.close();
                throw new Main.UsageError(e.getMessage());
            } catch (RuntimeException e) {
                host.close();
                throw new IOException("cannot listen on " + listen + ": " + rootCause(e).getMessage(), e);
            }
            dir.write(dir.root().resolve("address"), api.uri() + "\n");
            System.err.printf("jvisor: serving %s%s for %s (state %s, up to %s of guest RAM)%n", api.uri(), ApiServer.BASE,
                    host.list().size() + " VMs", dir.root(), (limit >> 20) + " MiB");
            jvisor.host.MigrationWarmUp.start();
            if (fingerprint != null) System.err.println("jvisor: TLS certificate SHA-256 fingerprint " + fingerprint);
            System.err.printf("jvisor: web console at %s/ (sign in with the token in %s)%n", api.uri(), dir.root().resolve("token"));
            awaitShutdown(host, api);
            return 0;
        } catch (IOException | RuntimeException e) {
            dir.close();
            throw e;
        }
    }

    private Fingerprint fingerprint;

    /**
     * The TLS identity, or null for plain HTTP (loopback without --tls): the certificate given,
     * else the self-signed one in STATE/tls (made at the first start that needs it).
     */
    private ServerCertificate certificate(InetSocketAddress address, StateDir dir) throws IOException {
        boolean loopback = address.getAddress().isLoopbackAddress();
        if (!tls && tlsCert == null && loopback) return null;
        ServerCertificate c;
        if (tlsCert != null) {
            c = ServerCertificate.load(tlsCert, tlsKey);
        } else {
            List<String> names = new ArrayList<>();
            if (!address.getAddress().isAnyLocalAddress() && !loopback) names.add(address.getAddress().getHostAddress());
            try {
                names.add(InetAddress.getLocalHost().getHostName());
            } catch (UnknownHostException e) {
                // the certificate names localhost only: clients pin it anyway
            }
            c = ServerCertificate.selfSigned(dir.root().resolve("tls"), names);
        }
        fingerprint = c.fingerprint();
        return c;
    }

    private static jvisor.images.CachedImage obtain(Images images, String name) {
        try {
            return images.obtain(name);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Blocks until the JVM is asked to stop; the shutdown hook does the managed save, then lets it exit. */
    private static void awaitShutdown(Host host, ApiServer api) {
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("jvisor: stopping: saving the running VMs");
            api.close();
            try {
                host.close();
            } catch (IOException e) {
                System.err.println("jvisor: " + e.getMessage());
            }
            System.err.println("jvisor: stopped");
            done.countDown();
        }, "jvisor-shutdown"));
        try {
            done.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static InetSocketAddress parseListen(String value) {
        int colon = value.lastIndexOf(':');
        if (colon < 0) throw new Main.UsageError("--listen " + value + ": give ADDR:PORT, e.g. 127.0.0.1:" + DEFAULT_PORT);
        String host = value.substring(0, colon).replaceAll("^\\[|\\]$", "");
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (port < 0 || port > 65535) throw new NumberFormatException();
            return new InetSocketAddress(InetAddress.getByName(host.isEmpty() ? "127.0.0.1" : host), port);
        } catch (NumberFormatException e) {
            throw new Main.UsageError("--listen " + value + ": the port must be 0 to 65535");
        } catch (UnknownHostException e) {
            throw new Main.UsageError("--listen " + value + ": unknown address " + host);
        }
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }
}
