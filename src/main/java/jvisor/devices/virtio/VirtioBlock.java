package jvisor.devices.virtio;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import jvisor.storage.Disk;

/**
 * Block device (virtio 1.2 §5.2) backed by a {@link Disk}. One queue; every request is a chain
 * of a header, data, and a status byte:
 *
 * <pre>
 *   readable  le32 type; le32 reserved; le64 sector      (16 bytes)
 *   data      readable for OUT, DISCARD, WRITE_ZEROES; writable for IN, GET_ID
 *   writable  u8 status  (last byte)                     OK 0 · IOERR 1 · UNSUPP 2
 *
 *   config    0 le64 capacity (512-byte sectors)     36 le32 max_discard_sectors
 *            12 le32 seg_max                         40 le32 max_discard_seg
 *            20 le32 blk_size                        44 le32 discard_sector_alignment
 *            32 u8 writeback                         48 le32 max_write_zeroes_sectors
 *            34 le16 num_queues                      52 le32 max_write_zeroes_seg
 *                                                    56 u8 write_zeroes_may_unmap
 * </pre>
 *
 * Durability: with VIRTIO_BLK_F_FLUSH negotiated the guest orders flushes and a FLUSH is
 * acknowledged only after {@link Disk#flush} (fsync) returned; without it every write is flushed
 * before it is acknowledged. Bad requests (outside the disk, odd lengths, writes to a read-only
 * disk) fail with IOERR; host I/O errors too, with a message naming the image.
 */
public final class VirtioBlock extends QueueDevice {
    static final int T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11, T_WRITE_ZEROES = 13;
    static final int S_OK = 0, S_IOERR = 1, S_UNSUPP = 2;
    static final int F_SEG_MAX = 2, F_RO = 5, F_BLK_SIZE = 6, F_FLUSH = 9, F_DISCARD = 13, F_WRITE_ZEROES = 14;
    static final int SECTOR = 512, QUEUE_SIZE = 256, SEG_MAX = QUEUE_SIZE - 2, ID_BYTES = 20;
    static final int MAX_RANGE_SECTORS = 1 << 22, MAX_RANGE_SEGMENTS = 16;
    private static final int MAX_ERRORS_SHOWN = 10;

    private final Disk disk;
    private final byte[] id;
    private int errorsShown;
    /**
     * Completed reads and writes and their bytes, for statistics. Written only by the worker
     * thread (so a volatile store, no atomic update or lock); read by any thread.
     */
    private volatile long reads, readBytes, writes, writtenBytes;

    /** A block device for {@code disk}; {@code serial} (up to 20 ASCII bytes) is what GET_ID returns. */
    public VirtioBlock(Disk disk, String serial) {
        super("virtio-blk " + disk.name(), 1);
        this.disk = disk;
        byte[] s = serial.getBytes(StandardCharsets.US_ASCII);
        this.id = java.util.Arrays.copyOf(s, Math.min(s.length, ID_BYTES));
    }

    public Disk disk() { return disk; }

    /** Bytes the guest read from the disk since the device was made (successful IN requests). */
    public long readBytes() { return readBytes; }

    /** Bytes the guest wrote to the disk (successful OUT requests; discards and zeroed ranges are not counted). */
    public long writtenBytes() { return writtenBytes; }

    /** Successful read requests. */
    public long reads() { return reads; }

    /** Successful write requests. */
    public long writes() { return writes; }

    /** On the saving thread while the worker is parked (pause), so the disk has one user at a time. */
    @Override
    public void flush() throws IOException { disk.flush(); }

    @Override public int deviceId() { return BLOCK; }

    @Override public int queueMaxSize(int q) { return QUEUE_SIZE; }

    @Override
    public long features() {
        long f = 1L << F_SEG_MAX | 1L << F_BLK_SIZE | 1L << F_FLUSH;
        if (disk.readOnly()) f |= 1L << F_RO;
        else f |= 1L << F_DISCARD | 1L << F_WRITE_ZEROES;
        return f;
    }

    @Override
    public byte[] config() {
        ByteBuffer c = ByteBuffer.allocate(60).order(ByteOrder.LITTLE_ENDIAN);
        c.putLong(0, disk.size() / SECTOR);
        c.putInt(12, SEG_MAX);
        c.putInt(20, SECTOR);
        c.put(32, (byte) 1);
        c.putShort(34, (short) 1);
        c.putInt(36, MAX_RANGE_SECTORS);
        c.putInt(40, MAX_RANGE_SEGMENTS);
        c.putInt(44, 1);
        c.putInt(48, MAX_RANGE_SECTORS);
        c.putInt(52, MAX_RANGE_SEGMENTS);
        c.put(56, (byte) 1);
        return c.array();
    }

    @Override
    protected void service(int q) throws VirtqueueException {
        drain(q, this::handle);
    }

    private void handle(Chain c) throws VirtqueueException {
        ByteBuffer h = c.readHeader(16);
        if (h == null || c.writable() < 1) {
            throw new VirtqueueException("virtio-blk request without a 16-byte header or a status byte");
        }
        int type = h.getInt(0);
        long sector = h.getLong(8);
        long dataIn = c.writable() - 1; // device-writable bytes before the status
        int status;
        try {
            status = switch (type) {
                case T_IN -> read(c, sector, dataIn);
                case T_OUT -> write(c, sector);
                case T_FLUSH -> {
                    disk.flush();
                    yield S_OK;
                }
                case T_GET_ID -> {
                    byte[] out = java.util.Arrays.copyOf(id, (int) Math.min(ID_BYTES, dataIn));
                    c.write(out);
                    yield S_OK;
                }
                case T_DISCARD, T_WRITE_ZEROES -> ranges(c, type);
                default -> S_UNSUPP;
            };
        } catch (IOException e) {
            if (errorsShown++ < MAX_ERRORS_SHOWN) System.err.println("jvisor: " + name() + ": " + e.getMessage());
            status = S_IOERR;
        }
        // The status is the last writable byte; what lies between was written or is unspecified.
        c.fillWritable(c.remainingWritable() - 1);
        c.write(new byte[] {(byte) status});
    }

    /** Whether {@code [sector·512, +bytes)} lies on the disk. */
    private boolean inside(long sector, long bytes) {
        long sectors = disk.size() / SECTOR;
        return sector >= 0 && sector <= sectors && bytes / SECTOR <= sectors - sector;
    }

    private int read(Chain c, long sector, long bytes) throws IOException {
        if (bytes % SECTOR != 0 || !inside(sector, bytes)) return S_IOERR;
        long pos = sector * SECTOR;
        MemorySegment s;
        long left = bytes;
        while (left > 0 && (s = c.nextWritable(left)) != null) {
            disk.read(pos, s.asByteBuffer());
            pos += s.byteSize();
            left -= s.byteSize();
        }
        readBytes += bytes - left; // one writer: this thread
        reads++;
        return S_OK;
    }

    private int write(Chain c, long sector) throws IOException {
        long bytes = c.remainingReadable();
        if (disk.readOnly() || bytes % SECTOR != 0 || !inside(sector, bytes)) return S_IOERR;
        long pos = sector * SECTOR;
        MemorySegment s;
        while ((s = c.nextReadable(Long.MAX_VALUE)) != null) {
            disk.write(pos, s.asByteBuffer());
            pos += s.byteSize();
        }
        if (!negotiated(F_FLUSH)) disk.flush(); // write-through when the driver cannot ask for flushes
        writtenBytes += bytes; // one writer: this thread
        writes++;
        return S_OK;
    }

    /** DISCARD and WRITE_ZEROES: a list of {le64 sector; le32 num_sectors; le32 flags} (§5.2.6). */
    private int ranges(Chain c, int type) throws IOException {
        if (disk.readOnly()) return S_IOERR;
        long n = c.remainingReadable() / 16;
        if (n == 0 || n > MAX_RANGE_SEGMENTS || c.remainingReadable() % 16 != 0) return S_IOERR;
        for (long i = 0; i < n; i++) {
            ByteBuffer r = c.readHeader(16);
            long sector = r.getLong(0);
            long sectors = r.getInt(8) & 0xffff_ffffL;
            int flags = r.getInt(12);
            boolean unmap = (flags & 1) != 0;
            if ((flags & ~1) != 0 || (type == T_DISCARD && unmap)) return S_UNSUPP;
            if (sectors > MAX_RANGE_SECTORS || !inside(sector, sectors * SECTOR)) return S_IOERR;
            if (type == T_DISCARD) disk.discard(sector * SECTOR, sectors * SECTOR);
            else disk.writeZeroes(sector * SECTOR, sectors * SECTOR, unmap);
        }
        if (!negotiated(F_FLUSH)) disk.flush();
        return S_OK;
    }

    @Override
    protected void closeBackend() {
        try {
            disk.close();
        } catch (IOException e) {
            System.err.println("jvisor: " + name() + ": " + e.getMessage());
        }
    }
}
