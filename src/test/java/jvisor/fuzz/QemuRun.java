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

    static RunResult run(Program p, Path dir, int timeoutSeconds) throws IOException, InterruptedException {
        Path elf = Files.createTempFile(dir, "fuzz-" + p.seed + "-", ".elf");
        try {
            Files.write(elf, p.elf(Program.CODE));
            elf.toFile().setExecutable(true); // qemu-riscv64 refuses to load it otherwise (exit 1, no message)
            Process proc = new ProcessBuilder("qemu-riscv64", elf.toString()).redirectErrorStream(false).start();
            proc.getOutputStream().close();
            // a program that never ends must not hang the read: the timer kills it
            java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
            Thread.ofVirtual().start(() -> {
                try {
                    if (proc.waitFor(timeoutSeconds, TimeUnit.SECONDS)) return;
                } catch (InterruptedException e) {
                    // nobody interrupts it
                }
                killed.set(true);
                proc.destroyForcibly();
            });
            byte[] out;
            try {
                out = proc.getInputStream().readAllBytes();
                proc.waitFor();
            } catch (IOException e) {
                if (!killed.get()) throw e;
                out = new byte[0];
            }
            if (killed.get()) return RunResult.failed("qemu", "timed out after " + timeoutSeconds + " s");
            String err = new String(proc.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (proc.exitValue() != 0 || out.length != Program.STATE_SIZE) {
                return RunResult.failed("qemu", "exit " + proc.exitValue() + ", " + out.length + " bytes out" + (err.isEmpty() ? "" : ": " + err));
            }
            return new RunResult("qemu", out, null, 0, 0, null);
        } finally {
            Files.deleteIfExists(elf);
        }
    }
}
