package jvisor.images;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What the dynamic loader needs to run a 64-bit little-endian ELF program or library: its
 * interpreter ({@code PT_INTERP}, null for a library) and the shared libraries it names
 * ({@code DT_NEEDED} in {@code PT_DYNAMIC}), as {@code readelf -d} shows them (ELF gABI,
 * "Dynamic Section"). This lets the host pick the libraries a guest program loads from its
 * packages without running it.
 */
record ElfDynamic(String interpreter, List<String> needed) {
    private static final int PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3;
    private static final long DT_NULL = 0, DT_NEEDED = 1, DT_STRTAB = 5;

    static ElfDynamic parse(byte[] elf, String name) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 64 || b.getInt(0) != 0x464c457f || elf[4] != 2 || elf[5] != 1) {
            throw new IOException(name + " is not a 64-bit little-endian ELF file");
        }
        long phoff = b.getLong(0x20);
        int phentsize = Short.toUnsignedInt(b.getShort(0x36)), phnum = Short.toUnsignedInt(b.getShort(0x38));
        List<long[]> loads = new ArrayList<>(); // {vaddr, offset, filesz}
        String interpreter = null;
        long dynOff = -1, dynSize = 0;
        for (int i = 0; i < phnum; i++) {
            int ph = within(elf, phoff + (long) i * phentsize, 56, name);
            int type = b.getInt(ph);
            long offset = b.getLong(ph + 8), vaddr = b.getLong(ph + 16), filesz = b.getLong(ph + 32);
            if (type == PT_LOAD) loads.add(new long[] {vaddr, offset, filesz});
            else if (type == PT_DYNAMIC) { dynOff = offset; dynSize = filesz; }
            else if (type == PT_INTERP) interpreter = cString(elf, within(elf, offset, filesz, name), name);
        }
        if (dynOff < 0) return new ElfDynamic(interpreter, List.of()); // static
        int dyn = within(elf, dynOff, dynSize, name);
        List<Long> neededAt = new ArrayList<>();
        long strtab = -1;
        for (int e = dyn; e + 16 <= dyn + dynSize; e += 16) {
            long tag = b.getLong(e), value = b.getLong(e + 8);
            if (tag == DT_NULL) break;
            if (tag == DT_NEEDED) neededAt.add(value);
            else if (tag == DT_STRTAB) strtab = value;
        }
        if (neededAt.isEmpty()) return new ElfDynamic(interpreter, List.of());
        if (strtab < 0) throw new IOException(name + " names libraries but has no DT_STRTAB");
        long strOff = fileOffset(loads, strtab, name); // DT_STRTAB is an address, not a file offset
        List<String> needed = new ArrayList<>();
        for (long at : neededAt) needed.add(cString(elf, within(elf, strOff + at, 1, name), name));
        return new ElfDynamic(interpreter, List.copyOf(needed));
    }

    private static long fileOffset(List<long[]> loads, long vaddr, String name) throws IOException {
        for (long[] l : loads) if (vaddr >= l[0] && vaddr < l[0] + l[2]) return vaddr - l[0] + l[1];
        throw new IOException(name + ": DT_STRTAB 0x" + Long.toHexString(vaddr) + " is in no loadable segment");
    }

    private static int within(byte[] elf, long offset, long len, String name) throws IOException {
        if (offset < 0 || len < 0 || offset > elf.length - len) throw new IOException(name + " is truncated or damaged");
        return (int) offset;
    }

    private static String cString(byte[] data, int off, String name) throws IOException {
        int end = off;
        while (end < data.length && data[end] != 0) end++;
        if (end == data.length) throw new IOException(name + " is truncated or damaged (an unterminated string)");
        return new String(data, off, end - off, StandardCharsets.UTF_8);
    }
}
