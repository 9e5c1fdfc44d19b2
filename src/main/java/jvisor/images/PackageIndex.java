package jvisor.images;

import java.io.IOException;
import java.io.Reader;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The binary packages of one Packages index: for each name the newest version with its file on
 * the mirror, size, SHA256 and Depends.
 */
final class PackageIndex {
    /** One package as the index describes it; {@code filename} is relative to the mirror root. */
    record Package(String name, String version, String filename, long size, String sha256, String depends) {}

    private final Map<String, Package> packages;

    private PackageIndex(Map<String, Package> packages) { this.packages = packages; }

    static PackageIndex parse(Reader in, String name) throws ImageException {
        Map<String, Package> found = new HashMap<>();
        try {
            Deb822.parse(in, s -> {
                String pkg = s.get("Package");
                if (pkg == null || s.get("Filename") == null || s.get("SHA256") == null) return;
                Package p = new Package(pkg, s.getOrDefault("Version", ""), s.get("Filename"),
                        Long.parseLong(s.getOrDefault("Size", "-1")), s.get("SHA256").toLowerCase(Locale.ROOT),
                        s.getOrDefault("Depends", ""));
                found.merge(pkg, p, (old, now) -> DebianVersion.compare(now.version(), old.version()) > 0 ? now : old);
            });
        } catch (IOException | RuntimeException e) {
            throw new ImageException(name + " is not a readable Packages index: " + e.getMessage(), e);
        }
        return new PackageIndex(found);
    }

    Set<String> names() { return packages.keySet(); }

    Package get(String name, String indexName) throws ImageException {
        Package p = packages.get(name);
        if (p == null) {
            throw new ImageException("package " + name + " is not in " + indexName
                    + "; does the mirror carry this suite and architecture?");
        }
        return p;
    }

    /**
     * Follows a meta package such as {@code linux-image-riscv64} to the real package it depends on
     * whose name matches {@code target} (e.g. {@code linux-image-6.12.117+deb13-riscv64}).
     */
    Package resolve(String meta, Pattern target, String indexName) throws ImageException {
        Package m = get(meta, indexName);
        for (String dep : m.depends().split(",")) {
            for (String alt : dep.split("\\|")) {
                String depName = alt.strip().split("[\\s(:]", 2)[0];
                if (target.matcher(depName).matches()) return get(depName, indexName);
            }
        }
        throw new ImageException(meta + " " + m.version() + " in " + indexName + " depends on no package named like "
                + target.pattern() + " (Depends: " + m.depends() + ")");
    }
}
