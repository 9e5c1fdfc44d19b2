package jvisor.firmware;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import jvisor.memory.GuestRam;

/**
 * A 64-bit little-endian RISC-V ELF executable (ELF spec; RISC-V ELF psABI): its loadable
 * segments at their physical addresses, its entry point and its symbol table. Every offset and
 * size is checked, so a damaged file gives a clear error, never a host exception.
 */
public final class ElfImage {
    private static final int EM_RISCV = 243, PT_LOAD = 1, SHT_SYMTAB = 2;

    /** A loadable segment: {@code fileBytes} at {@code paddr}, zero-filled up to {@code memSize}. */
    public record Segment(long paddr, byte[] fileBytes, long memSize) {}

    private final String name;
    private final long entry;
    private final List<Segment> segments;
    private final Map<String, Long> symbols;

    private ElfImage(String name, long entry, List<Segment> segments, Map<String, Long> symbols) {
        this.name = name;
        this.entry = entry;
        this.segments = segments;
        this.symbols = symbols;
    }

    public static boolean isElf(byte[] data) {
        return data.length >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' && data[3] == 'F';
    }

    public static ElfImage read(Path file) throws IOException {
        return parse(file.toString(), Files.readAllBytes(file));
    }

    public static ElfImage parse(String name, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (!isElf(data) || data.length < 64) throw bad(name, "not an ELF file");
        if (data[4] != 2 || data[5] != 1) throw bad(name, "not a 64-bit little-endian ELF (RV64 needs ELFCLASS64, LSB)");
        if (b.getShort(18) != EM_RISCV) throw bad(name, "not a RISC-V ELF (e_machine " + b.getShort(18) + ")");
        long entry = b.getLong(24);
        long phoff = b.getLong(32), shoff = b.getLong(40);
        int phentsize = b.getShort(54) & 0xffff, phnum = b.getShort(56) & 0xffff;
        int shentsize = b.getShort(58) & 0xffff, shnum = b.getShort(60) & 0xffff;

        List<Segment> segments = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            int ph = checkedOffset(name, data, phoff + (long) i * phentsize, 56);
            if (b.getInt(ph) != PT_LOAD) continue;
            long offset = b.getLong(ph + 8), paddr = b.getLong(ph + 24);
            long filesz = b.getLong(ph + 32), memsz = b.getLong(ph + 40);
            if (filesz > memsz || filesz > Integer.MAX_VALUE) throw bad(name, "segment " + i + " has a bad size");
            int from = checkedOffset(name, data, offset, filesz);
            byte[] bytes = new byte[(int) filesz];
            System.arraycopy(data, from, bytes, 0, bytes.length);
            segments.add(new Segment(paddr, bytes, memsz));
        }
        if (segments.isEmpty()) throw bad(name, "has no loadable segment");

        Map<String, Long> symbols = new HashMap<>();
        if (shoff != 0) {
            for (int i = 0; i < shnum; i++) {
                int sh = checkedOffset(name, data, shoff + (long) i * shentsize, 64);
                if (b.getInt(sh + 4) != SHT_SYMTAB) continue;
                long symOff = b.getLong(sh + 24), symSize = b.getLong(sh + 32);
                int link = b.getInt(sh + 40);
                int strSh = checkedOffset(name, data, shoff + (long) link * shentsize, 64);
                long strOff = b.getLong(strSh + 24), strSize = b.getLong(strSh + 32);
                int strBase = checkedOffset(name, data, strOff, strSize);
                int base = checkedOffset(name, data, symOff, symSize);
                for (long s = 0; s + 24 <= symSize; s += 24) {
                    int at = base + (int) s;
                    int nameOff = b.getInt(at);
                    if (nameOff <= 0 || nameOff >= strSize) continue;
                    int end = strBase + nameOff;
                    while (end < strBase + strSize && data[end] != 0) end++;
                    String sym = new String(data, strBase + nameOff, end - strBase - nameOff, StandardCharsets.UTF_8);
                    symbols.putIfAbsent(sym, b.getLong(at + 8));
                }
            }
        }
        return new ElfImage(name, entry, List.copyOf(segments), Map.copyOf(symbols));
    }

    private static int checkedOffset(String name, byte[] data, long offset, long len) throws IOException {
        if (offset < 0 || len < 0 || offset > data.length - len) {
            throw bad(name, "is truncated or damaged (offset " + offset + " + " + len + " beyond " + data.length + " bytes)");
        }
        return (int) offset;
    }

    private static IOException bad(String name, String why) {
        return new IOException(name + ": " + why);
    }

    public long entry() { return entry; }
    public List<Segment> segments() { return segments; }

    /** Address of a symbol, or -1 when the file has no such symbol. */
    public long symbol(String sym) { return symbols.getOrDefault(sym, -1L); }

    /** Copies every segment into RAM; throws with a clear message if one does not fit. */
    public void loadInto(GuestRam ram) throws IOException {
        for (Segment s : segments) {
            if (!ram.contains(s.paddr(), s.memSize())) {
                throw new IOException(String.format("%s: segment at 0x%x (%d bytes) is outside RAM [0x%x, 0x%x); "
                        + "link it inside RAM or give more --memory", name, s.paddr(), s.memSize(), ram.base(), ram.end()));
            }
            ram.load(s.paddr(), s.fileBytes(), 0, s.fileBytes().length);
            long zeros = s.memSize() - s.fileBytes().length;
            if (zeros > 0) ram.segment().asSlice(s.paddr() + s.fileBytes().length - ram.base(), zeros).fill((byte) 0);
        }
    }
}
