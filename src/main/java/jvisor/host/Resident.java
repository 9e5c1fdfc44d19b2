package jvisor.host;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * How much of a guest's RAM is backed by host memory: Linux's mincore(2) over the RAM mapping,
 * one byte per page. Guest RAM is mapped lazily, so this is what the guest has touched (and the
 * host has not swapped out). Null where mincore is not available.
 */
final class Resident {
    private static final MethodHandle MINCORE = lookup();
    private static final long PAGE = 4096;

    private Resident() {}

    private static MethodHandle lookup() {
        try {
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) return null;
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("mincore").map(addr -> linker.downcallHandle(addr,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                            ValueLayout.ADDRESS))).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** Resident bytes of {@code ram} (page-aligned, as guest RAM is), or null. */
    static Long bytes(MemorySegment ram) {
        if (MINCORE == null || ram.address() % PAGE != 0) return null;
        long pages = (ram.byteSize() + PAGE - 1) / PAGE;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment vec = arena.allocate(pages);
            int rc = (int) MINCORE.invokeExact(ram, ram.byteSize(), vec);
            if (rc != 0) return null;
            long n = 0;
            for (long i = 0; i < pages; i++) n += vec.get(ValueLayout.JAVA_BYTE, i) & 1;
            return n * PAGE;
        } catch (Throwable t) {
            return null;
        }
    }
}
