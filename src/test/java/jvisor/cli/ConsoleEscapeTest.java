package jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console's Ctrl-A escapes through pipes, as scripts send them: one typed before the machine
 * exists (the JVM still starting, a restore still mapping memory) waits for it, like typed text,
 * rather than being dropped while the guest runs on.
 */
class ConsoleEscapeTest {
    @TempDir Path dir;

    @Test
    void ctrlAXTypedBeforeTheMachineStartsEndsTheRun() throws Exception {
        Path spin = Files.write(dir.resolve("spin.bin"), new byte[] {0x6f, 0, 0, 0}); // j . (forever)
        Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "jvisor.cli.Main",
                "run", "--bios", "none", "--kernel", spin.toString())).redirectErrorStream(true).start();
        try {
            OutputStream in = p.getOutputStream();
            in.write(new byte[] {1, 'x'}); // at once: the JVM has not built the machine yet
            in.flush();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "jvisor ran on after Ctrl-A X");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("Terminated"), out);
        } finally {
            p.destroyForcibly();
        }
    }
}
