package jvisor.images;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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

        @Override
        public String toString() { return name + " " + version; }
    }

    /**
     * The relationship fields that decide what else a package needs, or may not live beside
     * (Policy §7.2–7.5). Provides are parsed with the index, to know each virtual name's
     * providers; the others on first use, as a system needs a few hundred of the index's tens of
     * thousands of packages. Their getters throw IllegalArgumentException for a malformed field.
     */
    static final class Relations {
        static final Relations NONE = new Relations("", "", List.of(), "", "");

        private record Parsed(List<List<Relation>> preDepends, List<List<Relation>> depends,
                              List<Relation> conflicts, List<Relation> breaks) {}

        private final String preDependsField, dependsField, conflictsField, breaksField;
        private final List<Relation> provides;
        private Parsed parsed; // a race parses twice to equal values: harmless

        Relations(String preDepends, String depends, List<Relation> provides, String conflicts, String breaks) {
            this.preDependsField = preDepends;
            this.dependsField = depends;
            this.provides = provides;
            this.conflictsField = conflicts;
            this.breaksField = breaks;
        }

        List<List<Relation>> preDepends() { return parsed().preDepends(); }

        List<List<Relation>> depends() { return parsed().depends(); }

        List<Relation> provides() { return provides; }

        List<Relation> conflicts() { return parsed().conflicts(); }

        List<Relation> breaks() { return parsed().breaks(); }

        private Parsed parsed() {
            Parsed p = parsed;
            if (p == null) {
                p = new Parsed(Relation.parseGroups(preDependsField), Relation.parseGroups(dependsField),
                        Relation.parseList(conflictsField), Relation.parseList(breaksField));
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
    private final Map<String, List<Provider>> providers = new HashMap<>();
    private final String architecture;

    private PackageIndex(Map<String, Package> packages) {
        this.packages = packages;
        this.architecture = packages.values().stream().map(Package::architecture)
                .filter(a -> !a.equals("all")).min(Comparator.naturalOrder()).orElse(null);
        for (Package p : packages.values()) {
            for (Relation r : p.relations().provides()) {
                providers.computeIfAbsent(r.name(), k -> new ArrayList<>()).add(new Provider(p, r.version()));
            }
        }
        for (List<Provider> list : providers.values()) list.sort(Comparator.comparing(pr -> pr.pkg().name()));
    }

    static PackageIndex parse(Reader in, String name) throws ImageException {
        Map<String, Package> found = new HashMap<>();
        try {
            Deb822.parse(in, s -> {
                String pkg = s.get("Package");
                if (pkg == null || s.get("Filename") == null || s.get("SHA256") == null) return;
                Package p = new Package(pkg, s.getOrDefault("Version", ""), s.getOrDefault("Architecture", ""),
                        s.getOrDefault("Multi-Arch", "no").toLowerCase(Locale.ROOT), Priority.of(s.get("Priority")),
                        "yes".equalsIgnoreCase(s.get("Essential")), s.get("Filename"),
                        Long.parseLong(s.getOrDefault("Size", "-1")), s.get("SHA256").toLowerCase(Locale.ROOT),
                        relations(pkg, s));
                found.merge(pkg, p, (old, now) -> DebianVersion.compare(now.version(), old.version()) > 0 ? now : old);
            });
        } catch (IOException | RuntimeException e) {
            throw new ImageException(name + " is not a readable Packages index: " + e.getMessage(), e);
        }
        return new PackageIndex(found);
    }

    private static Relations relations(String pkg, Map<String, String> s) {
        try {
            return new Relations(s.getOrDefault("Pre-Depends", ""), s.getOrDefault("Depends", ""),
                    Relation.parseList(s.getOrDefault("Provides", "")), s.getOrDefault("Conflicts", ""),
                    s.getOrDefault("Breaks", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("package " + pkg + ": " + e.getMessage(), e);
        }
    }

    Set<String> names() { return packages.keySet(); }

    /** The relationships of {@code p}, parsed now so that a malformed field is told as an ImageException. */
    static Relations checkedRelations(Package p, String indexName) throws ImageException {
        try {
            p.relations().depends();
            return p.relations();
        } catch (IllegalArgumentException e) {
            throw new ImageException("package " + p.name() + " in " + indexName + ": " + e.getMessage(), e);
        }
    }

    /** The architecture of the packages that are not {@code all} (one Packages file covers one), or null. */
    String architecture() { return architecture; }

    /** The package of that name, or null. */
    Package find(String name) { return packages.get(name); }

    /** The packages that provide {@code name}, by name; empty when none does. */
    List<Provider> providers(String name) { return providers.getOrDefault(name, List.of()); }

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
        for (List<Relation> group : checkedRelations(m, indexName).depends()) {
            for (Relation alt : group) {
                if (target.matcher(alt.name()).matches()) return get(alt.name(), indexName);
            }
        }
        throw new ImageException(meta + " " + m.version() + " in " + indexName + " depends on no package named like "
                + target.pattern() + " (Depends: " + String.join(", ", m.relations().depends().stream()
                        .map(Relation::describe).toList()) + ")");
    }
}
