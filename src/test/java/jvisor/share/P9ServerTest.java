package jvisor.share;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The 9P2000.L server spoken to directly, as a hostile guest kernel could: ordinary file work,
 * then every way out of the shared directory the protocol allows (.., links made by the host and
 * by the guest, names with slashes, a directory swapped for a link under an open fid) must fail.
 */
class P9ServerTest {
    @TempDir Path tmp;
    Path share, outside;
    P9Server server;
    int tag;

    @BeforeEach
    void setUp() throws IOException {
        share = Files.createDirectories(tmp.resolve("share"));
        outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "TOP SECRET");
        Files.writeString(share.resolve("hello.txt"), "hello from the host");
        Files.createSymbolicLink(share.resolve("escape"), outside);
        Files.createSymbolicLink(share.resolve("secretlink"), outside.resolve("secret"));
        server = new P9Server(share, false);
        assertEquals(101, call(msg(100).u32(65536).str("9P2000.L")).type);
        ok(call(msg(104).u32(0).u32(-1).str("root").str("").u32(0)));
    }

    /** A request under construction. */
    final class Msg {
        final ByteBuffer b = ByteBuffer.allocate(70000).order(ByteOrder.LITTLE_ENDIAN);
        Msg(int type) { b.position(7); b.put(4, (byte) type); b.putShort(5, (short) ++tag); }
        Msg u8(int v) { b.put((byte) v); return this; }
        Msg u16(int v) { b.putShort((short) v); return this; }
        Msg u32(int v) { b.putInt(v); return this; }
        Msg u64(long v) { b.putLong(v); return this; }
        Msg str(String s) {
            byte[] d = s.getBytes(StandardCharsets.UTF_8);
            b.putShort((short) d.length).put(d);
            return this;
        }
        Msg bytes(byte[] d) { b.put(d); return this; }
        byte[] done() {
            int n = b.position();
            b.putInt(0, n);
            byte[] out = new byte[n];
            b.get(0, out);
            return out;
        }
    }

    Msg msg(int type) { return new Msg(type); }

    record Reply(int type, ByteBuffer body) {
        int errno() { return type == 7 ? body.getInt(0) : 0; }
    }

    Reply call(Msg m) {
        byte[] r = server.handle(m.done(), 65536);
        ByteBuffer b = ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(r.length, b.getInt(0));
        return new Reply(b.get(4) & 0xff, b.slice(7, r.length - 7).order(ByteOrder.LITTLE_ENDIAN));
    }

    static Reply ok(Reply r) {
        assertTrue(r.type != 7, "Rlerror " + (r.type == 7 ? r.errno() : 0));
        return r;
    }

    int walk(int fid, int newFid, String... names) {
        Msg m = msg(110).u32(fid).u32(newFid).u16(names.length);
        for (String n : names) m.str(n);
        Reply r = call(m);
        if (r.type == 7) return -r.errno();
        return r.body.getShort(0);
    }

    /** A walk that must not get through: an error or a partial walk (9P), and no new fid. */
    void walkFails(int fid, int newFid, String... names) {
        int n = walk(fid, newFid, names);
        assertTrue(n < names.length, "walked " + String.join("/", names));
        assertEquals(9, call(msg(24).u32(newFid).u64(0x7ff)).errno(), "no fid " + newFid + " was made");
    }

    byte[] readAll(int fid) {
        ok(call(msg(12).u32(fid).u32(0)));
        Reply r = ok(call(msg(116).u32(fid).u64(0).u32(60000)));
        byte[] d = new byte[r.body.getInt(0)];
        r.body.get(4, d);
        return d;
    }

    @Test
    void readsWritesAndListsFiles() throws IOException {
        assertEquals(1, walk(0, 1, "hello.txt"));
        assertEquals("hello from the host", new String(readAll(1), StandardCharsets.UTF_8));
        ok(call(msg(120).u32(1)));

        assertEquals(0, walk(0, 2));
        ok(call(msg(72).u32(2).str("dir").u32(0755).u32(0)));
        assertEquals(1, walk(2, 3, "dir"));
        ok(call(msg(14).u32(3).str("new.txt").u32(0101).u32(0644).u32(0))); // lcreate: fid 3 is the new file
        ok(call(msg(118).u32(3).u64(0).u32(5).bytes("guest".getBytes(StandardCharsets.UTF_8))));
        ok(call(msg(50).u32(3).u32(0)));
        assertEquals("guest", Files.readString(share.resolve("dir/new.txt")));

        assertEquals(0, walk(0, 4));
        ok(call(msg(74).u32(4).str("dir").u32(4).str("moved")));
        assertTrue(Files.exists(share.resolve("moved/new.txt")));
        Reply attr = ok(call(msg(24).u32(3).u64(0x7ff)));
        assertEquals(5, attr.body.getLong(8 + 13 + 4 + 4 + 4 + 8 + 8), "fids follow renames: size of moved/new.txt");

        ok(call(msg(40).u32(0).u64(0).u32(8192))); // readdir of an unopened fid works on its path
        Reply dir = ok(call(msg(40).u32(0).u64(0).u32(8192)));
        String listing = new String(dir.body.array(), dir.body.arrayOffset(), dir.body.limit(), StandardCharsets.ISO_8859_1);
        assertTrue(listing.contains("hello.txt") && listing.contains("moved") && listing.contains("escape"), listing);

        assertEquals(1, walk(0, 5, "moved"));
        ok(call(msg(76).u32(5).str("new.txt").u32(0)));
        ok(call(msg(76).u32(0).str("moved").u32(0x200)));
        assertFalse(Files.exists(share.resolve("moved")));
    }

    @Test
    void dotDotStopsAtTheRoot() {
        assertEquals(3, walk(0, 1, "..", "..", ".."));
        ok(call(msg(40).u32(1).u64(0).u32(8192)));
        Reply r = ok(call(msg(24).u32(1).u64(0x7ff)));
        Reply root = ok(call(msg(24).u32(0).u64(0x7ff)));
        assertEquals(root.body.getLong(8 + 5), r.body.getLong(8 + 5), "the root's parent is the root (same inode)");
        assertEquals(2, walk(0, 2, "..", "hello.txt"));
        walkFails(0, 3, "..", "outside"); // nothing above the share is reachable
    }

    @Test
    void linksAreNeverFollowed() {
        assertEquals(1, walk(0, 1, "escape"), "the link itself can be looked at");
        walkFails(0, 2, "escape", "secret"); // but not walked through
        Reply open = call(msg(12).u32(1).u32(0));
        assertEquals(40, open.errno(), "opening a link fails with ELOOP");
        assertEquals(1, walk(0, 3, "secretlink"));
        assertEquals(40, call(msg(12).u32(3).u32(0)).errno());
        assertEquals(40, call(msg(40).u32(1).u64(0).u32(8192)).errno(), "no readdir through a link");
        Reply link = ok(call(msg(22).u32(3)));
        assertTrue(new String(link.body.array(), StandardCharsets.UTF_8).contains("secret"), "readlink gives the text only");
        assertEquals(40, call(msg(14).u32(1).str("planted").u32(1).u32(0644).u32(0)).errno(), "no creating through a link");
        assertEquals(40, call(msg(72).u32(1).str("planted").u32(0755).u32(0)).errno());
    }

    @Test
    void guestMadeLinksAndSwappedDirectoriesDoNotLeadOut() throws IOException {
        ok(call(msg(16).u32(0).str("toroot").str("/").u32(0)));
        ok(call(msg(16).u32(0).str("up").str("../../..").u32(0)));
        assertTrue(Files.isSymbolicLink(share.resolve("toroot")));
        walkFails(0, 1, "toroot", "etc");
        walkFails(0, 1, "up", "outside");

        // a fid for a real directory, then the guest swaps that directory for a link outside
        ok(call(msg(72).u32(0).str("d").u32(0755).u32(0)));
        assertEquals(1, walk(0, 2, "d"));
        ok(call(msg(76).u32(0).str("d").u32(0x200)));
        ok(call(msg(16).u32(0).str("d").str(outside.toString()).u32(0)));
        assertEquals(40, call(msg(14).u32(2).str("x").u32(1).u32(0644).u32(0)).errno(), "the stale fid does not follow the link");
        assertEquals(40, call(msg(40).u32(2).u64(0).u32(8192)).errno());
        walkFails(2, 3, "secret");
        assertFalse(Files.exists(outside.resolve("x")));
    }

    @Test
    void namesWithSlashesOrDotsAreRefused() {
        for (String bad : new String[] {"../outside", "a/b", "", "..\u0000"}) {
            assertTrue(walk(0, 1, bad) < 0, bad);
            assertEquals(22, call(msg(14).u32(0).str(bad).u32(1).u32(0644).u32(0)).errno(), "create " + bad);
        }
        assertEquals(22, call(msg(74).u32(0).str("hello.txt").u32(0).str("../outside/stolen")).errno());
        assertEquals(22, call(msg(74).u32(0).str("..").u32(0).str("x")).errno());
        assertEquals(22, call(msg(16).u32(0).str("..").str("/").u32(0)).errno());
        assertTrue(Files.exists(share.resolve("hello.txt")));
    }

    @Test
    void readOnlySharesRefuseChanges() throws IOException {
        server = new P9Server(share, true);
        ok(call(msg(100).u32(65536).str("9P2000.L")));
        ok(call(msg(104).u32(0).u32(-1).str("root").str("").u32(0)));
        assertEquals(30, call(msg(72).u32(0).str("d").u32(0755).u32(0)).errno());
        assertEquals(1, walk(0, 1, "hello.txt"));
        assertEquals(30, call(msg(12).u32(1).u32(1)).errno(), "open for writing");
        assertEquals(30, call(msg(76).u32(0).str("hello.txt").u32(0)).errno());
        assertEquals("hello from the host", new String(readAll(1), StandardCharsets.UTF_8));
    }

    @Test
    void garbageRequestsGetErrors() {
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < 20_000; i++) {
            byte[] m = new byte[r.nextInt(0, 64)];
            r.nextBytes(m);
            if (m.length >= 5) {
                ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(0, m.length);
                m[4] = (byte) (6 + 2 * r.nextInt(60));
            }
            byte[] reply = server.handle(m, 8192);
            assertTrue(reply.length >= 7 && reply.length <= 8192);
        }
        assertTrue(Files.exists(share.resolve("hello.txt")));
        assertArrayEquals(new byte[0], new byte[0]);
    }
}
