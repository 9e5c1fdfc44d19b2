package jvisor.machine;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import jvisor.memory.GuestRam;
import jvisor.state.StateException;
import jvisor.state.StateReader;

/**
 * Reads the machine state stream {@link StateStreamWriter} writes, checking as it goes: the
 * magic, the format version, each section's framing and CRC-32, and the RAM section's run
 * table against the machine's RAM. Every problem is a {@link StateException} whose message names
 * the source and what is wrong with it.
 */
final class StateStreamReader {
    /** Largest non-RAM section: registers and device state are kilobytes. */
    static final int MAX_SECTION = 16 << 20;

    private final ReadableByteChannel in;
    private final String source;
    /** The file, when reading one: RAM is then mapped from it instead of read. */
    private final Path file;
    private long position;
    private String pendingName;
    private int pendingVersion;
    private long pendingLength;
    private CRC32 pendingCrc;

    /** Reads and checks the stream's magic and format version. */
    StateStreamReader(ReadableByteChannel in, String source, Path file) throws IOException {
        this.in = in;
        this.source = source;
        this.file = file;
        ByteBuffer head = read(12, "its header");
        byte[] magic = new byte[8];
        head.get(magic);
        if (!Arrays.equals(magic, StateStreamWriter.MAGIC)) {
            throw new StateException(source + " is not a jvisor snapshot (no jvisor magic at its start)");
        }
        int version = head.getInt();
        if (version > StateStreamWriter.FORMAT_VERSION) {
            throw new StateException(source + " was written by a newer jvisor (snapshot format " + version
                    + "; this jvisor reads format " + StateStreamWriter.FORMAT_VERSION + "): restore it with a newer jvisor");
        }
        if (version < 1) throw new StateException(source + " is corrupted (snapshot format " + version + ")");
    }

    /** The next section's name; its payload must then be read with {@link #payload} or {@link #ram}. */
    String next() throws IOException {
        ByteBuffer mark = read(6, "a section header");
        if (mark.getInt() != StateStreamWriter.SECTION_MARK) throw corrupt("a section does not start where one should");
        int nameLength = mark.getShort() & 0xffff;
        if (nameLength == 0 || nameLength > 64) throw corrupt("a section name is " + nameLength + " bytes long");
        ByteBuffer rest = read(nameLength + 12, "a section header");
        byte[] name = new byte[nameLength];
        rest.get(name);
        for (byte b : name) if (b < 0x21 || b > 0x7e) throw corrupt("a section name is not printable");
        pendingName = new String(name, StandardCharsets.US_ASCII);
        pendingVersion = rest.getInt();
        pendingLength = rest.getLong();
        if (pendingLength < 0) throw corrupt("section '" + pendingName + "' has a negative length");
        pendingCrc = new CRC32();
        pendingCrc.update(mark.flip());
        pendingCrc.update(rest.flip());
        return pendingName;
    }

    int version() { return pendingVersion; }

    /** The pending section's payload length. */
    long length() { return pendingLength; }

    /** The pending section's payload, checked against its CRC. */
    StateReader payload(int maxVersion) throws IOException {
        checkVersion(maxVersion);
        if (pendingLength > MAX_SECTION) throw corrupt("section '" + pendingName + "' claims " + pendingLength + " bytes");
        ByteBuffer p = read((int) pendingLength, "section '" + pendingName + "'");
        pendingCrc.update(p.duplicate());
        checkCrc();
        byte[] bytes = new byte[p.remaining()];
        p.get(bytes);
        return new StateReader(pendingName, pendingVersion, bytes);
    }

    /** Reads past the pending section, checking its CRC. */
    void skip() throws IOException {
        stream(chunk -> { });
    }

    /** Copies the pending section's payload into {@code file}, checked against its CRC. */
    void payloadTo(java.nio.file.Path file, int maxVersion) throws IOException {
        checkVersion(maxVersion);
        try (FileChannel out = FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE,
                java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
            stream(chunk -> {
                while (chunk.hasRemaining()) out.write(chunk);
            });
        }
    }

    private interface Chunks {
        void accept(ByteBuffer chunk) throws IOException;
    }

    /** Reads the pending section's payload in chunks (any size, never held whole), then checks its CRC. */
    private void stream(Chunks sink) throws IOException {
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        for (long done = 0; done < pendingLength; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), pendingLength - done));
            fill(buf, "section '" + pendingName + "'");
            buf.flip();
            pendingCrc.update(buf.duplicate());
            done += buf.remaining();
            sink.accept(buf);
        }
        checkCrc();
    }

    private void checkVersion(int maxVersion) throws StateException {
        if (pendingVersion < 1 || pendingVersion > maxVersion) {
            throw new StateException(source + ": section '" + pendingName + "' has version " + pendingVersion
                    + " (this jvisor reads up to " + maxVersion + ")");
        }
    }

    private void checkCrc() throws IOException {
        ByteBuffer c = read(4, "section '" + pendingName + "'");
        if (c.getInt() != (int) pendingCrc.getValue()) {
            throw corrupt("section '" + pendingName + "' fails its checksum");
        }
    }

    /**
     * Reads the pending RAM section into {@code ram}: checks the run table, checks the CRC over
     * the data, and then maps the runs from the file (or copies them in from a stream).
     */
    void ram(GuestRam ram, int maxVersion) throws IOException {
        checkVersion(maxVersion);
        long pages = ram.size() >>> GuestRam.PAGE_SHIFT;
        ByteBuffer fixed = read(12, "the RAM section");
        long size = fixed.getLong();
        int count = fixed.getInt();
        if (size != ram.size()) throw corrupt("RAM section holds " + size + " bytes of RAM, the machine has " + ram.size());
        if (count < 0 || count > (pages + 1) / 2) throw corrupt("RAM section has " + count + " runs");
        ByteBuffer table = read(8 * count + 4, "the RAM section");
        long[] offsets = new long[count], lengths = new long[count];
        long next = 0, dataBytes = 0;
        for (int i = 0; i < count; i++) {
            long first = table.getInt() & 0xffff_ffffL, n = table.getInt() & 0xffff_ffffL;
            if (first < next || n == 0 || first + n > pages) throw corrupt("RAM section has a bad run table");
            offsets[i] = first << GuestRam.PAGE_SHIFT;
            lengths[i] = n << GuestRam.PAGE_SHIFT;
            dataBytes += lengths[i];
            next = first + n;
        }
        int pad = table.getInt();
        if (pad < 0 || pad >= GuestRam.PAGE_SIZE || 12 + 8L * count + 4 + pad + dataBytes != pendingLength) {
            throw corrupt("RAM section's length does not match its run table");
        }
        pendingCrc.update(fixed.flip());
        pendingCrc.update(table.flip());
        ByteBuffer padding = read(pad, "the RAM section");
        pendingCrc.update(padding);
        long dataStart = position;
        if (file != null && in instanceof FileChannel ch && (dataStart & (GuestRam.PAGE_SIZE - 1)) == 0) {
            mapRam(ram, ch, dataStart, dataBytes, offsets, lengths);
        } else {
            copyRam(ram, offsets, lengths);
        }
        checkCrc();
    }

    /** Checks the data in place (the file's page cache), then maps it copy-on-write over RAM. */
    private void mapRam(GuestRam ram, FileChannel ch, long dataStart, long dataBytes, long[] offsets, long[] lengths)
            throws IOException {
        if (ch.size() < dataStart + dataBytes) throw truncated("the RAM section");
        try (Arena arena = Arena.ofConfined()) {
            if (dataBytes > 0) {
                MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataBytes, arena);
                for (long done = 0; done < dataBytes; done += Integer.MAX_VALUE) {
                    pendingCrc.update(data.asSlice(done, Math.min(Integer.MAX_VALUE, dataBytes - done)).asByteBuffer());
                }
            }
        }
        long[] fileOffsets = new long[offsets.length];
        long at = dataStart;
        for (int i = 0; i < offsets.length; i++) {
            fileOffsets[i] = at;
            at += lengths[i];
        }
        if (!ram.mapFrom(file, offsets, lengths, fileOffsets)) {
            for (int i = 0; i < offsets.length; i++) {
                ByteBuffer dst = ram.segment().asSlice(offsets[i], lengths[i]).asByteBuffer();
                long pos = fileOffsets[i];
                while (dst.hasRemaining()) {
                    int n = ch.read(dst, pos);
                    if (n < 0) throw truncated("the RAM section");
                    pos += n;
                }
            }
        }
        ch.position(dataStart + dataBytes);
        position = dataStart + dataBytes;
    }

    private void copyRam(GuestRam ram, long[] offsets, long[] lengths) throws IOException {
        for (int i = 0; i < offsets.length; i++) {
            ByteBuffer dst = ram.segment().asSlice(offsets[i], lengths[i]).asByteBuffer();
            fill(dst, "the RAM section");
            pendingCrc.update(dst.flip());
            ram.dmaWritten(ram.base() + offsets[i], lengths[i]); // drops code decoded ahead (a migration's later rounds)
        }
    }

    private ByteBuffer read(int n, String what) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        fill(b, what);
        return b.flip();
    }

    private void fill(ByteBuffer b, String what) throws IOException {
        while (b.hasRemaining()) {
            int n = in.read(b);
            if (n < 0) throw truncated(what);
            position += n;
        }
    }

    private StateException truncated(String what) {
        return new StateException(source + " is truncated (" + what + " ends early)", new EOFException());
    }

    StateException corrupt(String what) {
        return new StateException(source + " is corrupted: " + what);
    }

    String source() { return source; }
}
