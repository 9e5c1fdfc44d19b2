package jvisor.images;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tukaani.xz.XZInputStream;

/**
 * The loadable modules of one kernel release, gathered from the kernel package's
 * {@code lib/modules/RELEASE/} tree, and the dependency closure of a chosen few. Modules are held
 * as shipped (Debian compresses them with xz) until chosen, then decompressed, so that busybox's
 * insmod and any kernel can load them.
 */
final class KernelModules {
    /** A chosen module: {@code path} is relative to {@code lib/modules/RELEASE/}, without .xz. */
    record Module(String name, String path, byte[] ko) {}

    /** The chosen modules in load order (dependencies first), the ones built in, and the ones absent. */
    record Selection(List<Module> modules, List<String> builtin, List<String> missing, String modulesDep) {}

    private final Map<String, String> paths = new HashMap<>();     // module name -> path as shipped
    private final Map<String, byte[]> shipped = new HashMap<>();   // module name -> bytes as shipped
    private final Set<String> builtin = new HashSet<>();
    private final Map<String, ModInfo> infos = new HashMap<>();
    private final Map<String, byte[]> plain = new HashMap<>();      // decompressed, once looked at

    /** Module names treat '-' and '_' alike, as the kernel does. */
    static String normalize(String name) { return name.replace('-', '_'); }

    /** Offers one file of {@code lib/modules/RELEASE/} ({@code path} relative to it). */
    void add(String path, InputStream content) throws IOException {
        if (path.equals("modules.builtin")) {
            for (String line : new String(content.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.isBlank()) builtin.add(nameOf(line.strip()));
            }
        } else if (path.endsWith(".ko") || path.endsWith(".ko.xz")) {
            String name = nameOf(path);
            paths.put(name, path);
            shipped.put(name, content.readAllBytes());
        } else if (path.endsWith(".ko.zst") || path.endsWith(".ko.gz")) {
            throw new IOException(path + ": jvisor reads kernel modules compressed with xz or not at all");
        }
    }

    boolean isEmpty() { return paths.isEmpty(); }

    private static final byte[] SIGNATURE_MAGIC = "~Module signature appended~\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * {@code ko} without its appended signature, if it has one: the signature, then a 12-byte
     * {@code struct module_signature} whose last field is the signature's big-endian length,
     * then the magic string (Linux scripts/sign-file.c). A kernel that does not enforce
     * signatures loads the module unsigned, without spending seconds checking it.
     */
    static byte[] withoutSignature(byte[] ko) {
        int magic = ko.length - SIGNATURE_MAGIC.length;
        if (magic < 12 || !java.util.Arrays.equals(ko, magic, ko.length, SIGNATURE_MAGIC, 0, SIGNATURE_MAGIC.length)) {
            return ko;
        }
        int sigLen = java.nio.ByteBuffer.wrap(ko, magic - 4, 4).getInt();
        int end = magic - 12 - sigLen;
        return sigLen < 0 || end < 0 ? ko : java.util.Arrays.copyOf(ko, end);
    }

    private static String nameOf(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        return normalize(file.substring(0, file.indexOf(".ko")));
    }

    /** Chooses {@code wanted} and everything they depend on (hard and direct soft "pre" dependencies). */
    Selection select(List<String> wanted) throws IOException {
        List<String> order = new ArrayList<>();     // post-order: dependencies before dependents
        List<String> inBuiltin = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Set<String> visiting = new HashSet<>();
        for (String w : wanted) {
            String name = normalize(w);
            if (builtin.contains(name)) inBuiltin.add(name);
            else if (!paths.containsKey(name)) missing.add(name);
            else visit(name, order, visiting);
        }
        List<Module> modules = new ArrayList<>();
        StringBuilder dep = new StringBuilder();
        for (String name : order) {
            modules.add(new Module(name, plainPath(name), decompressed(name)));
            dep.append(plainPath(name)).append(':');
            for (String d : closure(name)) dep.append(' ').append(plainPath(d));
            dep.append('\n');
        }
        return new Selection(List.copyOf(modules), List.copyOf(inBuiltin), List.copyOf(missing), dep.toString());
    }

    private void visit(String name, List<String> order, Set<String> visiting) throws IOException {
        if (order.contains(name) || !visiting.add(name)) return; // done, or a cycle: depmod refuses those too
        for (String d : dependencies(name)) visit(d, order, visiting);
        order.add(name);
    }

    /** Direct dependencies that are loadable modules (built-in ones need no loading). */
    private List<String> dependencies(String name) throws IOException {
        ModInfo info = infos.get(name);
        if (info == null) {
            info = ModInfo.parse(decompressed(name), paths.get(name));
            infos.put(name, info);
        }
        List<String> out = new ArrayList<>();
        for (String d : info.depends()) {
            String n = normalize(d);
            if (!paths.containsKey(n) && !builtin.contains(n)) {
                throw new IOException(paths.get(name) + " depends on " + d + ", which the kernel package lacks");
            }
            if (paths.containsKey(n)) out.add(n);
        }
        // soft dependencies may name aliases (crypto-crc32c); only those naming a module count here
        for (String d : info.softPre()) if (paths.containsKey(normalize(d))) out.add(normalize(d));
        return out;
    }

    /**
     * All dependencies of {@code name}, ordered as modules.dep wants them: each module before the
     * modules it depends on, so that loading the list from its end works (kmod and busybox do).
     */
    private List<String> closure(String name) throws IOException {
        List<String> post = new ArrayList<>();
        Set<String> visiting = new HashSet<>();
        for (String d : dependencies(name)) visit(d, post, visiting);
        List<String> reversed = new ArrayList<>(new LinkedHashSet<>(post));
        java.util.Collections.reverse(reversed);
        return reversed;
    }

    private String plainPath(String name) {
        String p = paths.get(name);
        return p.endsWith(".xz") ? p.substring(0, p.length() - 3) : p;
    }

    private byte[] decompressed(String name) throws IOException {
        byte[] data = plain.get(name);
        if (data != null) return data;
        data = shipped.get(name);
        if (paths.get(name).endsWith(".xz")) {
            try (InputStream in = new XZInputStream(new ByteArrayInputStream(data))) {
                data = in.readAllBytes();
            }
        }
        plain.put(name, data);
        return data;
    }
}
