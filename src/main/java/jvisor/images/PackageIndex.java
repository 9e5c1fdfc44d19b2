package jvisor.images;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The binary packages of one Packages index: for each name the newest version with its file on
 * the mirror, size, SHA256, priority and relationships, and for each virtual name the packages
 * that provide it.
 */
final class PackageIndex {
    /**
     * One package as the index describes it; {@code filename} is relative to the mirror root,
     * {@code multiArch} is the lower-cased Multi-Arch field ("no" when absent).
     */
    record Package(String name, String version, String architecture, String multiArch, Priority priority,
                   boolean essential, String filename, long size, String sha256, Relations relations) {
        /** A package known only by its file, as {@link ChosenPackages} remembers it. */
        static Package file(String name, String version, String filename, long size, String sha256) {
            return new Package(name, version, "", "no", Priority.OPTIONAL, false, filename, size, sha256,
                    Relations.NONE);
        }

        /** The .deb's file name, the last part of {@link #filename} (the path on the mirror). */
        String fileName() { return filename.substring(filename.lastIndexOf('/') + 1); }

        @Override
        public String toString() { return name + " " + version; }
    }

    /**
     * The relationship fields that decide what else a package needs, or may not live beside
     * (Policy §7.2–7.5), kept as text and parsed on first use: a system needs a few hundred of
     * the index's tens of thousands of packages, and reading an index to pick a kernel needs none.
     * The getters throw {@link Relation.Malformed} for a field that does not parse.
     */
    static final class Relations {
        static final Relations NONE = new Relations("", Map.of());

        private record Parsed(List<List<Relation>> preDepends, List<List<Relation>> depends, List<Relation> provides,
                              List<Relation> conflicts, List<Relation> breaks) {}

        private final String owner;
        private final String preDepends, depends, provides, conflicts, breaks;
        private Parsed parsed; // a race parses twice to equal values: harmless

        /** The fields of {@code owner}'s stanza. */
        Relations(String owner, Map<String, String> stanza) {
            this.owner = owner;
            this.preDepends = stanza.getOrDefault("Pre-Depends", "");
            this.depends = stanza.getOrDefault("Depends", "");
            this.provides = stanza.getOrDefault("Provides", "");
            this.conflicts = stanza.getOrDefault("Conflicts", "");
            this.breaks = stanza.getOrDefault("Breaks", "");
        }

        List<List<Relation>> preDepends() { return parsed().preDepends(); }

        List<List<Relation>> depends() { return parsed().depends(); }

        List<Relation> provides() { return parsed().provides(); }

        List<Relation> conflicts() { return parsed().conflicts(); }

        List<Relation> breaks() { return parsed().breaks(); }

        /** Equal when the fields are, so that a Package stays a value. */
        @Override
        public boolean equals(Object o) {
            return o instanceof Relations r && owner.equals(r.owner) && preDepends.equals(r.preDepends)
                    && depends.equals(r.depends) && provides.equals(r.provides) && conflicts.equals(r.conflicts)
                    && breaks.equals(r.breaks);
        }

        @Override
        public int hashCode() { return Objects.hash(owner, preDepends, depends, provides, conflicts, breaks); }

        private Parsed parsed() {
            Parsed p = parsed;
            if (p == null) {
                try {
                    p = new Parsed(Relation.parseGroups(preDepends), Relation.parseGroups(depends),
                            Relation.parseList(provides), Relation.parseList(conflicts), Relation.parseList(breaks));
                } catch (Relation.Malformed e) {
                    throw new Relation.Malformed(e.getMessage() + " in package " + owner);
                }
                parsed = p;
            }
            return p;
        }
    }

    /** Policy §2.5, most needed first; "extra" is the deprecated twin of "optional". */
    enum Priority {
        REQUIRED, IMPORTANT, STANDARD, OPTIONAL, EXTRA;

        static Priority of(String field) {
            try {
                return field == null ? OPTIONAL : valueOf(field.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return OPTIONAL;
            }
        }
    }

    /** A package offering a virtual name; {@code version} is null for an unversioned Provides. */
    record Provider(Package pkg, String version) {}

    private static final Comparator<Package> BY_NAME = Comparator.comparing(Package::name);

    private final Map<String, Package> packages;
    private final String architecture;
    private Map<String, List<Provider>> providers; // built on first use

    private PackageIndex(Map<String, Package> packages) {
        this.packages = packages;
        this.architecture = packages.values().stream().map(Package::architecture)
                .filter(a -> !a.equals("all")).min(Comparator.naturalOrder()).orElse(null);
    }

    static PackageIndex parse(Reader in, String name) throws ImageException {
        Map<String, Package> found = new HashMap<>();
        try {
            Deb822.parse(in, s -> {
                String pkg = s.get("Package");
                if (pkg == null || s.get("Filename") == null || s.get("SHA256") == null) return;
                // interned: a handful of values over tens of thousands of packages
                String arch = s.getOrDefault("Architecture", "").intern();
                String multiArch = s.getOrDefault("Multi-Arch", "no").toLowerCase(Locale.ROOT).intern();
                Package p = new Package(pkg, s.getOrDefault("Version", ""), arch, multiArch,
                        Priority.of(s.get("Priority")), "yes".equalsIgnoreCase(s.get("Essential")), s.get("Filename"),
                        Long.parseLong(s.getOrDefault("Size", "-1")), s.get("SHA256").toLowerCase(Locale.ROOT),
                        new Relations(pkg, s));
                found.merge(pkg, p, (old, now) -> DebianVersion.compare(now.version(), old.version()) > 0 ? now : old);
            });
        } catch (IOException | RuntimeException e) {
            throw new ImageException(name + " is not a readable Packages index: " + e.getMessage(), e);
        }
        return new PackageIndex(found);
    }

    Set<String> names() { return packages.keySet(); }

    /** The architecture of the packages that are not {@code all} (one Packages file covers one), or null. */
    String architecture() { return architecture; }

    /** The package of that name, or null. */
    Package find(String name) { return packages.get(name); }

    /**
     * The packages that provide {@code name}, by name; empty when none does. The first call reads
     * every package's Provides, and throws {@link Relation.Malformed} if one does not parse.
     */
    synchronized List<Provider> providers(String name) {
        if (providers == null) {
            Map<String, List<Provider>> all = new HashMap<>();
            for (Package p : packages.values()) {
                for (Relation r : p.relations().provides()) {
                    all.computeIfAbsent(r.name(), k -> new ArrayList<>()).add(new Provider(p, r.version()));
                }
            }
            for (List<Provider> list : all.values()) list.sort(Comparator.comparing(pr -> pr.pkg().name()));
            providers = all;
        }
        return providers.getOrDefault(name, List.of());
    }

    /** The packages of one priority, by name: e.g. the {@code required} ones debootstrap starts from. */
    List<Package> withPriority(Priority priority) {
        return packages.values().stream().filter(p -> p.priority() == priority).sorted(BY_NAME).toList();
    }

    /** The packages marked {@code Essential: yes}, by name: others may use them without declaring it. */
    List<Package> essential() {
        return packages.values().stream().filter(Package::essential).sorted(BY_NAME).toList();
    }

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
        try {
            for (List<Relation> group : m.relations().depends()) {
                for (Relation alt : group) {
                    if (target.matcher(alt.name()).matches()) return get(alt.name(), indexName);
                }
            }
        } catch (Relation.Malformed e) {
            throw new ImageException(e.getMessage() + " of " + indexName, e);
        }
        throw new ImageException(meta + " " + m.version() + " in " + indexName + " depends on no package named like "
                + target.pattern() + " (Depends: " + String.join(", ", m.relations().depends().stream()
                        .map(Relation::describe).toList()) + ")");
    }
}
