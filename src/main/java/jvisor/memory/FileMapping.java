package jvisor.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Maps runs of a file copy-on-write over guest RAM (mmap MAP_PRIVATE | MAP_FIXED), so a restored
 * VM's memory comes back as the guest touches it instead of being read up front: the host reads
 * a page from the file (usually its page cache) on first access and copies it on first write.
 * Linux and macOS; elsewhere {@link #map} returns false and callers copy.
 */
final class FileMapping {
    private FileMapping() {}

    private static final int PROT_READ_WRITE = 3, MAP_PRIVATE = 2, MAP_FIXED = 0x10, O_RDONLY = 0;

    /** open(2) and close(2), linked at the first restore. */
    private static final class OpenClose {
        static final MethodHandle OPEN = LibC.link("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
        static final MethodHandle CLOSE = LibC.link("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    /** mincore(2), linked at the first save or migration. */
    private static final class Mincore {
        static final MethodHandle MINCORE = LibC.link("mincore", FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
    }

    /**
     * Which pages of {@code mem} the host has memory for (mincore), one byte per page with bit 0
     * set for resident pages; null where the host cannot say. Anonymous guest RAM the guest never
     * touched is not resident, and reads as zeros.
     */
    static byte[] resident(MemorySegment mem) {
        MethodHandle mincore = Mincore.MINCORE;
        if (mincore == null) return null;
        long pages = mem.byteSize() / GuestRam.PAGE_SIZE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = arena.allocate(pages);
            int r = (int) mincore.invokeExact(mem, mem.byteSize(), vec);
            return r == 0 ? vec.toArray(ValueLayout.JAVA_BYTE) : null;
        } catch (Throwable e) {
            return null;
        }
    }

    /**
     * Maps {@code lengths[i]} bytes of {@code file} at {@code fileOffsets[i]} over {@code target}
     * at {@code offsets[i]}, for every i (all page-aligned). Returns false, having mapped nothing
     * it could not undo... or some runs: on false the caller copies every run, which overwrites
     * whatever was mapped.
     */
    static boolean map(MemorySegment target, Path file, long[] offsets, long[] lengths, long[] fileOffsets) {
        MethodHandle mmap = NativeMemory.MMAP, open = OpenClose.OPEN, close = OpenClose.CLOSE;
        if (mmap == null || open == null || close == null) return false;
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) open.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), O_RDONLY);
            if (fd < 0) return false;
            try {
                for (int i = 0; i < offsets.length; i++) {
                    MemorySegment at = MemorySegment.ofAddress(target.address() + offsets[i]);
                    MemorySegment p = (MemorySegment) mmap.invokeExact(at, lengths[i], PROT_READ_WRITE,
                            MAP_PRIVATE | MAP_FIXED, fd, fileOffsets[i]);
                    if (p.address() != at.address()) return false;
                }
                return true;
            } finally {
                int ignored = (int) close.invokeExact(fd);
            }
        } catch (Throwable e) {
            return false;
        }
    }
}
