package jvisor.machine;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import jvisor.memory.GuestRam;
import jvisor.state.StateWriter;

/**
 * Writes the machine state stream (docs/SNAPSHOT-FORMAT.md): the magic and format version, then
 * sections, each framed with its name, version and length and closed by a CRC-32 of the whole
 * section. A snapshot file is this stream written to a file, with RAM data page-aligned so that
 * a restore can map it; a migration sends the same sections over a socket.
 */
public final class StateStreamWriter {
    static final byte[] MAGIC = {(byte) 0x89, 'J', 'V', 'S', 'T', '\r', '\n', 0x1a};
    static final int FORMAT_VERSION = 1;
    /** The most RAM one write hands to a file. */
    private static final long RAM_SLICE = 4 << 20;
    static final int SECTION_MARK = 0x54434553; // "SECT"

    private final WritableByteChannel out;
    /** Pad RAM data to page boundaries of the stream (for files that a restore maps). */
    private final boolean alignRam;
    private long position;
    /** Where RAM is copied before it is checksummed and written, when it may change meanwhile; else null. */
    private final ByteBuffer live;
    private final MemorySegment liveMemory; // all of live's capacity
    /** Told how much of the RAM section is written (the bulk of a stream), for progress; may be null. */
    private final Progress progress;

    /** Progress of a long write: {@code done} of {@code total} bytes. */
    @FunctionalInterface
    public interface Progress {
        void at(long done, long total);
    }

    StateStreamWriter(WritableByteChannel out, boolean alignRam, Progress progress) throws IOException {
        this(out, alignRam, progress, false);
    }

    /** With {@code liveRam}, RAM may change while it is written (a migration's pre-copy). */
    StateStreamWriter(WritableByteChannel out, boolean alignRam, Progress progress, boolean liveRam) throws IOException {
        this.out = out;
        this.alignRam = alignRam;
        this.live = liveRam ? ByteBuffer.allocateDirect(1 << 20) : null;
        this.liveMemory = liveRam ? MemorySegment.ofBuffer(live) : null;
        this.progress = progress;
        ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        head.put(MAGIC).putInt(FORMAT_VERSION).flip();
        write(head);
    }

    /** Writes one section whose payload {@code state} holds. */
    void section(String name, int version, StateWriter state) throws IOException {
        byte[] payload = state.toByteArray();
        CRC32 crc = new CRC32();
        ByteBuffer head = sectionHead(name, version, payload.length);
        crc.update(head.duplicate());
        crc.update(payload);
        write(head);
        write(ByteBuffer.wrap(payload));
        write(crcBuffer(crc));
    }

    /** Writes one section whose payload is the file {@code payload} (a disk overlay). */
    void section(String name, int version, java.nio.file.Path payload) throws IOException {
        try (java.nio.channels.FileChannel in = java.nio.channels.FileChannel.open(payload)) {
            long length = in.size();
            CRC32 crc = new CRC32();
            ByteBuffer head = sectionHead(name, version, length);
            crc.update(head.duplicate());
            write(head);
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            for (long done = 0; done < length; ) {
                buf.clear().limit((int) Math.min(buf.capacity(), length - done));
                while (buf.hasRemaining()) {
                    if (in.read(buf, done + buf.position()) < 0) throw new IOException(payload + " shrank while it was saved");
                }
                buf.flip();
                crc.update(buf.duplicate());
                done += buf.remaining();
                write(buf);
            }
            write(crcBuffer(crc));
        }
    }

    /**
     * Writes a RAM section: the runs of {@code pages} (null: those that are not all zero), then
     * their data. Zero pages are neither written nor read back: RAM starts zeroed. Returns the
     * bytes of page data written.
     */
    long ram(GuestRam ram, int version, java.util.BitSet pages) throws IOException {
        int[] runs = pages == null ? RamRuns.of(ram) : RamRuns.of(pages, (int) (ram.size() >>> GuestRam.PAGE_SHIFT));
        int count = runs.length / 2;
        long pageCount = 0;
        for (int i = 0; i < count; i++) pageCount += runs[2 * i + 1];
        ByteBuffer table = ByteBuffer.allocate(12 + 8 * count + 4).order(ByteOrder.LITTLE_ENDIAN);
        table.putLong(ram.size()).putInt(count);
        for (int r : runs) table.putInt(r);
        String name = "ram";
        long fixed = table.capacity();
        ByteBuffer probe = sectionHead(name, version, 0);
        long dataStart = position + probe.capacity() + fixed;
        int pad = alignRam ? (int) (-dataStart & (GuestRam.PAGE_SIZE - 1)) : 0;
        table.putInt(pad).flip();
        long length = fixed + pad + pageCount * GuestRam.PAGE_SIZE;

        CRC32 crc = new CRC32();
        ByteBuffer head = sectionHead(name, version, length);
        crc.update(head.duplicate());
        crc.update(table.duplicate());
        write(head);
        write(table);
        ByteBuffer zeros = ByteBuffer.allocate(pad);
        crc.update(zeros.duplicate());
        write(zeros);
        MemorySegment mem = ram.segment();
        long total = pageCount * GuestRam.PAGE_SIZE, done = 0;
        for (int i = 0; i < count; i++) {
            long from = (long) runs[2 * i] << GuestRam.PAGE_SHIFT, bytes = (long) runs[2 * i + 1] << GuestRam.PAGE_SHIFT;
            if (live == null) {
                // in slices, so that progress (and a snapshot's flush behind it) comes as it goes
                for (long at = 0; at < bytes; at += RAM_SLICE) {
                    ByteBuffer data = mem.asSlice(from + at, Math.min(RAM_SLICE, bytes - at)).asByteBuffer();
                    crc.update(data.duplicate());
                    write(data);
                    if (progress != null) progress.at(done + at + data.capacity(), total);
                }
            } else {
                // The guest may write a page while it is sent: checksum the copy that goes out.
                // Runs are packed into the copy (a round's runs are often single pages: one
                // write each would cost a system call and a packet each).
                for (long at = 0; at < bytes; ) {
                    int n = (int) Math.min(live.remaining(), bytes - at);
                    MemorySegment.copy(mem, from + at, liveMemory, live.position(), n);
                    live.position(live.position() + n);
                    at += n;
                    if (!live.hasRemaining()) sendLive(crc);
                }
            }
            done += bytes;
            if (progress != null && live != null) progress.at(done, total);
        }
        if (live != null) sendLive(crc);
        write(crcBuffer(crc));
        return total;
    }

    /** Checksums and writes what {@link #live} holds, and empties it. */
    private void sendLive(CRC32 crc) throws IOException {
        live.flip();
        crc.update(live.duplicate());
        write(live);
        live.clear();
    }

    private static ByteBuffer sectionHead(String name, int version, long length) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(4 + 2 + n.length + 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(SECTION_MARK).putShort((short) n.length).put(n).putInt(version).putLong(length).flip();
        return b;
    }

    private static ByteBuffer crcBuffer(CRC32 crc) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) crc.getValue());
    }

    private void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) position += out.write(b);
    }

    long position() { return position; }
}
