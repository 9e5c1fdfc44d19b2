package jvisor.images;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Some files of several packages, unpacked into memory as one file tree: regular files with
 * their mode, and symbolic and hard links, so that a program can be copied elsewhere with the
 * shared libraries it loads ({@link #libraries}) as a dynamic loader would find them.
 */
final class PackageFiles {
    /** The directories ld.so searches on Debian riscv64 (multiarch first), relative to /. */
    private static final List<String> LIBRARY_DIRS = List.of("usr/lib/riscv64-linux-gnu", "usr/lib");
    private static final int MAX_LINKS = 40; // as the kernel's ELOOP limit

    /**
     * A regular file ({@code link} null) or a link to {@code link}, a path from the root;
     * {@code symlink} is a symbolic link's target as written, null for a hard link.
     */
    private record Node(byte[] data, int mode, String link, String symlink) {}

    private final Map<String, Node> nodes = new HashMap<>();

    /** Adds the files and links of {@code deb} whose paths {@code keep} accepts. */
    void add(Path deb, Predicate<String> keep, Progress progress) throws IOException {
        DebArchive.read(deb, progress, (path, entry, in) -> {
            if (!keep.test(path)) return;
            if (entry.isSymbolicLink()) {
                nodes.put(path, new Node(null, 0777, normalize(parent(path), entry.getLinkName()), entry.getLinkName()));
            } else if (entry.isLink()) { // a hard link names the earlier entry, from the root
                nodes.put(path, new Node(null, 0, normalize("", entry.getLinkName()), null));
            } else if (entry.isFile()) {
                nodes.put(path, new Node(in.readAllBytes(), entry.getMode() & 07777, null, null));
            }
        });
    }

    /** The path {@code path} ends at once every link on the way is followed; merged /usr is assumed. */
    String resolve(String path) throws IOException {
        return chain(path).getLast();
    }

    /**
     * {@code path} and each path its links lead to, the file last: what to copy to keep the
     * links. A path outside /usr that the packages lack is looked for in /usr (Debian's merged
     * /usr: /lib is a link to usr/lib).
     */
    List<String> chain(String path) throws IOException {
        List<String> out = new ArrayList<>();
        String p = path;
        for (int i = 0; i < MAX_LINKS; i++) {
            if (!nodes.containsKey(p) && !p.startsWith("usr/") && nodes.containsKey("usr/" + p)) p = "usr/" + p;
            Node n = nodes.get(p);
            if (n == null) throw new ImageException("no package brought /" + path + (p.equals(path) ? "" : " (/" + p + ")"));
            out.add(p);
            if (n.link() == null) return out;
            p = n.link();
        }
        throw new ImageException("/" + path + ": too many levels of links");
    }

    /** The target of the symbolic link at {@code path} as the package wrote it, or null if it is none. */
    String symlink(String path) {
        Node n = nodes.get(path);
        return n == null ? null : n.symlink();
    }

    /** The content of the file {@code path} leads to. */
    byte[] data(String path) throws IOException { return nodes.get(resolve(path)).data(); }

    /** The permission bits of the file {@code path} leads to. */
    int mode(String path) throws IOException { return nodes.get(resolve(path)).mode(); }

    /**
     * The shared libraries {@code program} loads, directly or through other libraries, each as
     * the path where the loader finds it (by its DT_NEEDED name), in the order first needed.
     */
    List<String> libraries(String program) throws IOException {
        Set<String> found = new LinkedHashSet<>();
        List<String> todo = new ArrayList<>(List.of(program));
        while (!todo.isEmpty()) {
            String f = todo.removeFirst();
            for (String name : ElfDynamic.parse(data(f), "/" + f).needed()) {
                String lib = findLibrary(name, program);
                if (found.add(lib)) todo.add(lib);
            }
        }
        return List.copyOf(found);
    }

    private String findLibrary(String name, String program) throws IOException {
        for (String dir : LIBRARY_DIRS) if (nodes.containsKey(dir + "/" + name)) return dir + "/" + name;
        throw new ImageException("/" + program + " needs " + name + ", which none of its packages brought");
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    /** {@code target} as a path from the root without "." or "..", taken relative to {@code dir} unless absolute. */
    private static String normalize(String dir, String target) {
        List<String> parts = new ArrayList<>();
        String whole = target.startsWith("/") ? target : dir + "/" + target;
        for (String s : whole.split("/")) {
            if (s.isEmpty() || s.equals(".")) continue;
            if (s.equals("..")) {
                if (!parts.isEmpty()) parts.removeLast();
            } else {
                parts.add(s);
            }
        }
        return String.join("/", parts);
    }
}
