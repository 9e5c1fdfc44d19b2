package jvisor.fuzz;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs a program as a static Linux executable under qemu-riscv64, the reference. */
final class QemuRun {
    private QemuRun() {}

    static boolean available() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "qemu-riscv64"))) return true;
        }
        return false;
    }

    static RunResult run(Program p, Path dir) throws IOException, InterruptedException {
        Path elf = Files.createTempFile(dir, "fuzz-" + p.seed + "-", ".elf");
        try {
            Files.write(elf, p.elf(Program.CODE));
            elf.toFile().setExecutable(true); // qemu-riscv64 refuses to load it otherwise (exit 1, no message)
            Process proc = new ProcessBuilder("qemu-riscv64", elf.toString()).redirectErrorStream(false).start();
            proc.getOutputStream().close();
            byte[] out = proc.getInputStream().readAllBytes();
            if (!proc.waitFor(60, TimeUnit.SECONDS)) {
                proc.destroyForcibly();
                return RunResult.failed("qemu", "timed out");
            }
            String err = new String(proc.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (proc.exitValue() != 0 || out.length != Program.STATE_SIZE) {
                return RunResult.failed("qemu", "exit " + proc.exitValue() + ", " + out.length + " bytes out" + (err.isEmpty() ? "" : ": " + err));
            }
            return new RunResult("qemu", out, null, 0, 0);
        } finally {
            Files.deleteIfExists(elf);
        }
    }
}
