package jvisor.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Maps runs of a file copy-on-write over guest RAM (mmap MAP_PRIVATE | MAP_FIXED), so a restored
 * VM's memory comes back as the guest touches it instead of being read up front: the host reads
 * a page from the file (usually its page cache) on first access and copies it on first write.
 * Linux and macOS; elsewhere {@link #supported} is false and callers copy.
 */
final class FileMapping {
    private FileMapping() {}

    private static final String OS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    private static final int PROT_READ_WRITE = 3, MAP_PRIVATE = 2, MAP_FIXED = 0x10, O_RDONLY = 0;
    private static final MethodHandle MMAP, OPEN, CLOSE, MINCORE;

    static {
        MethodHandle mmap = null, open = null, close = null, mincore = null;
        if (OS.contains("linux") || OS.contains("mac")) {
            try {
                Linker linker = Linker.nativeLinker();
                var lookup = linker.defaultLookup();
                mmap = linker.downcallHandle(lookup.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                open = linker.downcallHandle(lookup.find("open").orElseThrow(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
                close = linker.downcallHandle(lookup.find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                mincore = linker.downcallHandle(lookup.find("mincore").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
            } catch (RuntimeException | LinkageError e) {
                mmap = open = close = mincore = null; // no native access: callers copy
            }
        }
        MMAP = mmap;
        OPEN = open;
        CLOSE = close;
        MINCORE = mincore;
    }

    /**
     * Which pages of {@code mem} the host has memory for (mincore), one byte per page with bit 0
     * set for resident pages; null where the host cannot say. Anonymous guest RAM the guest never
     * touched is not resident, and reads as zeros.
     */
    static byte[] resident(MemorySegment mem) {
        if (MINCORE == null) return null;
        long pages = mem.byteSize() / GuestRam.PAGE_SIZE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = arena.allocate(pages);
            int r = (int) MINCORE.invokeExact(mem, mem.byteSize(), vec);
            return r == 0 ? vec.toArray(ValueLayout.JAVA_BYTE) : null;
        } catch (Throwable e) {
            return null;
        }
    }

    static boolean supported() { return MMAP != null && OPEN != null && CLOSE != null; }

    /**
     * Maps {@code lengths[i]} bytes of {@code file} at {@code fileOffsets[i]} over {@code target}
     * at {@code offsets[i]}, for every i (all page-aligned). Returns false, having mapped nothing
     * it could not undo... or some runs: on false the caller copies every run, which overwrites
     * whatever was mapped.
     */
    static boolean map(MemorySegment target, Path file, long[] offsets, long[] lengths, long[] fileOffsets) {
        if (!supported()) return false;
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), O_RDONLY);
            if (fd < 0) return false;
            try {
                for (int i = 0; i < offsets.length; i++) {
                    MemorySegment at = MemorySegment.ofAddress(target.address() + offsets[i]);
                    MemorySegment p = (MemorySegment) MMAP.invokeExact(at, lengths[i], PROT_READ_WRITE,
                            MAP_PRIVATE | MAP_FIXED, fd, fileOffsets[i]);
                    if (p.address() != at.address()) return false;
                }
                return true;
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (Throwable e) {
            return false;
        }
    }
}
