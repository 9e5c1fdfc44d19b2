package jvisor.images;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * Runs the virtual machine that builds a system image, where the work needs root: making the
 * filesystem, installing packages with the system's own dpkg. Machines live above this package
 * (jvisor.machine), which implements it; whoever creates {@link Images} passes it in.
 */
@FunctionalInterface
public interface BuildGuest {
    /**
     * What the builder boots: {@code disk} (qcow2) is the guest's vda, {@code share} a read-only
     * 9p share tagged {@code shareTag}.
     */
    record Spec(Path kernel, Path initrd, String cmdline, long memoryBytes, int cpus, Path disk, Path share,
                String shareTag) {}

    /** The status {@link #run} returns for a guest stopped because its console stayed quiet too long. */
    int SILENT = -2;

    /**
     * Runs the guest until it powers off, or until its console has been quiet for {@code quietLimit}
     * (then {@link #SILENT}); its console goes to {@code console}. Returns its exit status.
     */
    int run(Spec spec, OutputStream console, java.time.Duration quietLimit) throws IOException;
}
