package jvisor.web;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's chromium, headless, driven by its chromium-driver through Selenium: one browser
 * session on the web console, with the few steps the test repeats.
 */
final class Browser implements AutoCloseable {
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static final List<Path> CHROMIUM = List.of(Path.of("/usr/lib/chromium/chromium"), Path.of("/usr/bin/chromium"));

    /** Selenium warns that it has no DevTools binding for this chromium's version: none is used. */
    private static final java.util.logging.Logger QUIET = java.util.logging.Logger.getLogger("org.openqa.selenium.devtools");

    final ChromeDriver driver;
    private final URI base;

    /** Skips the calling test unless chromium and chromium-driver are installed (.ci/run installs them). */
    static void assumeAvailable() {
        assumeTrue(Files.isExecutable(DRIVER) && chromium() != null,
                "no chromium and chromium-driver (apt-get install chromium chromium-driver)");
    }

    private static Path chromium() {
        return CHROMIUM.stream().filter(Files::isExecutable).findFirst().orElse(null);
    }

    /** A new browser (its own profile, so its own sessionStorage) with a 1280x800 viewport. */
    static Browser open(URI base) {
        QUIET.setLevel(java.util.logging.Level.SEVERE);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium().toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,800", "--force-device-scale-factor=1", "--hide-scrollbars",
                "--no-first-run", "--disable-extensions", "--disable-background-networking", "--lang=en-US");
        org.openqa.selenium.logging.LoggingPreferences logs = new org.openqa.selenium.logging.LoggingPreferences();
        logs.enable(org.openqa.selenium.logging.LogType.BROWSER, java.util.logging.Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .withLogOutput(java.io.OutputStream.nullOutputStream()).build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
        Browser b = new Browser(driver, base);
        driver.get(base + "/");
        // --window-size is the window's: grow it by the browser's own bars so the page gets 1280x800.
        long w = ((Number) b.js("return window.outerWidth - window.innerWidth")).longValue();
        long h = ((Number) b.js("return window.outerHeight - window.innerHeight")).longValue();
        if (w > 0 || h > 0) driver.manage().window().setSize(new org.openqa.selenium.Dimension(1280 + (int) w, 800 + (int) h));
        return b;
    }

    private Browser(ChromeDriver driver, URI base) {
        this.driver = driver;
        this.base = base;
    }

    WebElement $(String css) { return driver.findElement(By.cssSelector(css)); }

    List<WebElement> all(String css) { return driver.findElements(By.cssSelector(css)); }

    Object js(String script, Object... args) { return ((JavascriptExecutor) driver).executeScript(script, args); }

    <T> T await(String what, Duration timeout, Function<WebDriver, T> condition) {
        WebDriverWait wait = new WebDriverWait(driver, timeout, Duration.ofMillis(100));
        wait.withMessage(() -> what + "; the page says: " + visibleText());
        return wait.until(condition);
    }

    /** What the page wrote to its console (errors included) since the last call. */
    String consoleLog() {
        StringBuilder sb = new StringBuilder();
        for (var e : driver.manage().logs().get(org.openqa.selenium.logging.LogType.BROWSER)) sb.append(e.getLevel()).append(' ').append(e.getMessage()).append('\n');
        return sb.toString();
    }

    /** The page's visible text, for failure messages. */
    String visibleText() {
        try {
            String t = $("body").getText();
            return t.length() > 3000 ? t.substring(0, 3000) + "..." : t;
        } catch (RuntimeException e) {
            return "(unreadable: " + e + ")";
        }
    }

    void signIn(String token) {
        WebElement input = $("#token");
        input.clear();
        input.sendKeys(token);
        $("#sign-in-form button[type=submit]").click();
    }

    /** The state badge of VM {@code name}'s row ("" while there is no row). */
    String rowState(String name) {
        List<WebElement> b = all("#vm-rows tr[data-vm='" + name + "'] .state");
        return b.isEmpty() ? "" : b.get(0).getText();
    }

    void awaitRowState(String name, String state, Duration timeout) {
        await(name + " to be " + state + " in the list", timeout, d -> rowState(name).equals(state));
    }

    /** Opens VM {@code name}: its panel with the terminal and chart. */
    void openVm(String name) {
        $("#vm-rows tr[data-vm='" + name + "'] button.open").click();
        await(name + "'s panel", Duration.ofSeconds(10), d -> name.equals(js("return window.jvisor.selected()")));
    }

    /** What the open VM's terminal holds (its buffer, scrollback included). */
    String terminalText() {
        Object t = js("return window.jvisor.terminalText()");
        return t == null ? "" : t.toString();
    }

    /** Waits until the terminal holds {@code text}; returns the terminal's text. */
    String awaitTerminal(String text, Duration timeout) {
        return await("'" + text + "' in the terminal", timeout, d -> {
            String t = terminalText();
            return t.contains(text) ? t : null;
        });
    }

    /** Types on the terminal as a person does: keys into xterm.js's input element. */
    void type(String keys) {
        $("#terminal .xterm-helper-textarea").sendKeys(keys);
    }

    void click(String action) {
        $("#actions button[data-action='" + action + "']").click();
    }

    byte[] screenshot() {
        File f = driver.getScreenshotAs(org.openqa.selenium.OutputType.FILE);
        try {
            return Files.readAllBytes(f.toPath());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            f.delete();
        }
    }

    URI base() { return base; }

    @Override
    public void close() {
        driver.quit();
    }
}
