package jvisor.images;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code .modinfo} section of a Linux kernel module (an ELF relocatable object): NUL-separated
 * {@code key=value} strings such as {@code depends=jbd2,mbcache} and {@code softdep=pre: crc32c}.
 * This is what depmod reads to write modules.dep; Debian's kernel package ships no modules.dep
 * (depmod runs at install time), so the initramfs builder reads the modules itself.
 */
record ModInfo(List<String> depends, List<String> softPre) {
    static ModInfo parse(byte[] ko, String name) {
        ByteBuffer b = ByteBuffer.wrap(ko).order(ByteOrder.LITTLE_ENDIAN);
        if (ko.length < 64 || b.getInt(0) != 0x464c457f || ko[4] != 2 || ko[5] != 1) {
            throw new IllegalArgumentException(name + " is not a 64-bit little-endian ELF module");
        }
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3a));
        int shnum = Short.toUnsignedInt(b.getShort(0x3c));
        int shstrndx = Short.toUnsignedInt(b.getShort(0x3e));
        long strOff = b.getLong((int) (shoff + (long) shstrndx * shentsize) + 0x18);
        List<String> depends = new ArrayList<>();
        List<String> softPre = new ArrayList<>();
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * shentsize);
            String section = cString(ko, (int) (strOff + b.getInt(sh)));
            if (!section.equals(".modinfo")) continue;
            int off = (int) b.getLong(sh + 0x18);
            int end = off + (int) b.getLong(sh + 0x20);
            for (int p = off; p < end; ) {
                String entry = cString(ko, p);
                p += entry.length() + 1;
                if (entry.startsWith("depends=")) {
                    for (String d : entry.substring(8).split(",")) if (!d.isBlank()) depends.add(d.strip());
                } else if (entry.startsWith("softdep=")) {
                    softPre.addAll(preDependencies(entry.substring(8)));
                }
            }
        }
        return new ModInfo(List.copyOf(depends), List.copyOf(softPre));
    }

    /** The names after {@code pre:} in a softdep ("pre: a b post: c" gives a, b). */
    private static List<String> preDependencies(String softdep) {
        List<String> out = new ArrayList<>();
        boolean pre = false;
        for (String word : softdep.strip().split("\\s+")) {
            if (word.endsWith(":")) pre = word.equals("pre:");
            else if (pre && !word.isEmpty()) out.add(word);
        }
        return out;
    }

    private static String cString(byte[] data, int off) {
        int end = off;
        while (end < data.length && data[end] != 0) end++;
        return new String(data, off, end - off, StandardCharsets.US_ASCII);
    }
}
