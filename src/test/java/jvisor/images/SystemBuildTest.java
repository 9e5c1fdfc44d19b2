package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** How a system image's packages are split into the build's stages. */
class SystemBuildTest {
    private static final ImageSpec SPEC = new ImageSpec("sys", "t", "s", "trixie", "main", "riscv64", "linux-image-riscv64",
            Pattern.compile("linux-image-6.*"), "busybox-static", "opensbi", "fw", List.of(),
            new ImageSpec.Rootfs(List.of("required", "important"), List.of("openssh-server"), 1L << 30, 1L << 30));

    /** A small Debian: required tools, an important init that pre-depends on a chain, and an extra. */
    private static PackageIndex index() throws ImageException {
        return ResolverTest.index(
                "base-files 13\nPriority: required\nEssential: yes",
                "dpkg 1.22\nPriority: required\nEssential: yes\nPre-Depends: libc6",
                "libc6 2.41\nPriority: required",
                "e2fsprogs 1.47\nPriority: important\nPre-Depends: libext2fs2",
                "libext2fs2 1.47\nDepends: libc6",
                "init 1.6\nPriority: important\nPre-Depends: systemd-sysv",
                "systemd-sysv 257\nPre-Depends: systemd",
                "systemd 257\nPre-Depends: libsystemd-shared (= 257)\nDepends: libapparmor1",
                "libsystemd-shared 257\nDepends: libc6",
                "libapparmor1 4",
                "openssh-server 10\nPre-Depends: init-system-helpers\nDepends: libc6",
                "init-system-helpers 1.68\nPriority: required",
                "linux-image-riscv64 6.12\nDepends: linux-image-6.12-riscv64",
                "linux-image-6.12-riscv64 6.12", "busybox-static 1.37", "opensbi 1.6",
                "unrelated 1\nPriority: optional");
    }

    private static SystemBuild.Plan plan() throws ImageException {
        PackageIndex idx = index();
        ChosenPackages boot = new ChosenPackages(idx.find("linux-image-6.12-riscv64"), idx.find("busybox-static"),
                idx.find("opensbi"));
        return SystemBuild.plan(SPEC, idx, "Packages", boot);
    }

    private static List<String> names(List<PackageIndex.Package> packages) {
        return packages.stream().map(PackageIndex.Package::name).toList();
    }

    @Test
    void requiredPackagesComeFirstWithBaseFilesAtTheHead() throws ImageException {
        SystemBuild.Plan plan = plan();
        assertEquals("base-files", plan.required().getFirst().name());
        assertEquals(List.of("base-files", "dpkg", "init-system-helpers", "libc6"), names(plan.required()).stream().sorted().toList());
        assertEquals(List.of("e2fsprogs", "init", "libapparmor1", "libext2fs2", "libsystemd-shared", "openssh-server",
                "systemd", "systemd-sysv"), names(plan.base()).stream().sorted().toList());
        assertFalse(names(plan.system()).contains("unrelated"));
        assertTrue(names(plan.tools()).containsAll(List.of("e2fsprogs", "libext2fs2", "libc6")));
    }

    /**
     * What others pre-depend on is installed before the base stage, in runs where nothing
     * pre-depends on a package of its own run (dpkg configures a run only after unpacking all of it).
     */
    @Test
    void preDependedPackagesAreInstalledInRunsThatNeverPreDependWithin() throws ImageException {
        List<List<String>> runs = plan().predependGroups().stream().map(SystemBuildTest::names).toList();
        List<String> flat = runs.stream().flatMap(List::stream).toList();
        assertTrue(flat.containsAll(List.of("libext2fs2", "systemd-sysv", "systemd", "libsystemd-shared", "libapparmor1")), flat.toString());
        assertFalse(flat.contains("openssh-server"), "nothing pre-depends on it");
        assertTrue(flat.indexOf("libsystemd-shared") < flat.indexOf("systemd"));
        assertTrue(flat.indexOf("systemd") < flat.indexOf("systemd-sysv"));
        for (List<String> run : runs) {
            assertFalse(run.contains("systemd") && run.contains("libsystemd-shared"), runs.toString());
            assertFalse(run.contains("systemd") && run.contains("systemd-sysv"), runs.toString());
        }
    }

    /** The build script is valid shell (checked by the host's sh -n; busybox ash reads the same POSIX syntax). */
    @Test
    void theBuildScriptParses() throws Exception {
        java.nio.file.Path script = java.nio.file.Files.createTempFile("build", ".sh");
        try {
            java.nio.file.Files.writeString(script, SystemScript.build("http://deb.debian.org/debian", "trixie"));
            Process p = new ProcessBuilder("sh", "-n", script.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertEquals(0, p.waitFor(), out);
        } finally {
            java.nio.file.Files.delete(script);
        }
    }

    /** The build guest's console: done only on its last line; a failure names the step and dpkg's error. */
    @Test
    void theBuildConsoleTellsWhereABuildFailed() throws Exception {
        java.nio.file.Path log = java.nio.file.Files.createTempFile("build", ".log");
        try {
            SystemBuild.BuildConsole ok = new SystemBuild.BuildConsole(log, 2, 3, null);
            try (ok) {
                ok.write("@jvisor extract\n@jvisor extracted 1\n@jvisor core\nSetting up dpkg (1.22) ...\n@jvisor done\n".getBytes());
            }
            assertTrue(ok.done());
            assertTrue(java.nio.file.Files.readString(log).contains("Setting up dpkg"), "the whole console is kept");

            SystemBuild.BuildConsole bad = new SystemBuild.BuildConsole(log, 2, 3, null);
            try (bad) {
                bad.write(("@jvisor configure-base\n\u001b[1mdpkg:\u001b[0m error processing package openssh-server (--configure):\n"
                        + " installed openssh-server package post-installation script subprocess returned error exit status 1\n"
                        + "@jvisor failed configure-base\n").getBytes());
            }
            assertFalse(bad.done());
            assertEquals("at step 'configure-base' (dpkg: error processing package openssh-server (--configure): installed "
                    + "openssh-server package post-installation script subprocess returned error exit status 1)", bad.failure());

            // dpkg's words when the build's disk is full
            SystemBuild.BuildConsole full = new SystemBuild.BuildConsole(log, 2, 3, null);
            try (full) {
                full.write(("@jvisor core\nUnpacking perl-base (5.40.1-6) ...\n"
                        + "dpkg: error processing archive /debs/libc6_2.41-12_riscv64.deb (--install):\n"
                        + " cannot copy extracted data for './usr/lib/riscv64-linux-gnu/libc.so.6' to "
                        + "'/usr/lib/riscv64-linux-gnu/libc.so.6.dpkg-new': failed to write (No space left on device)\n"
                        + "Errors were encountered while processing:\n /debs/libc6_2.41-12_riscv64.deb\n"
                        + "@jvisor failed core\n").getBytes());
            }
            assertTrue(full.failure().startsWith("at step 'core' (dpkg: error processing archive /debs/libc6_2.41-12_riscv64.deb")
                    && full.failure().endsWith("failed to write (No space left on device))"), full.failure());

            SystemBuild.BuildConsole cut = new SystemBuild.BuildConsole(log, 2, 3, null);
            try (cut) {
                cut.write("@jvisor extract\n@jvisor extracted 1\n".getBytes());
            }
            assertFalse(cut.done());
            assertEquals("before it finished", cut.failure());
        } finally {
            java.nio.file.Files.delete(log);
        }
    }

    @Test
    void theKeyFollowsEveryVersionAndTheRecipe() throws ImageException {
        SystemBuild.Plan plan = plan();
        assertEquals(plan.key("r1"), plan().key("r1"));
        assertNotEquals(plan.key("r1"), plan.key("r2"));
        assertTrue(plan.key("r1").startsWith("6.12_"), plan.key("r1"));
    }
}
