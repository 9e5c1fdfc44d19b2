package jvisor.machine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import jvisor.firmware.ElfImage;
import jvisor.state.StateException;
import jvisor.testing.Assembler;
import jvisor.testing.Guest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshot files that cannot be restored: truncated, bit-flipped and hand-made ones are all
 * refused with a {@link StateException} whose message is one line naming the file, never with
 * another exception or a machine. And the format-1 fixture kept in the tests still restores.
 */
class SnapshotFileTest {
    /** A snapshot of {@link SnapshotTest#CHECKSUM} mid-run, written by format version 1. */
    static final String FIXTURE = "/jvisor/snapshots/format1-checksum.jvs";
    /** What the fixture's program leaves in {@code result} when it finishes. */

    static final int ITERATIONS = 200_000;

    static byte[] good;

    @BeforeAll
    static void snapshot(@TempDir Path dir) throws Exception {
        Path prog = Assembler.assemble(Guest.PROLOGUE + SnapshotTest.CHECKSUM.formatted(ITERATIONS, 1, 1, 512, 4096, 8)
                + Guest.EPILOGUE);
        Machine m = Guest.newMachine(1, new ByteArrayOutputStream());
        m.loadHtifProgram(ElfImage.read(prog));
        assertEquals(null, m.run(100_000));
        m.pause();
        Path file = dir.resolve("good.jvs");
        Snapshot.save(m, file, null);
        m.close();
        good = Files.readAllBytes(file);
    }

    /** Restores {@code bytes}; returns the error, failing the test on success or on any other exception. */
    private static StateException refused(byte[] bytes, Path dir, String what) {
        Path f = dir.resolve("bad.jvs");
        try {
            Files.write(f, bytes);
            Machine m = Snapshot.restore(f, new ByteArrayOutputStream(), Map.of());
            m.close();
            fail(what + ": restored");
            return null;
        } catch (StateException e) {
            assertFalse(e.getMessage().contains("\n"), what + ": a message of several lines: " + e.getMessage());
            assertTrue(e.getMessage().contains(f.toString()) || e.getMessage().startsWith("snapshot section"),
                    what + ": the message names neither the file nor the section: " + e.getMessage());
            return e;
        } catch (Throwable t) {
            throw new AssertionError(what + ": refused with " + t, t);
        }
    }

    @Test
    void theGoodFileRestores(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("ok.jvs");
        Files.write(f, good);
        Snapshot.restore(f, new ByteArrayOutputStream(), Map.of()).close();
    }

    @Test
    void everyTruncationIsRefused(@TempDir Path dir) {
        for (int n = 0; n < good.length; n += inRamData(n) ? 61 : 1) {
            StateException e = refused(java.util.Arrays.copyOf(good, n), dir, "cut at " + n);
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("not a jvisor snapshot"),
                    "cut at " + n + ": " + e.getMessage());
        }
    }

    @Test
    void everyBitFlipIsRefused(@TempDir Path dir) {
        Random random = new Random(14);
        for (int i = 0; i < good.length; i += inRamData(i) ? 1 + random.nextInt(61) : 1) {
            byte[] bad = good.clone();
            bad[i] ^= (byte) (1 << random.nextInt(8));
            refused(bad, dir, "bit flipped at " + i);
        }
    }

    @Test
    void handMadeFilesAreRefusedWithTheirReason(@TempDir Path dir) {
        assertTrue(refused("hello, world".getBytes(), dir, "text").getMessage().contains("not a jvisor snapshot"));
        assertTrue(refused(new byte[0], dir, "empty").getMessage().contains("truncated"));

        byte[] newer = good.clone();
        ByteBuffer.wrap(newer).order(ByteOrder.LITTLE_ENDIAN).putInt(8, StateStreamWriter.FORMAT_VERSION + 1);
        assertTrue(refused(newer, dir, "newer").getMessage().contains("newer jvisor"));

        byte[] otherKind = rewriteHeader("arm64-virt");
        assertTrue(refused(otherKind, dir, "other machine").getMessage().contains("arm64-virt"));

        // A section that claims to be enormous, with a checksum that matches its header.
        byte[] huge = good.clone();
        ByteBuffer b = ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN);
        int lengthAt = 12 + 4 + 2 + "header".length() + 4;
        b.putLong(lengthAt, Long.MAX_VALUE);
        assertTrue(refused(huge, dir, "huge section").getMessage().contains("claims"));
    }

    /** The good file with its header section saying {@code kind}, checksummed so only the kind is wrong. */
    private static byte[] rewriteHeader(String kind) {
        ByteBuffer in = ByteBuffer.wrap(good).order(ByteOrder.LITTLE_ENDIAN);
        int nameLength = in.getShort(16);
        int payloadAt = 12 + 4 + 2 + nameLength + 4 + 8;
        int length = (int) in.getLong(payloadAt - 8);
        int oldKindLength = in.getInt(payloadAt);
        byte[] k = kind.getBytes();
        ByteBuffer payload = ByteBuffer.allocate(length - oldKindLength + k.length).order(ByteOrder.LITTLE_ENDIAN);
        payload.putInt(k.length).put(k).put(good, payloadAt + 4 + oldKindLength, length - 4 - oldKindLength);
        ByteBuffer out = ByteBuffer.allocate(good.length - length + payload.capacity()).order(ByteOrder.LITTLE_ENDIAN);
        out.put(good, 0, payloadAt - 8).putLong(payload.capacity()).put(payload.array());
        CRC32 crc = new CRC32();
        crc.update(out.array(), 12, out.position() - 12);
        out.putInt((int) crc.getValue());
        out.put(good, payloadAt + length + 4, good.length - payloadAt - length - 4);
        return out.array();
    }

    /**
     * True inside the RAM pages of the good file (sampled: a page is a page), false in the
     * framing and state sections, where every byte is tried.
     */
    private static boolean inRamData(int at) {
        int ram = indexOf(good, "ram".getBytes()), clock = indexOf(good, "clock".getBytes());
        return at > ram + 64 && at < clock - 64;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    @Test
    void theFormatOneFixtureRestoresAndFinishes(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("fixture.jvs");
        try (InputStream in = SnapshotFileTest.class.getResourceAsStream(FIXTURE)) {
            assertTrue(in != null, "the fixture " + FIXTURE + " is missing (regenerate: -Djvisor.writeFixture=DIR)");
            Files.copy(in, f);
        }
        Machine m = Snapshot.restore(f, new ByteArrayOutputStream(), Map.of());
        m.resume();
        assertEquals(0, m.run().status());
        assertEquals(FIXTURE_RESULT_VALUE, m.ram().getLong(FIXTURE_RESULT_ADDRESS - m.ram().base()),
                "the fixture's program ended with another checksum than it does when run without a snapshot");
        m.close();
    }

    /** Where and what the fixture's program leaves as its result (read off the program that made it). */
    static final long FIXTURE_RESULT_ADDRESS = 0x80003018L, FIXTURE_RESULT_VALUE = 0xa1aee9fc0173eb43L;

    /** Writes the fixture (and prints its result) into the directory {@code -Djvisor.writeFixture} names. */
    @Test
    @EnabledIfSystemProperty(named = "jvisor.writeFixture", matches = ".+")
    void writeFixture() throws Exception {
        Path prog = Assembler.assemble(Guest.PROLOGUE + SnapshotTest.CHECKSUM.formatted(ITERATIONS, 1, 1, 512, 4096, 8)
                + Guest.EPILOGUE);
        ElfImage elf = ElfImage.read(prog);
        Machine whole = Guest.newMachine(1, new ByteArrayOutputStream());
        whole.loadHtifProgram(elf);
        whole.run();
        long at = elf.symbol("result");
        System.out.printf("fixture result at 0x%x: 0x%x%n", at, whole.ram().getLong(at - whole.ram().base()));
        whole.close();
        Path out = Path.of(System.getProperty("jvisor.writeFixture")).resolve("format1-checksum.jvs");
        Files.write(out, good);
        System.out.println("wrote " + out);
    }
}
