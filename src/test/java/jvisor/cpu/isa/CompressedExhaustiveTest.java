package jvisor.cpu.isa;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jvisor.cpu.Decoded;
import jvisor.cpu.Decoder;
import jvisor.cpu.Op;
import jvisor.firmware.ElfImage;
import jvisor.testing.Assembler;
import org.junit.jupiter.api.Test;

/**
 * All 49,152 16-bit encodings against GNU binutils as an independent reference: objdump
 * disassembles each one to the instruction it stands for (or marks it reserved), the assembler
 * encodes that instruction in its 32-bit form, and jvisor's decoding of the 16-bit encoding must
 * equal its decoding of the 32-bit one. Encodings objdump calls reserved must decode as illegal;
 * HINTs (printed with a {@code c.} prefix) must merely be legal ({@link CompressedTest} runs some).
 */
class CompressedExhaustiveTest {
    private static final Pattern LINE =
            Pattern.compile("\\s+([0-9a-f]+):\\t([0-9a-f]{4})\\s+\\t(\\S+)\\t?(.*)");

    /** The one code point objdump accepts but the spec reserves: c.addi16sp with nzimm = 0. */
    private static final int ADDI16SP_ZERO = 0x6101;

    @Test
    void everyEncodingDecodesLikeItsExpansion() throws Exception {
        Path dir = Files.createTempDirectory("rvc");
        try {
            // Halfword c at byte offset 2c; 32-bit prefixes (low bits 11) become 0 so every
            // halfword is disassembled on its own.
            byte[] all = new byte[1 << 17];
            for (int c = 0; c < 1 << 16; c++) {
                int v = (c & 3) == 3 ? 0 : c;
                all[2 * c] = (byte) v;
                all[2 * c + 1] = (byte) (v >>> 8);
            }
            Path bin = dir.resolve("all16.bin");
            Files.write(bin, all);
            String listing = exec(dir, "riscv64-unknown-elf-objdump", "-D", "-b", "binary", "-m", "riscv:rv64",
                    bin.toString());

            TreeSet<Integer> reserved = new TreeSet<>(), hints = new TreeSet<>();
            List<Integer> encodings = new ArrayList<>();
            StringBuilder src = new StringBuilder(".globl _start\n_start:\n.option norvc\n.option norelax\n");
            for (String line : listing.split("\n")) {
                Matcher m = LINE.matcher(line);
                if (!m.matches()) continue;
                int addr = Integer.parseInt(m.group(1), 16), c = Integer.parseInt(m.group(2), 16);
                String mn = m.group(3), ops = m.group(4).trim();
                if (addr != 2 * c || (c & 3) == 3) continue;
                if (mn.equals("unimp") || mn.startsWith(".")) { reserved.add(c); continue; }
                if (mn.startsWith("c.")) { hints.add(c); continue; }
                if (mn.equals("j") || mn.equals("beqz") || mn.equals("bnez")) {
                    // objdump prints the absolute target; re-express it relative to the instruction
                    String[] parts = ops.split(",");
                    long target = Long.parseLong(parts[parts.length - 1].trim().split("\\s")[0].replace("0x", ""), 16);
                    String rel = String.format(".%+d", target - addr);
                    ops = parts.length > 1 ? parts[0] + "," + rel : rel;
                } else if (mn.equals("mv")) {
                    // c.mv expands to add rd, x0, rs2, while the mv alias assembles to addi
                    String[] parts = ops.split(",");
                    mn = "add";
                    ops = parts[0] + ",zero," + parts[1];
                }
                src.append(mn).append(' ').append(ops).append('\n');
                encodings.add(c);
            }
            assertTrue(encodings.size() > 46_000, "objdump's listing parsed: " + encodings.size() + " instructions");

            byte[] text = ElfImage.read(Assembler.assemble(src.toString())).segments().get(0).fileBytes();
            assertEquals(4 * encodings.size(), text.length, "one 4-byte instruction per 16-bit encoding");
            int mismatches = 0;
            StringBuilder report = new StringBuilder();
            for (int i = 0; i < encodings.size(); i++) {
                int c = encodings.get(i);
                int ref = (text[4 * i] & 0xff) | (text[4 * i + 1] & 0xff) << 8 | (text[4 * i + 2] & 0xff) << 16
                        | (text[4 * i + 3] & 0xff) << 24;
                long want = c == ADDI16SP_ZERO ? Decoder.ILLEGAL | Decoded.COMPRESSED
                        : Decoder.decode32(ref) | Decoded.COMPRESSED;
                long got = Decoder.decode16(c);
                if (got != want && mismatches++ < 20) {
                    report.append(String.format("%n  0x%04x: expands like 0x%08x, decoded 0x%x, expected 0x%x", c, ref, got, want));
                }
            }
            assertEquals(0, mismatches, "16-bit encodings decoded unlike their 32-bit equivalents:" + report);

            for (int c : reserved) {
                assertEquals(Op.ILLEGAL, Decoded.op(Decoder.decode16(c)), String.format("reserved 0x%04x", c));
            }
            assertTrue(reserved.size() > 2000, "reserved encodings found: " + reserved.size());
            for (int c : hints) {
                assertTrue(Decoded.op(Decoder.decode16(c)) != Op.ILLEGAL, String.format("HINT 0x%04x must be legal", c));
            }
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        }
    }

    private static String exec(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
        return out;
    }
}
