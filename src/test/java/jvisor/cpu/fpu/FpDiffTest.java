package jvisor.cpu.fpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import jvisor.testing.Guest;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A small sample of the differential test in tools/fpdiff: the same C program runs under
 * qemu-riscv64 (reference) and, bare-metal, on jvisor in-process; every output line must match.
 * The full run is {@code tools/fpdiff/run.sh 1000000}. Needs gcc-riscv64-linux-gnu and qemu-user;
 * outside CI the test is skipped when they are missing.
 */
class FpDiffTest {
    private static final int CASES = 20_000;

    @Test
    void jvisorMatchesQemu() throws Exception {
        boolean ci = "true".equals(System.getenv("CI"));
        boolean tools = onPath("riscv64-linux-gnu-gcc") && onPath("qemu-riscv64");
        if (!tools && ci) fail("CI needs gcc-riscv64-linux-gnu and qemu-user for the fpdiff test");
        Assumptions.assumeTrue(tools, "riscv64-linux-gnu-gcc or qemu-riscv64 missing");

        Path out = Path.of("target", "fpdiff").toAbsolutePath();
        exec(List.of("bash", "tools/fpdiff/build.sh", out.toString(), Integer.toString(CASES), "1"), null);
        Path ref = out.resolve("qemu.txt");
        exec(List.of("qemu-riscv64", out.resolve("fpdiff-linux").toString()), ref);
        List<String> want = Files.readAllLines(ref, StandardCharsets.US_ASCII);

        Guest.Result r = Guest.runElf(out.resolve("fpdiff.elf"));
        assertEquals(0, r.status(), "guest exit status");
        List<String> got = r.console().lines().toList();

        List<String> bad = new ArrayList<>();
        for (int i = 0; i < Math.max(want.size(), got.size()); i++) {
            String w = i < want.size() ? want.get(i) : "<missing>", g = i < got.size() ? got.get(i) : "<missing>";
            if (!w.equals(g) && bad.size() < 40) bad.add("qemu:   " + w + "\njvisor: " + g);
        }
        assertEquals(CASES + 1, want.size(), "reference line count");
        if (!bad.isEmpty()) fail(bad.size() + "+ mismatches:\n" + String.join("\n", bad));
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }

    private static void exec(List<String> cmd, Path stdout) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(stdout == null);
        if (stdout != null) pb.redirectOutput(stdout.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String log = stdout == null ? new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8) : "";
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            fail(cmd + " timed out");
        }
        if (p.exitValue() != 0) fail(cmd + " failed (" + p.exitValue() + "):\n" + log);
    }
}
