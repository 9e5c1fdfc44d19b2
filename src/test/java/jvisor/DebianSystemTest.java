package jvisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The full Debian system (issue 18), the way a user gets it: {@code jvisor run debian-system}
 * builds the image on first use (in the user's image cache, reused after), boots it from a fresh
 * persistent disk to a login prompt; root logs in on the console without a password, systemd
 * reports the system running, apt installs a package from the Debian mirror through the
 * user-mode NAT, ssh through a host forward runs a command with the key given by --ssh-key, and
 * a file written before a reboot is there after it. Needs the host's ssh and ssh-keygen
 * (openssh-client) as the ssh client. The console goes to target/debian-system-console.log.
 */
@Tag("system")
class DebianSystemTest {
    private static final long BUILD_AND_BOOT_SECONDS = 3000, BOOT_SECONDS = 600, COMMAND_SECONDS = 300;

    @TempDir Path home;

    @Test
    @Timeout(value = 70, unit = TimeUnit.MINUTES)
    void debianSystemRunsAptSshAndKeepsItsFiles() throws Exception {
        Path key = home.resolve("id_ed25519");
        exec(List.of("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.toString()));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "jvisor.cli.Main",
                "run", "debian-system", "--fresh", "--cpus", "2", "--ssh-key", key + ".pub",
                "--net", "user,hostfwd=tcp:127.0.0.1:" + port + "-:22"));
        pb.environment().put("XDG_DATA_HOME", home.resolve("data").toString()); // the test's disk, not the user's
        pb.redirectErrorStream(true);
        Process jvisor = pb.start();
        GuestConsole console = new GuestConsole(jvisor, Path.of("target", "debian-system-console.log"));
        try {
            login(console, BUILD_AND_BOOT_SECONDS);
            String state = console.run("systemctl is-system-running --wait; systemctl --failed --no-legend --plain");
            assertEquals("running", state.strip(), () -> "systemd: " + state + "\nconsole:\n" + console.tail());

            String hello = console.run("apt-get -q update >/dev/null && apt-get install -y -q hello >/dev/null && hello");
            assertTrue(hello.contains("Hello, world!"), hello);

            String remote = exec(List.of("ssh", "-p", Integer.toString(port), "-i", key.toString(), "-o", "BatchMode=yes",
                    "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=60",
                    "root@127.0.0.1", "uname -m; id -un"));
            assertEquals(List.of("riscv64", "root"), remote.lines().filter(l -> !l.startsWith("Warning:")).toList(), remote);

            console.run("echo kept-$((6*9)) > /root/marker; sync");
            console.type("reboot\n");
            login(console, BOOT_SECONDS);
            assertEquals("kept-54", console.run("cat /root/marker").strip());

            console.type("poweroff\n");
            assertTrue(jvisor.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS), "jvisor ends when the guest powers off");
            assertEquals(0, jvisor.exitValue(), console.text());
        } finally {
            jvisor.destroyForcibly();
        }
    }

    /** Waits for the login prompt after what the console showed so far and logs in as root. */
    private static void login(GuestConsole console, long seconds) throws Exception {
        int prompt = console.await("debian login: ", console.length(), seconds);
        console.type("root\n");
        console.await("root@debian:~# ", prompt, COMMAND_SECONDS); // the shell's, not one from before a reboot
    }

    private static String exec(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(COMMAND_SECONDS, TimeUnit.SECONDS), command + " did not finish");
        assertEquals(0, p.exitValue(), command + ": " + out);
        return out;
    }

    /** The guest's serial console through jvisor's stdin and stdout. */
    private static final class GuestConsole {
        private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
        private final OutputStream keys;
        private int commands;

        /** Reads jvisor's output as it comes, also into {@code log} (for a failure's whole story). */
        GuestConsole(Process jvisor, Path log) throws IOException {
            this.keys = jvisor.getOutputStream();
            InputStream out = jvisor.getInputStream();
            OutputStream copy = java.nio.file.Files.newOutputStream(log);
            Thread.ofPlatform().daemon().start(() -> {
                byte[] buf = new byte[8192];
                try (copy) {
                    for (int n; (n = out.read(buf)) > 0; ) {
                        synchronized (seen) {
                            seen.write(buf, 0, n);
                        }
                        copy.write(buf, 0, n);
                        copy.flush();
                    }
                } catch (IOException e) {
                    // jvisor ended
                }
            });
        }

        String text() {
            synchronized (seen) {
                return seen.toString(StandardCharsets.ISO_8859_1); // a char per byte: positions are lengths
            }
        }

        String tail() {
            String t = text();
            return t.substring(Math.max(0, t.length() - 4000));
        }

        int length() {
            synchronized (seen) {
                return seen.size();
            }
        }

        void type(String s) throws IOException {
            keys.write(s.getBytes(StandardCharsets.UTF_8));
            keys.flush();
        }

        int await(String marker, int from, long seconds) throws InterruptedException, TimeoutException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (System.nanoTime() < deadline) {
                int at = text().indexOf(marker, from);
                if (at >= 0) return at;
                Thread.sleep(200);
            }
            throw new TimeoutException("no '" + marker + "' on the console after " + seconds + " s; its end:\n" + tail());
        }

        /**
         * Types {@code command} and returns its output, between markers only the shell's echo
         * commands make (the terminal's echo of the typed line shows them with quotes inside,
         * and may redraw it: readline on a serial line).
         */
        String run(String command) throws Exception {
            int n = ++commands;
            int from = length();
            type("echo \"@@BE\"\"GIN" + n + "\"; " + command + "; echo \"@@EN\"\"D" + n + "\"\n");
            int begin = await("@@BEGIN" + n, from, COMMAND_SECONDS);
            int end = await("@@END" + n, begin, COMMAND_SECONDS);
            String text = text().substring(text().indexOf('\n', begin) + 1, end).replace("\r", "");
            List<String> lines = new ArrayList<>(); // kernel messages are not the command's
            for (String l : text.split("\n")) {
                if (!l.matches("\\[ *\\d+\\.\\d+\\] .*")) lines.add(l);
            }
            return String.join("\n", lines).replaceAll("\u001b\\[[0-9;?]*[a-zA-Z]", "");
        }
    }
}
