package jvisor.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Assembles test programs with Debian's RISC-V cross binutils (binutils-riscv64-unknown-elf,
 * installed by .ci/run) into bare-metal ELF files linked at 0x8000_0000. Results are cached by
 * content under target/test-asm, so reruns are quick.
 */
public final class Assembler {
    private Assembler() {}

    private static final Path CACHE = Path.of("target", "test-asm").toAbsolutePath();
    private static final String PREFIX = "riscv64-unknown-elf-";
    public static final String MARCH = "rv64gc_zicsr_zifencei";

    private static final String LINKER_SCRIPT = """
            OUTPUT_ARCH(riscv)
            ENTRY(_start)
            SECTIONS {
              . = 0x80000000;
              .text : { *(.text.init) *(.text .text.*) }
              . = ALIGN(0x1000);
              .tohost : { *(.tohost) }
              . = ALIGN(0x1000);
              .data : { *(.data .data.* .rodata .rodata.* .sdata .sdata.* .bss .bss.* .sbss .sbss.*) }
              _end = .;
            }
            """;

    /** Assembles and links {@code source}; returns the ELF path. */
    public static Path assemble(String source) throws IOException, InterruptedException {
        Files.createDirectories(CACHE);
        String key = sha256(MARCH + "\n" + LINKER_SCRIPT + "\n" + source);
        Path elf = CACHE.resolve(key + ".elf");
        if (Files.exists(elf)) return elf;
        Path dir = Files.createTempDirectory(CACHE, "build");
        try {
            Path src = dir.resolve("prog.S"), obj = dir.resolve("prog.o"), ld = dir.resolve("link.ld");
            Path out = dir.resolve("prog.elf");
            Files.writeString(src, source);
            Files.writeString(ld, LINKER_SCRIPT);
            exec(dir, List.of(PREFIX + "as", "-march=" + MARCH, "-mabi=lp64d", "-o", obj.toString(), src.toString()));
            exec(dir, List.of(PREFIX + "ld", "-T", ld.toString(), "--no-warn-rwx-segments", "-o", out.toString(), obj.toString()));
            Files.move(out, elf, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            return elf;
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    /** The loadable bytes of an ELF {@link #assemble} built, as a flat binary (objcopy -O binary). */
    public static byte[] flatBinary(Path elf) throws IOException, InterruptedException {
        Path bin = elf.resolveSibling(elf.getFileName() + ".bin");
        if (!Files.exists(bin)) {
            Path tmp = Files.createTempFile(CACHE, "flat", ".bin");
            exec(CACHE, List.of(PREFIX + "objcopy", "-O", "binary", elf.toString(), tmp.toString()));
            Files.move(tmp, bin, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        return Files.readAllBytes(bin);
    }

    private static void exec(Path dir, List<String> cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException(cmd.get(0) + " not found: install binutils-riscv64-unknown-elf (.ci/run does)", e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed:\n" + output);
        }
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
