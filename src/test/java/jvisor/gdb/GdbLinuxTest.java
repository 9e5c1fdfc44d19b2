package jvisor.gdb;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jvisor.testing.GdbBatch;
import jvisor.testing.LinuxGuest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Debian's gdb against Debian's kernel on two harts with the JIT on. The test guest's kernel is
 * an Image without symbols, so the guest's /proc/kallsyms supplies them: the test turns the
 * addresses it needs into a symbol-only ELF for gdb. A shell loop keeps a hart busy writing, so
 * ksys_write runs and the timer tick updates jiffies.
 */
@Tag("system")
class GdbLinuxTest {
    @TempDir Path dir;

    @Test
    void breakStepRegistersMemoryWatchInterruptAndDetach() throws Exception {
        GdbBatch.assumeAvailable();
        GdbServer server = new GdbServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        try (server; LinuxGuest g = LinuxGuest.boot(256L << 20, 2, List.of(), List.of(),
                m -> server.serve(m, false), Duration.ofMinutes(5))) {
            Map<String, Long> syms = kallsyms(g, "ksys_write", "jiffies");
            Path symbols = symbolFile(syms);
            g.ok("(while :; do echo x > /dev/null; done &)");

            String out = GdbBatch.run(symbols, server.port(), List.of(
                    "info threads",
                    "break *ksys_write",
                    "continue",
                    "p/x $pc",
                    "delete",
                    "p $minstret",
                    "stepi 100",
                    "p $minstret",
                    "p/x $satp",
                    "set $saved = $t6",
                    "set $t6 = 0x5a5a5a5a",
                    "p/x $t6",
                    "set $t6 = $saved",
                    "set $j = *(long*)&jiffies",
                    "set var *(long*)&jiffies = 0x123456789",
                    "p/x *(long*)&jiffies",
                    "set var *(long*)&jiffies = $j",
                    "watch *(long*)&jiffies",
                    "continue",
                    "delete",
                    "echo INTERRUPT\\n",
                    "continue",
                    "info threads",
                    "detach"), Duration.ofMinutes(3));

            assertTrue(out.contains("Thread 1 (hart 0)") && out.contains("Thread 2 (hart 1)"), out);
            assertTrue(out.contains("Breakpoint 1, 0x") && out.contains("in ksys_write ()"), out);
            assertTrue(out.contains("= 0x" + Long.toHexString(syms.get("ksys_write"))), "pc at ksys_write:\n" + out);
            long[] instret = numbers(out, "\\$\\d+ = (\\d+)\\n", 2);
            // At least 100: gdb steps over an LR/SC sequence by planting a breakpoint after it and
            // continuing, and kernel code has those (GdbBareMetalTest checks exactly 100).
            assertTrue(instret[1] - instret[0] >= 100, "stepi 100 retires 100 instructions or more:\n" + out);
            assertTrue(Pattern.compile("= 0x[89a][0-9a-f]{15}\\n").matcher(out).find(), "Sv39/48/57 satp:\n" + out);
            assertTrue(out.contains("= 0x5a5a5a5a"), "register write:\n" + out);
            assertTrue(out.contains("= 0x123456789"), "memory write by virtual address:\n" + out);
            assertTrue(out.contains("Hardware watchpoint 2") && out.contains("New value = "), "watchpoint:\n" + out);
            assertTrue(out.contains("received signal SIGINT"), "Ctrl-C:\n" + out);
            assertTrue(out.contains("detached"), out);

            assertTrue(g.ok("echo still-running").contains("still-running"), "the guest runs on after detach");
        }
    }

    /** Addresses of {@code names} from the guest's /proc/kallsyms. */
    private static Map<String, Long> kallsyms(LinuxGuest g, String... names) {
        String text = g.ok("grep -E ' (" + String.join("|", names) + ")$' /proc/kallsyms");
        Map<String, Long> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3) m.putIfAbsent(f[2], Long.parseUnsignedLong(f[0], 16));
        }
        for (String n : names) {
            assumeTrue(m.getOrDefault(n, 0L) != 0, "kallsyms hides " + n + ":\n" + text);
        }
        return m;
    }

    /** An ELF with only symbols (functions, or 8-byte objects for data), at the kernel's addresses. */
    private Path symbolFile(Map<String, Long> syms) throws Exception {
        long base = syms.values().stream().min(Long::compareUnsigned).orElseThrow();
        StringBuilder s = new StringBuilder("  .section .ksyms,\"ax\",@nobits\n");
        syms.entrySet().stream().sorted((a, b) -> Long.compareUnsigned(a.getValue(), b.getValue())).forEach(e -> {
            boolean data = e.getKey().equals("jiffies");
            s.append("  .org 0x").append(Long.toHexString(e.getValue() - base)).append('\n')
                    .append("  .globl ").append(e.getKey()).append('\n')
                    .append("  .type ").append(e.getKey()).append(data ? ", @object\n" : ", @function\n")
                    .append(e.getKey()).append(":\n  .skip 8\n");
        });
        Path src = dir.resolve("ksyms.S"), obj = dir.resolve("ksyms.o"), elf = dir.resolve("ksyms.elf");
        Files.writeString(src, s.toString());
        exec("riscv64-unknown-elf-as", "-o", obj.toString(), src.toString());
        exec("riscv64-unknown-elf-ld", "-e", "0", "--section-start=.ksyms=0x" + Long.toHexString(base), "-o", elf.toString(), obj.toString());
        return elf;
    }

    private static void exec(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, String.join(" ", cmd) + ":\n" + log);
    }

    /** The first {@code n} matches of a one-group numeric pattern whose values exceed 1000. */
    private static long[] numbers(String out, String regex, int n) {
        Matcher m = Pattern.compile(regex).matcher(out);
        long[] v = new long[n];
        int i = 0;
        while (i < n && m.find()) {
            long x = Long.parseLong(m.group(1));
            if (x > 1000) v[i++] = x;
        }
        return v;
    }
}
