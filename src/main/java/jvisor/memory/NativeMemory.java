package jvisor.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Page-aligned, zero-filled memory for guest RAM. On Linux and macOS it comes from an anonymous
 * private mmap, so the host commits pages only as the guest touches them: a VM with 4 GiB of RAM
 * starts at once and costs what it uses. Elsewhere (or if mmap fails) the arena allocates it,
 * which zeroes it up front.
 */
final class NativeMemory {
    private NativeMemory() {}

    private static final int PROT_READ_WRITE = 3, MAP_PRIVATE = 2;
    private static final String OS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    /** MAP_ANONYMOUS (| MAP_NORESERVE on Linux: don't count untouched guest RAM against overcommit). */
    private static final int MAP_ANON = OS.contains("linux") ? 0x20 | 0x4000 : OS.contains("mac") ? 0x1000 : 0;

    private static final MethodHandle MMAP, MUNMAP;

    static {
        MethodHandle mmap = null, munmap = null;
        if (MAP_ANON != 0) {
            try {
                Linker linker = Linker.nativeLinker();
                mmap = linker.defaultLookup().find("mmap").map(a -> linker.downcallHandle(a, FunctionDescriptor.of(
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG))).orElse(null);
                munmap = linker.defaultLookup().find("munmap").map(a -> linker.downcallHandle(a, FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG))).orElse(null);
            } catch (RuntimeException | LinkageError e) {
                mmap = munmap = null; // no native access: fall back to the arena
            }
        }
        MMAP = mmap;
        MUNMAP = munmap;
    }

    /** {@code size} zeroed bytes, 4 KiB aligned, released when {@code arena} closes. */
    static MemorySegment allocate(long size, Arena arena) {
        if (MMAP != null && MUNMAP != null) {
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
            int ignored = (int) MUNMAP.invokeExact(s, size);
        } catch (Throwable e) {
            // nothing more can be done; the process keeps the mapping
        }
    }
}
