package jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import jvisor.api.ApiServer;
import jvisor.net.tls.ApiConnection;
import jvisor.net.tls.Fingerprint;
import jvisor.net.tls.PinStore;
import jvisor.net.tls.ServerCertificate;
import jvisor.testing.Daemon;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API over TLS with real clients: the CLI pins a daemon's certificate on first use and
 * refuses a changed one, naming the file to edit; {@code --fingerprint} pins explicitly; plain
 * HTTP to the TLS port and TLS to a plain port fail with a message that says which to use;
 * {@code jvisor serve --tls} makes its self-signed certificate once, prints its fingerprint and
 * keeps the key private; PEM files given are loaded.
 */
class VmTlsTest {
    @TempDir Path dir;

    private record Result(int status, String out, String err) {}

    private Result vm(String... args) {
        PrintStream out = System.out, err = System.err;
        java.io.InputStream in = System.in;
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        System.setIn(new java.io.ByteArrayInputStream(new byte[0])); // a console sees its input end at once
        try {
            String[] all = new String[args.length + 3];
            all[0] = "vm";
            all[1] = "--known-hosts";
            all[2] = dir.resolve("known-hosts").toString();
            System.arraycopy(args, 0, all, 3, args.length);
            return new Result(Main.execute(all), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
    }

    private Result list(Daemon d, String... more) {
        String[] args = new String[5 + more.length];
        args[0] = "--host";
        args[1] = d.uri().toString();
        args[2] = "--token-file";
        args[3] = d.host().dir().root().resolve("token").toString();
        System.arraycopy(more, 0, args, 4, more.length);
        args[args.length - 1] = "list";
        return vm(args);
    }

    @Test
    void theCliPinsOnFirstUseAndRefusesAChangedCertificate() throws Exception {
        ServerCertificate first = ServerCertificate.generate(List.of("first"));
        ServerCertificate second = ServerCertificate.generate(List.of("second"));
        assertNotEquals(first.fingerprint(), second.fingerprint());
        Path known = dir.resolve("known-hosts");
        int port;
        try (Daemon d = Daemon.start(dir.resolve("a"), 1L << 30, first, 0)) {
            assertEquals("https", d.uri().getScheme());
            port = d.uri().getPort();
            // First use: pinned, and said so on stderr.
            Result r = list(d);
            assertEquals(0, r.status, r.err);
            assertEquals("NAME  STATE  CPUS  MEMORY  BOOT  REASON", r.out.strip());
            assertTrue(r.err.contains("pinned the TLS certificate of 127.0.0.1:" + port) && r.err.contains(known.toString()), r.err);
            assertTrue(Files.readString(known).contains("127.0.0.1:" + port + " " + first.fingerprint()), Files.readString(known));
            // Later uses: quietly trusted.
            r = list(d);
            assertEquals(0, r.status, r.err);
            assertEquals("", r.err);
            // Raw HTTP over the same TLS with the daemon's own client, and the API's answer.
            assertEquals(200, d.call("GET", "", null).status());
        }
        // Another certificate on the same address: refused, in one line that names the file and line.
        try (Daemon d = Daemon.start(dir.resolve("b"), 1L << 30, second, port)) {
            Result r = list(d);
            assertEquals(1, r.status, r.out);
            String err = r.err.strip();
            assertFalse(err.contains("\n"), err);
            assertTrue(err.startsWith("jvisor: the TLS certificate of 127.0.0.1:" + port + " changed"), err);
            assertTrue(err.contains("delete line 2 of " + known) && err.contains(second.fingerprint().toString()), err);
            // An explicit fingerprint: the right one is trusted without touching the file, a wrong one refused.
            String before = Files.readString(known);
            r = list(d, "--fingerprint", second.fingerprint().hex());
            assertEquals(0, r.status, r.err);
            r = list(d, "--fingerprint", first.fingerprint().toString());
            assertEquals(1, r.status);
            assertTrue(r.err.contains("not the one given with --fingerprint"), r.err);
            r = list(d, "--fingerprint", "12:34");
            assertEquals(2, r.status);
            assertEquals(before, Files.readString(known));
            // The console's WebSocket goes over the same TLS and pin check.
            r = vm("--host", d.uri().toString(), "--token-file", d.host().dir().root().resolve("token").toString(), "console", "ghost");
            assertEquals(1, r.status);
            assertTrue(r.err.contains("changed"), r.err);
            r = vm("--host", d.uri().toString(), "--token-file", d.host().dir().root().resolve("token").toString(),
                    "--fingerprint", second.fingerprint().toString(), "console", "ghost", "--linger", "0.2");
            assertTrue(r.err.contains("no VM called 'ghost'"), r.err); // past TLS, the daemon answered
            // After deleting the line, as the message says, the new certificate is pinned.
            Files.write(known, Files.readAllLines(known).stream().filter(l -> !l.startsWith("127.0.0.1:" + port + " ")).toList());
            r = list(d);
            assertEquals(0, r.status, r.err);
            assertTrue(Files.readString(known).contains("127.0.0.1:" + port + " " + second.fingerprint()));
        }
    }

    @Test
    void plainHttpAndTlsMixUpsFailClearly() throws Exception {
        ServerCertificate cert = ServerCertificate.generate(List.of());
        try (Daemon tls = Daemon.start(dir.resolve("tls"), 1L << 30, cert, 0);
             Daemon plain = Daemon.start(dir.resolve("plain"), 1L << 30)) {
            // Plain HTTP to the TLS port: a 400 that says to use https, with any client.
            URI http = URI.create("http://127.0.0.1:" + tls.uri().getPort() + ApiServer.BASE + "/vms");
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(http).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("this port speaks HTTPS only: use an https:// URL"), r.body());
            Result cli = vm("--host", "http://127.0.0.1:" + tls.uri().getPort(), "--token-file",
                    tls.host().dir().root().resolve("token").toString(), "list");
            assertEquals(1, cli.status);
            assertTrue(cli.err.contains("this port speaks HTTPS only"), cli.err);
            // TLS to a plain port.
            cli = vm("--host", "https://127.0.0.1:" + plain.uri().getPort(), "--token-file",
                    plain.host().dir().root().resolve("token").toString(), "list");
            assertEquals(1, cli.status);
            assertTrue(cli.err.contains("does not speak TLS there: use an http:// URL"), cli.err);
            // The token is still needed over TLS.
            assertEquals(401, tls.call("GET", "/vms", null, null).status());
            // A client that pins nothing and may not pin on first use refuses, and says how to fix it.
            HttpClient strict = ApiConnection.client(tls.uri(), PinStore.strict(dir.resolve("empty-known-hosts")));
            IOException e = assertThrows(IOException.class, () -> strict.send(HttpRequest.newBuilder(
                    URI.create(tls.uri() + ApiServer.BASE)).build(), HttpResponse.BodyHandlers.ofString()));
            assertTrue(ApiConnection.explain(e).contains("no certificate is pinned for 127.0.0.1:" + tls.uri().getPort()), ApiConnection.explain(e));
        }
        // A non-loopback address is never served without TLS (refused before anything listens).
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ApiServer.start(null, "t", new InetSocketAddress("192.0.2.1", 0), null));
        assertTrue(e.getMessage().contains("only over TLS"), e.getMessage());
    }

    @Test
    void fingerprintsParseAsPeopleWriteThem() {
        ServerCertificate c = ServerCertificate.generate(List.of("x"));
        Fingerprint f = c.fingerprint();
        assertEquals(95, f.toString().length());
        assertEquals(f, Fingerprint.parse(f.toString().toLowerCase()));
        assertEquals(f, Fingerprint.parse(f.hex()));
        assertEquals(f, Fingerprint.parse("SHA256:" + f));
        assertEquals(f, Fingerprint.parse("sha256 Fingerprint=" + f));
        assertThrows(IllegalArgumentException.class, () -> Fingerprint.parse("AB:CD"));
        assertEquals("[::1]:7407", PinStore.key("::1", 7407));
        assertEquals("[::1]:443", PinStore.key(URI.create("https://[::1]/")));
    }

    @Test
    void pemFilesGivenAreLoaded() throws Exception {
        // An RSA key in PKCS#1 ("BEGIN RSA PRIVATE KEY"), the form openssl genrsa wrote for years.
        ServerCertificate ec = ServerCertificate.generate(List.of("given"));
        Path cert = dir.resolve("cert.pem"), key = dir.resolve("key.pem");
        Files.writeString(cert, ec.certificatePem());
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        StringWriter rsa = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(rsa)) {
            w.writeObject(g.generateKeyPair().getPrivate());
        }
        Files.writeString(key, rsa.toString());
        IOException mismatch = assertThrows(IOException.class, () -> ServerCertificate.load(cert, key));
        assertTrue(mismatch.getMessage().contains("RSA key") && mismatch.getMessage().contains("EC key"), mismatch.getMessage());
        // The EC key of the certificate, as SEC1 ("BEGIN EC PRIVATE KEY").
        StringWriter sec1 = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sec1)) {
            w.writeObject(ec.key());
        }
        Files.writeString(key, sec1.toString());
        assertEquals(ec.fingerprint(), ServerCertificate.load(cert, key).fingerprint());
        Files.writeString(key, "not a key\n");
        IOException none = assertThrows(IOException.class, () -> ServerCertificate.load(cert, key));
        assertTrue(none.getMessage().contains("holds no private key"), none.getMessage());
    }

    @Test
    void serveMakesItsCertificateOnceAndPrintsItsFingerprint() throws Exception {
        Path state = dir.resolve("state");
        String printed = null;
        for (int run = 0; run < 2; run++) {
            Process p = serve(state, "--tls");
            try {
                String address = Files.readString(state.resolve("address")).strip();
                assertTrue(address.startsWith("https://127.0.0.1:"), address);
                Path key = state.resolve("tls/key.pem");
                assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(key));
                Fingerprint kept = ServerCertificate.load(state.resolve("tls/cert.pem"), key).fingerprint();
                String log = awaitLog(state, "fingerprint");
                assertTrue(log.contains("jvisor: TLS certificate SHA-256 fingerprint " + kept), log);
                if (printed != null) assertEquals(printed, kept.toString(), "the same certificate at the next start");
                printed = kept.toString();
                // The CLI finds the https address in the state directory and pins it.
                Result r = vm("--state", state.toString(), "list");
                assertEquals(0, r.status, r.err);
            } finally {
                p.destroy();
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            }
        }
        // PEM files given instead: used as they are.
        ServerCertificate given = ServerCertificate.generate(List.of("given"));
        Files.writeString(dir.resolve("c.pem"), given.certificatePem());
        StringWriter k = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(k)) {
            w.writeObject(given.key());
        }
        Files.writeString(dir.resolve("k.pem"), k.toString());
        Process p = serve(state, "--tls-cert", dir.resolve("c.pem").toString(), "--tls-key", dir.resolve("k.pem").toString());
        try {
            assertTrue(awaitLog(state, "fingerprint").contains("fingerprint " + given.fingerprint()));
            Result r = vm("--state", state.toString(), "--fingerprint", given.fingerprint().toString(), "list");
            assertEquals(0, r.status, r.err);
        } finally {
            p.destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        }
    }

    /** Starts {@code jvisor serve} on a free loopback port in a new JVM; returns once it listens. */
    private Process serve(Path state, String... options) throws IOException, InterruptedException {
        Files.createDirectories(state);
        Files.deleteIfExists(state.resolve("address"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), "jvisor.cli.Main", "serve", "--state", state.toString(), "--listen", "127.0.0.1:0"));
        cmd.addAll(List.of(options));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(state.resolveSibling("daemon.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Files.exists(state.resolve("address"))) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new AssertionError("the daemon did not start:\n" + Files.readString(state.resolveSibling("daemon.log")));
            }
            Thread.sleep(100);
        }
        return p;
    }

    private String awaitLog(Path state, String text) throws IOException, InterruptedException {
        Path log = state.resolveSibling("daemon.log");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            String s = Files.readString(log);
            if (s.contains(text) || System.nanoTime() > deadline) return s;
            Thread.sleep(50);
        }
    }
}
