package jvisor.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import jvisor.api.ApiServer;
import jvisor.host.Host;
import jvisor.host.StateDir;
import jvisor.testing.Daemon;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

/**
 * The web console in a real browser (Debian's chromium, headless, through Selenium): a wrong token
 * is refused; signed in, the page creates the Linux test guest, its terminal shows the shell, a
 * command typed there answers, a second browser on the same console sees the same output; pause,
 * resume, a daemon restart (the page and its terminal reconnect), save and delete. Takes the
 * screenshot in docs/HOST.md: target/web-console.png on every run, and docs/web-console.png too
 * when that is missing or with {@code -Djvisor.web.screenshot=update}.
 */
@Tag("system")
class WebConsoleTest {
    private static final Duration BOOT = Duration.ofMinutes(6);
    private static final Duration CMD = Duration.ofMinutes(2);
    private static final Duration UI = Duration.ofSeconds(30);
    private static final Path SCREENSHOT = Path.of("docs/web-console.png");

    @TempDir Path dir;

    /** A daemon in this JVM on a fixed port, so a restarted one is at the page's origin again. */
    private static final class Served implements AutoCloseable {
        final Host host;
        final ApiServer api;
        final String token;
        private boolean closed;

        private Served(Host host, ApiServer api, String token) {
            this.host = host;
            this.api = api;
            this.token = token;
        }

        static Served start(Path state, int port) throws IOException {
            StateDir dir = new StateDir(state);
            String token = dir.token();
            Host host = Host.open(dir, 4L << 30, name -> { throw new IOException("no catalog images in tests"); });
            return new Served(host, ApiServer.start(host, token, new InetSocketAddress("127.0.0.1", port)), token);
        }

        URI uri() { return api.uri(); }
        String token() { return token; }

        /** Stops as SIGTERM does: every running VM is saved (the managed save). */
        @Override
        public void close() throws IOException {
            if (closed) return;
            closed = true;
            api.close();
            host.close();
        }
    }

    @Test
    void theHostInABrowser() throws Exception {
        Browser.assumeAvailable();
        LinuxGuest.assumeAvailable();
        Path state = dir.resolve("state");
        Served daemon = Served.start(state, 0);
        int port = daemon.uri().getPort();
        try (Browser a = Browser.open(daemon.uri())) {
            // The page is public; a wrong token is refused with the API's message, and nothing opens.
            a.await("the sign-in form", UI, d -> a.$("#token").isDisplayed());
            a.signIn("0".repeat(64));
            a.await("the refusal", UI, d -> a.$("#sign-in-error").getText().contains("wrong bearer token"));
            assertFalse(a.$("#app").isDisplayed());
            assertEquals("true", a.$("#token").getDomAttribute("aria-invalid"));

            a.signIn(daemon.token());
            a.await("the VM list", UI, d -> a.$("#app").isDisplayed());
            assertEquals(daemon.token(), a.js("return sessionStorage.getItem('jvisor.token')"));
            assertEquals("", a.$("#token").getDomProperty("value"), "the token leaves the form once signed in");

            // Create the test guest from its kernel and initrd, as a person fills the form.
            Map<String, Object> guest = Daemon.testGuest("web1");
            a.$("#create summary").click();
            a.$("#create-name").sendKeys("web1");
            a.$("#create-source-kernel").click();
            a.$("#create-kernel").sendKeys((String) guest.get("kernel"));
            a.$("#create-initrd").sendKeys((String) guest.get("initrd"));
            a.$("#create-append").sendKeys((String) guest.get("append"));
            WebElement memory = a.$("#create-memory");
            memory.clear();
            memory.sendKeys("128M");
            a.$("#create-form button[type=submit]").click();
            a.awaitRowState("web1", "running", UI);
            a.await("web1 to open", UI, d -> "web1".equals(a.js("return window.jvisor.selected()")));

            // Its terminal shows the boot and the shell; a command typed there answers.
            a.awaitTerminal(LinuxGuest.READY, BOOT);
            a.type("echo $((6*7))\n");
            a.await("42 in the terminal", CMD, d -> Pattern.compile("(?m)^42$").matcher(a.terminalText()).find());

            // A second browser on the same console: the replay, then what either one types.
            try (Browser b = Browser.open(daemon.uri())) {
                b.signIn(daemon.token());
                b.await("the VM list", UI, d -> b.rowState("web1").equals("running"));
                b.openVm("web1");
                b.awaitTerminal(LinuxGuest.READY, CMD); // replayed
                b.await("the replayed answer", CMD, d -> Pattern.compile("(?m)^42$").matcher(b.terminalText()).find());
                a.type("echo both-$((20+3))\n");
                b.awaitTerminal("both-23", CMD);
                a.awaitTerminal("both-23", CMD);
                b.type("echo from-b-$((1+1))\n");
                a.awaitTerminal("from-b-2", CMD);
            }

            // The live numbers: CPU and MIPS in the row and the chart.
            a.await("web1's MIPS", UI, d -> a.$("#vm-rows tr[data-vm='web1'] .mips").getText().matches("[0-9.]+"));
            a.await("the chart", UI, d -> !a.all("#chart .u-over").isEmpty() && a.$("#chart-now").getText().contains("MIPS"));
            // A VM defined elsewhere (here through the API) shows up from the event stream.
            Daemon.client(daemon.uri(), daemon.token()).ok(201, "POST", "/vms", Daemon.testGuest("web2"));
            a.awaitRowState("web2", "defined", UI);

            a.$("#create summary").click(); // folds the form away for the screenshot
            a.type("clear; uname -srm; free -m\n");
            a.awaitTerminal("Mem:", CMD);
            Thread.sleep(4500); // two more samples in the chart
            byte[] png = a.screenshot();
            Files.createDirectories(Path.of("target"));
            Files.write(Path.of("target/web-console.png"), png);
            if (!Files.exists(SCREENSHOT) || "update".equals(System.getProperty("jvisor.web.screenshot"))) {
                Files.write(SCREENSHOT, png);
            }

            // The keyboard's way out of the terminal (which keeps Tab for the shell): Ctrl+].
            a.type(Keys.chord(Keys.CONTROL, "]"));
            assertEquals("start", a.js("return document.activeElement.dataset.action"));

            // Pause and resume: the state follows (from the event stream), and the shell answers after.
            a.click("pause");
            a.awaitRowState("web1", "paused", UI);
            a.await("the panel's state", UI, d -> a.$("#vm-state").getText().equals("paused"));
            assertEquals("true", a.$("#actions [data-action=pause]").getDomAttribute("aria-disabled"));
            a.click("resume");
            a.awaitRowState("web1", "running", UI);
            a.type("echo still-$((2*3))\n");
            a.awaitTerminal("still-6", CMD);

            // Migration: the form sends the API's body and closes once the daemon has taken it; the page
            // follows the migration, and a failure shows the daemon's reason while the VM runs on.
            a.click("migrate");
            a.$("#migrate-to").sendKeys("http://127.0.0.1:1");
            a.$("#migrate-token").sendKeys("f".repeat(64));
            a.$("#migrate-form button[type=submit]").click();
            a.await("the migration's error", CMD, d -> a.$("#action-message").getText().startsWith("Migration of web1 failed: "));
            assertTrue(a.$("#action-message").getText().contains("127.0.0.1:1"), a.$("#action-message").getText());
            a.awaitRowState("web1", "running", UI);
            assertFalse(a.$("#migrate-form").isDisplayed(), "the form closed");

            // The daemon restarts (a managed save, then a restore): the page and its terminal reconnect.
            daemon.close();
            a.await("the page to notice the daemon is gone", UI, d -> a.$("#events-status").getText().contains("Lost the daemon"));
            daemon = Served.start(state, port);
            a.await("the event stream back", UI, d -> a.$("#events-status").getText().isEmpty());
            a.awaitRowState("web1", "running", UI);
            a.await("the console back", UI, d -> Boolean.TRUE.equals(a.js("return window.jvisor.consoleConnected()")));
            a.type("echo back-$((3*3))\n");
            a.awaitTerminal("back-9", CMD);

            // Save, then delete (the page asks first).
            a.click("save");
            a.awaitRowState("web1", "saved", CMD);
            assertTrue(Files.size(state.resolve("saved/web1.jvs")) > 1 << 20);
            a.click("delete");
            a.driver.switchTo().alert().accept();
            a.await("web1 gone from the list", UI, d -> a.all("#vm-rows tr[data-vm='web1']").isEmpty());
            assertFalse(Files.exists(state.resolve("saved/web1.jvs")));
            assertFalse(a.$("#vm-panel").isDisplayed());

            // The token never went into a URL: not the page's, not any request's, not the WebSocket's.
            @SuppressWarnings("unchecked")
            List<String> urls = (List<String>) a.js(
                    "return [location.href].concat(performance.getEntriesByType('resource').map(e => e.name))");
            for (String u : urls) assertFalse(u.contains(daemon.token()), u);

            // No script failed along the way (refused requests and dropped connections are logged, not thrown).
            String log = a.consoleLog();
            assertFalse(log.contains("Uncaught"), log);

            // Signing out forgets it.
            a.$("#sign-out").click();
            a.await("the sign-in form", UI, d -> a.$("#token").isDisplayed());
            assertEquals(null, a.js("return sessionStorage.getItem('jvisor.token')"));
        } finally {
            daemon.close();
        }
    }
}
