package jvisor.images;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Lays out the busybox initramfs: {@code /bin/busybox} with a symlink per applet ({@code /sbin}
 * and {@code /usr/*} point at {@code /bin}), the chosen kernel modules under
 * {@code /lib/modules/RELEASE/} with their modules.dep, {@code /dev/console} (the kernel opens it
 * for /init before devtmpfs is mounted), a root account, and {@link InitScript}'s /init and inittab.
 */
final class Initramfs {
    private Initramfs() {}

    /** What goes in; {@code applets} may be empty, then /init installs the links at boot. */
    record Contents(byte[] busybox, List<String> applets, String kernelRelease, KernelModules.Selection modules,
                    String banner) {}

    static void write(Contents c, OutputStream out, long mtimeSeconds) throws IOException {
        try (CpioWriter cpio = new CpioWriter(out, mtimeSeconds)) {
            for (String dir : List.of("bin", "dev", "etc", "lib", "lib/modules", "mnt", "proc", "root", "run", "sys",
                    "tmp", "usr", "usr/share", "usr/share/udhcpc")) {
                cpio.directory(dir);
            }
            cpio.symlink("sbin", "bin");
            cpio.symlink("usr/bin", "../bin");
            cpio.symlink("usr/sbin", "../bin");
            cpio.charDevice("dev/console", 0600, 5, 1);
            cpio.charDevice("dev/null", 0666, 1, 3);

            cpio.file("bin/busybox", 0755, c.busybox());
            for (String applet : c.applets()) {
                if (!applet.equals("busybox")) cpio.symlink("bin/" + applet, "busybox");
            }
            cpio.file("init", 0755, utf8(InitScript.init(c.banner())));
            cpio.file("usr/share/udhcpc/default.script", 0755, utf8(InitScript.dhcpHook()));
            cpio.file("etc/passwd", 0644, utf8("root:x:0:0:root:/root:/bin/sh\n"));
            cpio.file("etc/group", 0644, utf8("root:x:0:\n"));
            cpio.file("etc/hostname", 0644, utf8("jvisor\n"));
            cpio.file("etc/inittab", 0644, utf8(InitScript.inittab()));
            cpio.file("etc/profile", 0644, utf8(InitScript.profile()));

            String base = "lib/modules/" + c.kernelRelease() + "/";
            Set<String> dirs = new LinkedHashSet<>();
            dirs.add(base.substring(0, base.length() - 1));
            for (KernelModules.Module m : c.modules().modules()) {
                String path = base + m.path();
                for (int slash = path.indexOf('/', base.length()); slash > 0; slash = path.indexOf('/', slash + 1)) {
                    dirs.add(path.substring(0, slash));
                }
            }
            for (String d : dirs) cpio.directory(d);
            for (KernelModules.Module m : c.modules().modules()) cpio.file(base + m.path(), 0644, m.ko());
            cpio.file(base + "modules.dep", 0644, utf8(c.modules().modulesDep()));
        }
    }

    private static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }
}
