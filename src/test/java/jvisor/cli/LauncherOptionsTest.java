package jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The JVM options the launcher runs jvisor with (tools/jdk.sh): HotSpot accepts all of them,
 * the compiler directives file included, and prints nothing of its own on stdout, which belongs
 * to jvisor's output (HotSpot announces a directives file there unless told otherwise).
 */
class LauncherOptionsTest {
    @Test
    void jvisorsOwnOutputAloneOnStdout() throws IOException, InterruptedException {
        Path root = Path.of("").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder("bash", "-c",
                ". tools/jdk.sh && exec \"$JAVA_HOME/bin/java\" \"${JVISOR_JVM_OPTS[@]}\" -cp \"$CP\" jvisor.cli.Main --version")
                .directory(root.toFile());
        pb.environment().put("CP", System.getProperty("java.class.path"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the JVM did not exit");
        assertEquals(0, p.exitValue(), err);
        assertEquals(1, out.lines().count(), "stdout: " + out);
        assertTrue(out.startsWith("jvisor "), "stdout: " + out);
        assertEquals("", err.strip(), "stderr");
    }
}
