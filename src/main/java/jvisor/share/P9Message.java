package jvisor.share;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * 9P message encoding (little-endian; strings are a 16-bit length and UTF-8 bytes; a qid is
 * type[1] version[4] path[8]). Every message starts with size[4] type[1] tag[2].
 */
final class P9Message {
    private P9Message() {}

    static final int HEADER = 7;

    /** Reads a request; running off its end is a protocol error (EPROTO), not an exception for the host. */
    static final class In {
        private final ByteBuffer b;
        final int type, tag;

        In(byte[] msg) throws SharedTree.Errno {
            b = ByteBuffer.wrap(msg).order(ByteOrder.LITTLE_ENDIAN);
            if (msg.length < HEADER || b.getInt(0) != msg.length) throw new SharedTree.Errno(SharedTree.EPROTO);
            type = b.get(4) & 0xff;
            tag = b.getShort(5) & 0xffff;
            b.position(HEADER);
        }

        int u8() throws SharedTree.Errno {
            try {
                return b.get() & 0xff;
            } catch (BufferUnderflowException e) {
                throw new SharedTree.Errno(SharedTree.EPROTO);
            }
        }

        int u16() throws SharedTree.Errno {
            try {
                return b.getShort() & 0xffff;
            } catch (BufferUnderflowException e) {
                throw new SharedTree.Errno(SharedTree.EPROTO);
            }
        }

        int u32() throws SharedTree.Errno {
            try {
                return b.getInt();
            } catch (BufferUnderflowException e) {
                throw new SharedTree.Errno(SharedTree.EPROTO);
            }
        }

        long u64() throws SharedTree.Errno {
            try {
                return b.getLong();
            } catch (BufferUnderflowException e) {
                throw new SharedTree.Errno(SharedTree.EPROTO);
            }
        }

        String str() throws SharedTree.Errno {
            int n = u16();
            if (n > b.remaining()) throw new SharedTree.Errno(SharedTree.EPROTO);
            byte[] s = new byte[n];
            b.get(s);
            return new String(s, StandardCharsets.UTF_8);
        }

        /** The next {@code n} bytes (Twrite data), as a view. */
        ByteBuffer bytes(int n) throws SharedTree.Errno {
            if (n < 0 || n > b.remaining()) throw new SharedTree.Errno(SharedTree.EPROTO);
            ByteBuffer v = b.slice(b.position(), n);
            b.position(b.position() + n);
            return v;
        }
    }

    /** Builds a reply of at most {@code max} bytes; the buffer grows as needed, so small replies stay small. */
    static final class Out {
        private final int max;
        private ByteBuffer b;

        Out(int max) {
            this.max = max;
            b = ByteBuffer.allocate(Math.min(max, 4096)).order(ByteOrder.LITTLE_ENDIAN);
            b.position(HEADER);
        }

        /** Room for {@code n} more bytes (a BufferOverflowException past {@code max}, as a full buffer would). */
        private ByteBuffer room(int n) {
            if (b.remaining() < n && b.capacity() < max) {
                int size = (int) Math.min(max, Math.max((long) b.capacity() * 2, (long) b.position() + n));
                b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN).put(b.flip());
            }
            return b;
        }

        Out u8(int v) { room(1).put((byte) v); return this; }
        Out u16(int v) { room(2).putShort((short) v); return this; }
        Out u32(int v) { room(4).putInt(v); return this; }
        Out u64(long v) { room(8).putLong(v); return this; }

        Out str(String s) {
            byte[] d = s.getBytes(StandardCharsets.UTF_8);
            room(2 + d.length).putShort((short) d.length).put(d);
            return this;
        }

        Out bytes(ByteBuffer data) {
            room(data.remaining()).put(data);
            return this;
        }

        Out qid(Qid q) {
            room(13).put((byte) q.type()).putInt(q.version()).putLong(q.path());
            return this;
        }

        /** Bytes still allowed. */
        int remaining() { return max - b.position(); }

        int position() { return b.position(); }

        /** The body written so far (after the header). */
        ByteBuffer body() { return b.duplicate().flip().position(HEADER); }

        byte[] finish(int type, int tag) {
            int n = b.position();
            b.putInt(0, n).put(4, (byte) type).putShort(5, (short) tag);
            byte[] out = new byte[n];
            b.get(0, out);
            return out;
        }
    }

    /** A server's identification of a file: type bits (0x80 dir, 0x02 symlink), version, and unique path (inode). */
    record Qid(int type, int version, long path) {
        static final int DIR = 0x80, SYMLINK = 0x02, FILE = 0;
    }
}
