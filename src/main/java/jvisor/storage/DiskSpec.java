package jvisor.storage;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code --disk FILE[,format=raw|qcow2][,readonly=on][,snapshot=on][,cache=unsafe]} asks
 * for, and how to open it: the format is probed when not given; {@code snapshot=on} puts a
 * temporary qcow2 overlay over the image (opened read-only), deleted when the disk is closed, so
 * the guest's writes never reach the image; {@code cache=unsafe} (QEMU's spelling) ignores the
 * guest's flushes, for a disk whose content is worthless if the host fails (a build's).
 * Backing files named by qcow2 images are opened read-only, relative to the image's directory,
 * at most {@link #MAX_CHAIN} deep.
 */
public record DiskSpec(Path path, String format, boolean readOnly, boolean snapshot, boolean unsafe) {
    public static final int MAX_CHAIN = 16;

    /** Parses the option value; throws IllegalArgumentException with a message for the user. */
    public static DiskSpec parse(String value) {
        String[] parts = value.split(",");
        if (parts[0].isEmpty()) throw new IllegalArgumentException("--disk needs a file: " + value);
        String format = null;
        boolean ro = false, snap = false, unsafe = false;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            String v = kv.length == 2 ? kv[1] : "";
            switch (kv[0]) {
                case "format" -> {
                    if (!v.equals("raw") && !v.equals("qcow2")) throw new IllegalArgumentException("--disk format must be raw or qcow2: " + v);
                    format = v;
                }
                case "readonly" -> ro = onOff("readonly", v);
                case "snapshot" -> snap = onOff("snapshot", v);
                case "cache" -> {
                    if (!v.equals("unsafe") && !v.equals("writeback")) {
                        throw new IllegalArgumentException("--disk cache must be writeback (the default) or unsafe: " + v);
                    }
                    unsafe = v.equals("unsafe");
                }
                default -> throw new IllegalArgumentException("unknown --disk option '" + kv[0] + "' (format, readonly, snapshot, cache)");
            }
        }
        return new DiskSpec(Path.of(parts[0]), format, ro, snap, unsafe);
    }

    private static boolean onOff(String name, String v) {
        return switch (v) {
            case "on", "true", "yes", "" -> true;
            case "off", "false", "no" -> false;
            default -> throw new IllegalArgumentException("--disk " + name + " must be on or off: " + v);
        };
    }

    /** Opens the disk this spec describes. */
    public Disk open() throws IOException {
        return open(null);
    }

    /**
     * Opens the disk; for {@code snapshot=on}, {@code overlay} (if not null) is the temporary
     * overlay to continue with (a restored VM's, written from its snapshot), else a new one.
     * The overlay file is the disk's from then on, and deleted with it.
     */
    public Disk open(Path overlay) throws IOException {
        if (!Files.isRegularFile(path)) throw new IOException(path + ": no such image file");
        String fmt = format != null ? format : probe(path);
        if (!snapshot) {
            Disk d = open(path, fmt, readOnly, new ArrayList<>());
            return unsafe ? new Unflushed(d) : d;
        }
        Disk base = open(path, fmt, true, new ArrayList<>());
        Path file = overlay != null ? overlay : Files.createTempFile("jvisor-snapshot-", ".qcow2");
        try {
            return new TemporaryOverlay(overlay != null ? Qcow2Image.openOverlay(file, base) : Qcow2Image.createOverlay(file, base), file);
        } catch (IOException | RuntimeException e) {
            base.close();
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /** "qcow2" if the file starts with the qcow2 magic, else "raw". */
    public static String probe(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] m = in.readNBytes(4);
            return m.length == 4 && (m[0] & 0xff) == 'Q' && m[1] == 'F' && m[2] == 'I' && (m[3] & 0xff) == 0xfb ? "qcow2" : "raw";
        }
    }

    static Disk open(Path p, String fmt, boolean readOnly, List<Path> chain) throws IOException {
        Path real = p.toRealPath();
        if (chain.contains(real)) throw new IOException(chain.getFirst() + ": backing chain loops back to " + p);
        if (chain.size() >= MAX_CHAIN) throw new IOException(chain.getFirst() + ": backing chain deeper than " + MAX_CHAIN);
        chain.add(real);
        return switch (fmt) {
            case "raw" -> RawDisk.open(p, readOnly);
            case "qcow2" -> Qcow2Image.open(p, readOnly, chain);
            default -> throw new IOException(p + ": unknown format " + fmt);
        };
    }

    /** A disk that passes everything to another one but what it overrides. */
    private interface Forwarding extends Disk {
        Disk disk();
        @Override default String name() { return disk().name(); }
        @Override default long size() { return disk().size(); }
        @Override default boolean readOnly() { return disk().readOnly(); }
        @Override default void read(long offset, java.nio.ByteBuffer dst) throws IOException { disk().read(offset, dst); }
        @Override default void write(long offset, java.nio.ByteBuffer src) throws IOException { disk().write(offset, src); }
        @Override default void flush() throws IOException { disk().flush(); }
        @Override default void writeZeroes(long offset, long length, boolean unmap) throws IOException { disk().writeZeroes(offset, length, unmap); }
        @Override default void discard(long offset, long length) throws IOException { disk().discard(offset, length); }
        @Override default void close() throws IOException { disk().close(); }
    }

    /** A cache=unsafe disk: the guest's flushes do nothing; what it wrote reaches the file when it closes. */
    private record Unflushed(Disk disk) implements Forwarding {
        @Override public void flush() { }
    }

    /** A snapshot=on overlay: the temporary file goes when the disk does. */
    public record TemporaryOverlay(Disk disk, Path file) implements Forwarding {
        @Override public boolean readOnly() { return false; }
        @Override public void flush() { } // nothing of a snapshot outlives the run

        @Override
        public void close() throws IOException {
            try {
                disk.close();
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }
}
