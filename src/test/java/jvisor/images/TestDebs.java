package jvisor.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.ar.ArArchiveEntry;
import org.apache.commons.compress.archivers.ar.ArArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

/** Builds small Debian packages and kernel-module-like ELF files in memory for tests. */
final class TestDebs {
    private TestDebs() {}

    /** A .deb whose data.tar.xz holds {@code files} (path without "./" to content). */
    static byte[] deb(Map<String, byte[]> files) throws IOException {
        return deb(files, "data.tar.xz");
    }

    /** A .deb holding {@code files} and the symbolic links {@code links} (path to target as written). */
    static byte[] deb(Map<String, byte[]> files, Map<String, String> links) throws IOException {
        return deb(files, links, "data.tar.xz");
    }

    /** A .deb with its data member named {@code dataMember} (only .xz is really compressed). */
    static byte[] deb(Map<String, byte[]> files, String dataMember) throws IOException {
        return deb(files, Map.of(), dataMember);
    }

    private static byte[] deb(Map<String, byte[]> files, Map<String, String> links, String dataMember) throws IOException {
        byte[] data = tar(files, links);
        if (dataMember.endsWith(".xz")) data = xz(data);
        byte[] control = xz(tar(Map.of("control", "Package: test\nVersion: 1\n".getBytes(StandardCharsets.UTF_8))));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ArArchiveOutputStream ar = new ArArchiveOutputStream(out)) {
            member(ar, "debian-binary", "2.0\n".getBytes(StandardCharsets.US_ASCII));
            member(ar, "control.tar.xz", control);
            member(ar, dataMember, data);
        }
        return out.toByteArray();
    }

    private static void member(ArArchiveOutputStream ar, String name, byte[] data) throws IOException {
        ar.putArchiveEntry(new ArArchiveEntry(name, data.length));
        ar.write(data);
        ar.closeArchiveEntry();
    }

    /** A tar as dpkg-deb writes it: "./" paths, parent directories first. */
    static byte[] tar(Map<String, byte[]> files) throws IOException {
        return tar(files, Map.of());
    }

    private static byte[] tar(Map<String, byte[]> files, Map<String, String> links) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            Map<String, Boolean> dirs = new LinkedHashMap<>();
            for (String path : java.util.stream.Stream.concat(files.keySet().stream(), links.keySet().stream()).toList()) {
                for (int i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) dirs.put(path.substring(0, i + 1), true);
            }
            tar.putArchiveEntry(new TarArchiveEntry("./"));
            tar.closeArchiveEntry();
            for (String d : dirs.keySet()) {
                tar.putArchiveEntry(new TarArchiveEntry("./" + d));
                tar.closeArchiveEntry();
            }
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry("./" + f.getKey());
                e.setSize(f.getValue().length);
                e.setMode(0100644);
                tar.putArchiveEntry(e);
                tar.write(f.getValue());
                tar.closeArchiveEntry();
            }
            for (Map.Entry<String, String> l : links.entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry("./" + l.getKey(), TarArchiveEntry.LF_SYMLINK);
                e.setLinkName(l.getValue());
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }
        }
        return out.toByteArray();
    }

    static byte[] xz(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream x = new XZOutputStream(out, new LZMA2Options(1))) {
            x.write(data);
        }
        return out.toByteArray();
    }

    /**
     * A minimal ELF64 relocatable object with a {@code .modinfo} section holding {@code modinfo}
     * (e.g. "name=ext4", "depends=jbd2,mbcache"), as a kernel module has.
     */
    static byte[] module(String... modinfo) {
        ByteArrayOutputStream info = new ByteArrayOutputStream();
        for (String s : modinfo) info.writeBytes((s + "\0").getBytes(StandardCharsets.US_ASCII));
        byte[] strtab = "\0.modinfo\0.shstrtab\0".getBytes(StandardCharsets.US_ASCII);
        int infoOff = 64, strOff = infoOff + info.size(), shOff = (strOff + strtab.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(shOff + 3 * 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        b.putShort(16, (short) 1).putShort(18, (short) 243).putInt(20, 1);  // ET_REL, EM_RISCV
        b.putLong(0x28, shOff).putShort(0x34, (short) 64).putShort(0x3a, (short) 64);
        b.putShort(0x3c, (short) 3).putShort(0x3e, (short) 2);
        b.put(infoOff, info.toByteArray()).put(strOff, strtab);
        section(b, shOff + 64, 1, 1, infoOff, info.size());       // .modinfo (PROGBITS)
        section(b, shOff + 128, 10, 3, strOff, strtab.length);    // .shstrtab (STRTAB)
        return b.array();
    }

    private static void section(ByteBuffer b, int at, int name, int type, long offset, long size) {
        b.putInt(at, name).putInt(at + 4, type).putLong(at + 0x18, offset).putLong(at + 0x20, size);
    }

    /**
     * A minimal ELF64 program or library as the dynamic loader sees it: one loadable segment at
     * 0x10000 holding everything, a PT_INTERP naming {@code interpreter} (none if null) and a
     * PT_DYNAMIC naming the {@code needed} libraries.
     */
    static byte[] dynamicElf(String interpreter, String... needed) {
        ByteArrayOutputStream strings = new ByteArrayOutputStream();
        strings.write(0);
        long[] at = new long[needed.length];
        for (int i = 0; i < needed.length; i++) {
            at[i] = strings.size();
            strings.writeBytes((needed[i] + "\0").getBytes(StandardCharsets.US_ASCII));
        }
        byte[] interp = interpreter == null ? new byte[0] : (interpreter + "\0").getBytes(StandardCharsets.US_ASCII);
        int phnum = interpreter == null ? 2 : 3, interpOff = 64 + phnum * 56, strOff = interpOff + interp.length;
        int dynOff = (strOff + strings.size() + 7) & ~7, dynSize = (needed.length + 2) * 16;
        long vaddr = 0x10000;
        ByteBuffer b = ByteBuffer.allocate(dynOff + dynSize).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});
        b.putShort(16, (short) 3).putShort(18, (short) 243).putInt(20, 1); // ET_DYN, EM_RISCV
        b.putLong(0x20, 64).putShort(0x34, (short) 64).putShort(0x36, (short) 56).putShort(0x38, (short) phnum);
        programHeader(b, 64, 1, 0, vaddr, b.capacity());                       // PT_LOAD: the whole file
        programHeader(b, 64 + 56, 2, dynOff, vaddr + dynOff, dynSize);        // PT_DYNAMIC
        if (interpreter != null) programHeader(b, 64 + 112, 3, interpOff, vaddr + interpOff, interp.length); // PT_INTERP
        b.put(interpOff, interp).put(strOff, strings.toByteArray());
        int e = dynOff;
        for (long a : at) { b.putLong(e, 1).putLong(e + 8, a); e += 16; }  // DT_NEEDED
        b.putLong(e, 5).putLong(e + 8, vaddr + strOff);                     // DT_STRTAB, an address
        return b.array();                                                   // DT_NULL: zeros
    }

    private static void programHeader(ByteBuffer b, int at, int type, long offset, long vaddr, long size) {
        b.putInt(at, type).putLong(at + 8, offset).putLong(at + 16, vaddr).putLong(at + 24, vaddr)
                .putLong(at + 32, size).putLong(at + 40, size);
    }

    /** Bytes that look like a busybox binary to {@link BusyboxApplets}: code, then its applet-name table. */
    static byte[] busybox(String... applets) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes("\u007fELF not really busybox, but [ appears here\0".getBytes(StandardCharsets.US_ASCII));
        for (String a : applets) out.writeBytes((a + "\0").getBytes(StandardCharsets.US_ASCII));
        out.writeBytes("\0trailing data".getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }
}
