package jvisor.images;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Debian mirror on 127.0.0.1 for tests: serves files from memory, honours Range requests (unless
 * told not to), logs what was asked, and can cut a response off midway to act out a dropped
 * connection. {@link #debianLike} fills it with a tiny signed trixie/riscv64 archive.
 */
final class FakeMirror implements AutoCloseable {
    static final String KERNEL = "linux-image-6.12.9+deb13-riscv64";
    static final String RELEASE = "6.12.9+deb13-riscv64";

    private final HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> drops = new ConcurrentHashMap<>();
    private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean ignoreRange;

    FakeMirror() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::serve);
        server.start();
    }

    String url() { return "http://127.0.0.1:" + server.getAddress().getPort() + "/debian"; }

    /** A mirror URL where nothing listens: a port that was free a moment ago. */
    static String deadUrl() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return "http://127.0.0.1:" + s.getLocalPort() + "/debian";
        }
    }

    void put(String path, byte[] content) { files.put(path, content); }

    byte[] get(String path) { return files.get(path); }

    /** Takes {@code path} away: requests for it get 404, as from a mirror caught mid-update. */
    byte[] remove(String path) { return files.remove(path); }

    /** The next {@code times} responses for {@code path} stop after half the content. */
    void dropMidway(String path, int times) { drops.put(path, new AtomicInteger(times)); }

    void ignoreRange(boolean ignore) { ignoreRange = ignore; }

    /** Requests so far as "PATH" or "PATH range=bytes=N-". */
    List<String> requests() { synchronized (requests) { return List.copyOf(requests); } }

    private void serve(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath().replaceFirst("^/debian/", "");
        String range = ex.getRequestHeaders().getFirst("Range");
        requests.add(path + (range != null ? " range=" + range : ""));
        byte[] body = files.get(path);
        if (body == null) {
            ex.sendResponseHeaders(404, -1);
            ex.close();
            return;
        }
        int from = 0;
        if (range != null && !ignoreRange && range.startsWith("bytes=") && range.endsWith("-")) {
            from = Integer.parseInt(range.substring(6, range.length() - 1));
            if (from >= body.length) {
                ex.sendResponseHeaders(416, -1);
                ex.close();
                return;
            }
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (body.length - 1) + "/" + body.length);
        }
        ex.sendResponseHeaders(from > 0 ? 206 : 200, body.length - from);
        AtomicInteger drop = drops.get(path);
        boolean cut = drop != null && drop.getAndDecrement() > 0;
        OutputStream out = ex.getResponseBody();
        if (cut) {
            out.write(body, from, (body.length - from) / 2);
            out.flush();
            // a handler that fails makes HttpServer close the connection: the client sees it cut short
            throw new IOException("connection dropped on purpose");
        }
        out.write(body, from, body.length - from);
        ex.close();
    }

    @Override
    public void close() { server.stop(0); }

    // ---- a tiny signed Debian archive ----

    /** Paths of the archive's .debs, by package name. */
    final Map<String, String> pool = new LinkedHashMap<>();

    /**
     * Fills this mirror with dists/trixie/{InRelease, main/binary-riscv64/Packages.xz} and three
     * packages: the kernel (reached through linux-image-riscv64), busybox-static and opensbi.
     */
    FakeMirror debianLike(TestKeys keys) throws IOException {
        String mods = "usr/lib/modules/" + RELEASE + "/";
        Map<String, byte[]> kernel = new LinkedHashMap<>();
        kernel.put("boot/vmlinux-" + RELEASE, "RISCV kernel image".getBytes(StandardCharsets.US_ASCII));
        kernel.put(mods + "modules.builtin", "kernel/drivers/char/virtio_console.ko\n".getBytes(StandardCharsets.US_ASCII));
        kernel.put(mods + "kernel/drivers/virtio/virtio_mmio.ko.xz",
                TestDebs.xz(TestDebs.module("name=virtio_mmio", "depends=")));
        kernel.put(mods + "kernel/fs/ext4/ext4.ko.xz", TestDebs.xz(TestDebs.module("softdep=pre: crypto-crc32c",
                "depends=jbd2,mbcache", "name=ext4")));
        kernel.put(mods + "kernel/fs/jbd2/jbd2.ko.xz", TestDebs.xz(TestDebs.module("name=jbd2", "depends=mbcache")));
        kernel.put(mods + "kernel/fs/mbcache.ko.xz", TestDebs.xz(TestDebs.module("name=mbcache", "depends=")));
        kernel.put(mods + "kernel/drivers/char/hw_random/virtio-rng.ko", TestDebs.module("name=virtio_rng", "depends="));
        String[][] more = {{"drivers/block/virtio_blk", ""}, {"drivers/net/virtio_net", "net_failover"},
            {"drivers/net/net_failover", "failover"}, {"net/core/failover", ""}, {"net/9p/9pnet_virtio", "9pnet"},
            {"net/9p/9pnet", "netfs"}, {"fs/netfs/netfs", ""}, {"fs/9p/9p", "9pnet,netfs"}, {"crypto/crc32c_generic", ""}, {"arch/riscv/kvm/kvm", ""}};
        for (String[] m : more) {
            String name = m[0].substring(m[0].lastIndexOf('/') + 1);
            kernel.put(mods + "kernel/" + m[0] + ".ko.xz", TestDebs.xz(TestDebs.module("name=" + name, "depends=" + m[1])));
        }
        kernel.put(mods + "kernel/drivers/unrelated.ko.xz", TestDebs.xz(TestDebs.module("name=unrelated", "depends=")));
        addPackage(KERNEL, "6.12.9-1", TestDebs.deb(kernel));
        String[] applets = {"[", "[[", "ash", "cat", "cttyhack", "echo", "grep", "hostname", "ip", "ls", "md5sum", "modprobe",
                "mount", "poweroff", "seq", "setsid", "sh", "sleep", "udhcpc", "uname", "wc"};
        addPackage("busybox-static", "1:1.37.0-6", TestDebs.deb(Map.of("usr/bin/busybox", TestDebs.busybox(applets))));
        addPackage("opensbi", "1.6-1", TestDebs.deb(Map.of("usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin",
                "OpenSBI firmware".getBytes(StandardCharsets.US_ASCII))));
        publish(keys, "linux-image-riscv64", "6.12.9-1", KERNEL + " (= 6.12.9-1)");
        return this;
    }

    static final String LOADER = "ld-linux-riscv64-lp64d.so.1";

    /**
     * Adds what the test guest needs beside the kernel and busybox: U-Boot, e2fsprogs and QEMU
     * with the libraries their programs load (libext2fs through a SONAME link, libc, the loader
     * behind merged /usr's link), and qemu-system-data, which the guest leaves out.
     */
    FakeMirror withTestGuestPackages(TestKeys keys) throws IOException {
        String multiarch = "usr/lib/riscv64-linux-gnu/";
        addPackage("u-boot-qemu", "2025.01-3", "", TestDebs.deb(Map.of("usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin",
                "U-Boot".getBytes(StandardCharsets.US_ASCII))));
        addPackage("libc6", "2.41-12", "", TestDebs.deb(Map.of(multiarch + "libc.so.6", TestDebs.dynamicElf(null),
                multiarch + LOADER, TestDebs.dynamicElf(null)), Map.of("usr/lib/" + LOADER, "riscv64-linux-gnu/" + LOADER)));
        addPackage("libext2fs2t64", "1.47.2-3", "libc6", TestDebs.deb(Map.of(multiarch + "libext2fs.so.2.4",
                TestDebs.dynamicElf(null, "libc.so.6")), Map.of(multiarch + "libext2fs.so.2", "libext2fs.so.2.4")));
        addPackage("e2fsprogs", "1.47.2-3", "libext2fs2t64, libc6", TestDebs.deb(Map.of(
                "usr/sbin/mke2fs", TestDebs.dynamicElf("/lib/" + LOADER, "libext2fs.so.2", "libc.so.6"),
                "usr/sbin/e2fsck", TestDebs.dynamicElf("/lib/" + LOADER, "libext2fs.so.2"),
                "etc/mke2fs.conf", "[defaults]\n".getBytes(StandardCharsets.US_ASCII))));
        addPackage("libslirp0", "4.8.0-1", "libc6", TestDebs.deb(Map.of(multiarch + "libslirp.so.0",
                TestDebs.dynamicElf(null, "libc.so.6"))));
        addPackage("qemu-system-data", "1:10.0.6", "", TestDebs.deb(Map.of("usr/share/qemu/keymaps/en-us", new byte[1])));
        addPackage("qemu-system-riscv", "1:10.0.6", "libslirp0, libc6, qemu-system-data", TestDebs.deb(Map.of(
                "usr/bin/qemu-system-riscv64", TestDebs.dynamicElf("/lib/" + LOADER, "libslirp.so.0", "libc.so.6"))));
        publish(keys, "linux-image-riscv64", "6.12.9-1", KERNEL + " (= 6.12.9-1)");
        return this;
    }

    /**
     * Adds a Debian system's packages in miniature, enough for {@code debian-system}'s plan: the
     * required and essential ones, e2fsprogs (which makes the filesystem), and what the catalog
     * names beside the priorities; each .deb holds one file under /usr/share/doc.
     */
    FakeMirror withSystemPackages(TestKeys keys) throws IOException {
        String[][] system = {{"base-files", "13.8", "required", "yes", ""}, {"dpkg", "1.22.21", "required", "yes", "libc6"},
            {"libc6", "2.41-12", "required", "", ""}, {"base-passwd", "3.6.7", "required", "", ""},
            {"e2fsprogs", "1.47.2-3", "required", "", "libc6"}, {"apt", "3.0.3", "important", "", "libc6"},
            {"systemd", "257.9-1", "important", "", "libc6"}, {"systemd-sysv", "257.9-1", "important", "", "systemd"},
            {"udev", "257.9-1", "important", "", "systemd"}, {"systemd-resolved", "257.9-1", "optional", "", "systemd"},
            {"openssh-server", "1:10.0p1-7", "optional", "", "libc6"}, {"ca-certificates", "20250419", "optional", "", ""},
            {"less", "668-1", "important", "", ""}, {"nano", "8.4-1", "important", "", ""}, {"kmod", "34.2-2", "important", "", ""}};
        for (String[] p : system) {
            String fields = "Priority: " + p[2] + "\n" + (p[3].isEmpty() ? "" : "Essential: yes\n");
            addPackage(p[0], p[1], p[4], fields, TestDebs.deb(Map.of("usr/share/doc/" + p[0] + "/copyright",
                    ("the " + p[0] + " package").getBytes(StandardCharsets.US_ASCII))));
        }
        publish(keys, "linux-image-riscv64", "6.12.9-1", KERNEL + " (= 6.12.9-1)");
        return this;
    }

    /** Puts {@code deb} in the place of the package called {@code name} and publishes the archive again. */
    void replace(TestKeys keys, String name, String version, String depends, byte[] deb) throws IOException {
        addPackage(name, version, depends, deb);
        publish(keys, "linux-image-riscv64", "6.12.9-1", KERNEL + " (= 6.12.9-1)");
    }

    private final Map<String, String> stanzas = new LinkedHashMap<>();

    private void addPackage(String name, String version, byte[] deb) {
        addPackage(name, version, "", deb);
    }

    private void addPackage(String name, String version, String depends, byte[] deb) {
        addPackage(name, version, depends, "", deb);
    }

    private void addPackage(String name, String version, String depends, String fields, byte[] deb) {
        String file = name + "_" + version.replaceFirst("^[0-9]+:", "") + "_riscv64.deb"; // no epoch, as in Debian
        String path = "pool/main/" + name.charAt(0) + "/" + name + "/" + file;
        put(path, deb);
        pool.put(name, path);
        stanzas.put(name, stanza(name, version, depends, fields, path, deb));
    }

    /** {@code fields}: more of the stanza's lines, each ending in a newline (Priority, Essential). */
    private static String stanza(String name, String version, String depends, String fields, String path, byte[] deb) {
        return "Package: " + name + "\nVersion: " + version + "\n" + fields + "Architecture: riscv64\n"
                + (depends.isEmpty() ? "" : "Depends: " + depends + "\n")
                + "Description: test package\n continued description line\n .\n more\n"
                + "Filename: " + path + "\nSize: " + deb.length + "\nSHA256: " + Downloader.sha256(deb) + "\n";
    }

    /** Writes the Packages index and a signed InRelease for what the archive holds now. */
    void publish(TestKeys keys, String meta, String metaVersion, String metaDepends) throws IOException {
        publishWithExtra(keys, "", meta, metaVersion, metaDepends);
    }

    /** Like {@link #publish}, with one more stanza ({@code extra}) in the index. */
    void publishWithExtra(TestKeys keys, String extra, String meta, String metaVersion, String metaDepends) throws IOException {
        StringBuilder packages = new StringBuilder();
        for (String s : stanzas.values()) packages.append(s).append('\n');
        if (!extra.isEmpty()) packages.append(extra).append('\n');
        packages.append(stanza(meta, metaVersion, metaDepends, "", "pool/main/l/meta.deb", new byte[0]));
        byte[] plain = packages.toString().getBytes(StandardCharsets.UTF_8);
        byte[] xz = TestDebs.xz(plain);
        put("dists/trixie/main/binary-riscv64/Packages.xz", xz);
        String release = "Origin: Debian\nSuite: stable\nCodename: trixie\nDate: Sat, 21 Nov 2026 09:15:44 UTC\n"
                + "Architectures: all riscv64\nComponents: main\nSHA256:\n"
                + " " + Downloader.sha256(plain) + " " + plain.length + " main/binary-riscv64/Packages\n"
                + " " + Downloader.sha256(xz) + " " + xz.length + " main/binary-riscv64/Packages.xz\n";
        put("dists/trixie/InRelease", keys.clearSign(release));
    }

    /** The number of requests for {@code path} so far. */
    long count(String path) {
        return requests().stream().filter(r -> r.equals(path) || r.startsWith(path + " ")).count();
    }
}
