package jvisor.memory;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * The C library calls guest memory is built on (mmap and its kin), for Linux and macOS. Callers
 * link each one where it is first needed (a holder class per call): in a JVM that has just
 * started, linking a call costs 5-20 ms, and a cold {@code jvisor restore} needs only a few.
 */
final class LibC {
    private LibC() {}

    static final String OS = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    static final boolean POSIX = OS.contains("linux") || OS.contains("mac");

    /** {@code name} from the C library as {@code descriptor}, or null where it cannot be called. */
    static MethodHandle link(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        if (!POSIX) return null;
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find(name).map(a -> linker.downcallHandle(a, descriptor, options)).orElse(null);
        } catch (RuntimeException | LinkageError e) {
            return null; // no native access: callers fall back
        }
    }
}
