package jvisor.storage;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Debian's qemu-img (package qemu-utils), the reference for qcow2; tests skip without it. */
final class QemuImg {
    private QemuImg() {}

    record Result(int status, String output) {}

    static boolean available() {
        try {
            return run("--version").status == 0;
        } catch (IOException e) {
            return false;
        }
    }

    static void assumeAvailable() { assumeTrue(available(), "qemu-img (qemu-utils) is not installed"); }

    static Result run(String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("qemu-img");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("qemu-img " + String.join(" ", args) + " timed out");
            }
            return new Result(p.exitValue(), out);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** Runs qemu-img and fails unless it exits with 0. */
    static String ok(String... args) throws IOException {
        Result r = run(args);
        if (r.status != 0) throw new AssertionError("qemu-img " + String.join(" ", args) + " exited with " + r.status + ":\n" + r.output);
        return r.output;
    }

    /** qemu-img check must find no errors and no leaks. */
    static void checkClean(java.nio.file.Path image) throws IOException {
        Result r = run("check", image.toString());
        if (r.status != 0 || !r.output.contains("No errors were found")) {
            throw new AssertionError("qemu-img check " + image + " exited with " + r.status + ":\n" + r.output);
        }
    }
}
