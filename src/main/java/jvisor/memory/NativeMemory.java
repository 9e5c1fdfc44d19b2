package jvisor.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Page-aligned, zero-filled memory for guest RAM. On Linux and macOS it comes from an anonymous
 * private mmap, so the host commits pages only as the guest touches them: a VM with 4 GiB of RAM
 * starts at once and costs what it uses. Elsewhere (or if mmap fails) the arena allocates it,
 * which zeroes it up front.
 */
final class NativeMemory {
    private NativeMemory() {}

    private static final int PROT_READ_WRITE = 3, MAP_PRIVATE = 2;
    /** MAP_ANONYMOUS (| MAP_NORESERVE on Linux: don't count untouched guest RAM against overcommit). */
    private static final int MAP_ANON = LibC.OS.contains("linux") ? 0x20 | 0x4000 : 0x1000;

    /** mmap(2), shared with {@link FileMapping}. */
    static final MethodHandle MMAP = LibC.link("mmap", FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));

    /** munmap(2), linked when the first RAM is given back (at the end of a run, as a rule). */
    private static final class Unmap {
        static final MethodHandle MUNMAP = LibC.link("munmap",
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    }

    /** {@code size} zeroed bytes, 4 KiB aligned, released when {@code arena} closes. */
    static MemorySegment allocate(long size, Arena arena) {
        if (MMAP != null) {
            try {
                MemorySegment p = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, size, PROT_READ_WRITE,
                        MAP_PRIVATE | MAP_ANON, -1, 0L);
                if (p.address() != -1L && p.address() != 0) {
                    return p.reinterpret(size, arena, s -> unmap(s, size));
                }
            } catch (Throwable e) {
                // fall through to the arena
            }
        }
        return arena.allocate(size, GuestRam.PAGE_SIZE);
    }

    private static void unmap(MemorySegment s, long size) {
        try {
            if (Unmap.MUNMAP != null) {
                int ignored = (int) Unmap.MUNMAP.invokeExact(s, size);
            }
        } catch (Throwable e) {
            // nothing more can be done; the process keeps the mapping
        }
    }
}
