package jvisor.images;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;

/**
 * Chooses the packages a system made of some root packages needs: the closure over Pre-Depends
 * and Depends (not Recommends or Suggests, as debootstrap does), in an order to unpack and
 * configure them. Like {@code apt-get install} on an empty system, it never backtracks:
 * <ul>
 * <li>A dependency already met by a chosen package (every root is chosen first) adds nothing.
 * <li>Dependencies with a single way to meet them are followed before any choice is made, so that
 * an alternative {@code a | b} or a virtual name is decided once more of the system is known.
 * <li>Of alternatives {@code a | b}, the first that the index can satisfy wins, as in apt.
 * <li>Of several packages providing a virtual name, a root; else an Essential one; else the one
 * with the most needed priority (required, important, standard, optional), then the first by
 * name. That is apt's order, whose own last resort is its cache's internal order (apt 2.x)
 * or also the name (apt 3's solver).
 * </ul>
 * Essential packages are not added implicitly: pass them as roots (see {@link PackageIndex#essential}).
 * Conflicts and Breaks do not steer the choice, but a chosen set that violates one is refused.
 */
final class Resolver {
    private final PackageIndex index;
    private final String indexName;

    /** {@code indexName} names the index in error messages, e.g. its URL. */
    Resolver(PackageIndex index, String indexName) {
        this.index = index;
        this.indexName = indexName;
    }

    /**
     * The closure of {@code roots} (package names or virtual names), ordered so that what a
     * package pre-depends on comes before it, and what it depends on too except within a cycle.
     */
    List<PackageIndex.Package> resolve(List<String> roots) throws ImageException {
        try {
            Closure c = new Closure(Set.copyOf(roots));
            for (String root : roots) c.choose(rootPackage(root, c), null);
            c.follow();
            checkConflicts(c.chosen);
            return InstallOrder.sort(c.chosen, c.preDependsEdges(), c.dependsEdges());
        } catch (Relation.Malformed e) {
            throw new ImageException(e.getMessage() + " of " + indexName, e);
        }
    }

    private PackageIndex.Package rootPackage(String root, Closure c) throws ImageException {
        PackageIndex.Package p = index.find(root);
        if (p != null) return p;
        List<PackageIndex.Package> providers = index.providers(root).stream().map(PackageIndex.Provider::pkg).toList();
        if (providers.isEmpty()) {
            throw new ImageException(root + " is neither a package nor provided by one in " + indexName);
        }
        return preferred(providers, c);
    }

    /** The preference among providers of one virtual name; see the class comment. */
    private static PackageIndex.Package preferred(List<PackageIndex.Package> providers, Closure c) {
        return providers.stream().min(Comparator.comparing((PackageIndex.Package p) -> !c.roots.contains(p.name()))
                .thenComparing(p -> !p.essential()).thenComparing(PackageIndex.Package::priority)
                .thenComparing(PackageIndex.Package::name)).orElseThrow();
    }

    /** The chosen packages and why each was chosen, while the closure grows. */
    private final class Closure {
        final Set<String> roots;
        final Map<String, PackageIndex.Package> chosen = new LinkedHashMap<>();
        /** For each chosen package, the one whose dependency brought it in; roots are absent. */
        final Map<String, String> neededBy = new LinkedHashMap<>();
        final Queue<PackageIndex.Package> toFollow = new ArrayDeque<>();
        final Queue<Need> choices = new ArrayDeque<>();

        Closure(Set<String> roots) { this.roots = roots; }

        void choose(PackageIndex.Package p, PackageIndex.Package by) {
            if (chosen.putIfAbsent(p.name(), p) != null) return;
            if (by != null) neededBy.put(p.name(), by.name());
            toFollow.add(p);
        }

        void follow() throws ImageException {
            while (!toFollow.isEmpty() || !choices.isEmpty()) {
                PackageIndex.Package p = toFollow.poll();
                if (p == null) {
                    Need n = choices.poll();
                    if (chosenSatisfier(n.alternatives) == null) choose(best(n.alternatives), n.by);
                    continue;
                }
                for (List<Relation> group : dependencies(p)) {
                    if (chosenSatisfier(group) != null) continue;
                    List<PackageIndex.Package> candidates = candidates(group);
                    if (candidates.isEmpty()) throw unsatisfiable(p, group);
                    if (candidates.size() == 1) choose(candidates.getFirst(), p);
                    else choices.add(new Need(p, group));
                }
            }
        }

        /** The first alternative the index satisfies; of a virtual name's providers, the preferred one. */
        private PackageIndex.Package best(List<Relation> group) {
            for (Relation alt : group) {
                PackageIndex.Package real = realMeeting(alt);
                if (real != null) return real;
                List<PackageIndex.Package> providers = providersMeeting(alt);
                if (!providers.isEmpty()) return preferred(providers, this);
            }
            throw new IllegalStateException("no candidate left for " + Relation.describe(group));
        }

        /** Every package that would meet {@code group}, without repeats. */
        private List<PackageIndex.Package> candidates(List<Relation> group) {
            Set<PackageIndex.Package> all = new LinkedHashSet<>();
            for (Relation alt : group) {
                PackageIndex.Package real = realMeeting(alt);
                if (real != null) all.add(real);
                all.addAll(providersMeeting(alt));
            }
            return List.copyOf(all);
        }

        /** The package named by {@code alt} if it meets it, else null. */
        private PackageIndex.Package realMeeting(Relation alt) {
            PackageIndex.Package real = index.find(alt.name());
            return real != null && satisfies(alt, real) ? real : null;
        }

        private List<PackageIndex.Package> providersMeeting(Relation alt) {
            return index.providers(alt.name()).stream().filter(pr -> provides(alt, pr))
                    .map(PackageIndex.Provider::pkg).toList();
        }

        /** A chosen package that meets {@code group}, the first alternative's first; or null. */
        PackageIndex.Package chosenSatisfier(List<Relation> group) {
            for (Relation alt : group) {
                PackageIndex.Package real = chosen.get(alt.name());
                if (real != null && satisfies(alt, real)) return real;
                for (PackageIndex.Provider pr : index.providers(alt.name())) {
                    if (chosen.get(pr.pkg().name()) == pr.pkg() && provides(alt, pr)) return pr.pkg();
                }
            }
            return null;
        }

        Map<String, List<String>> preDependsEdges() { return edges(true); }

        Map<String, List<String>> dependsEdges() { return edges(false); }

        private Map<String, List<String>> edges(boolean pre) {
            Map<String, List<String>> edges = new LinkedHashMap<>();
            for (PackageIndex.Package p : chosen.values()) {
                List<String> to = new ArrayList<>();
                for (List<Relation> g : pre ? p.relations().preDepends() : p.relations().depends()) {
                    PackageIndex.Package s = chosenSatisfier(g);
                    if (s != null && s != p) to.add(s.name());
                }
                edges.put(p.name(), to);
            }
            return edges;
        }

        private ImageException unsatisfiable(PackageIndex.Package p, List<Relation> group) {
            List<String> why = new ArrayList<>();
            for (Relation alt : group) {
                String offer = whyNot(alt, group.size() == 1 ? "it" : alt.name());
                why.add(offer.isEmpty() && group.size() > 1 ? alt.name() + " is missing" : offer);
            }
            String details = String.join("; ", why);
            return new ImageException(chain(p) + " needs " + Relation.describe(group) + ", which " + indexName
                    + " lacks" + (details.isEmpty() ? "" : " (" + details + ")"));
        }

        /** How the root came to need {@code p}: {@code root -> ... -> p}. */
        private String chain(PackageIndex.Package p) {
            List<String> names = new ArrayList<>();
            // ends at a root: each package was chosen after the one that needed it
            for (String n = p.name(); n != null; n = neededBy.get(n)) names.addFirst(n);
            return String.join(" -> ", names);
        }
    }

    /** A dependency of {@code by} that several packages could meet, to decide after the unambiguous ones. */
    private record Need(PackageIndex.Package by, List<Relation> alternatives) {}

    private static List<List<Relation>> dependencies(PackageIndex.Package p) {
        List<List<Relation>> all = new ArrayList<>(p.relations().preDepends());
        all.addAll(p.relations().depends());
        return all;
    }

    /** What the index offers for {@code alt}, to say why it falls short; empty when it offers nothing. */
    private String whyNot(Relation alt, String subject) {
        PackageIndex.Package real = index.find(alt.name());
        List<String> offers = new ArrayList<>();
        if (real != null) {
            offers.add(subject + " has " + real.version() + (archMatches(alt, real) ? ""
                    : " for " + real.architecture() + ", Multi-Arch: " + real.multiArch()));
        }
        List<PackageIndex.Provider> providers = index.providers(alt.name());
        if (!providers.isEmpty()) {
            offers.add(subject + " is provided by " + String.join(", ", providers.stream()
                    .map(pr -> pr.pkg().name() + (pr.version() == null ? "" : " (= " + pr.version() + ")")).toList()));
        }
        return String.join(", ", offers);
    }

    /** Whether package {@code p}, by its own name, meets {@code r}. */
    private boolean satisfies(Relation r, PackageIndex.Package p) {
        return p.name().equals(r.name()) && archMatches(r, p) && r.acceptsVersion(p.version());
    }

    /** Whether a Provides meets {@code r}. */
    private boolean provides(Relation r, PackageIndex.Provider pr) {
        return archMatches(r, pr.pkg()) && r.acceptsProvided(pr.version());
    }

    /**
     * The architecture qualifier (Policy §7.1, multiarch spec): none or {@code :native} or the index's
     * own architecture accepts any package here, since one index holds only its architecture and
     * {@code all}; {@code :any} needs {@code Multi-Arch: allowed}, as dpkg checks; other architectures
     * are absent.
     */
    private boolean archMatches(Relation r, PackageIndex.Package p) {
        if (r.arch() == null || r.arch().equals("native") || r.arch().equals(index.architecture())) return true;
        return r.arch().equals("any") && p.multiArch().equals("allowed");
    }

    /** Refuses a set in which one package Conflicts with or Breaks another (Policy §7.3, §7.4). */
    private void checkConflicts(Map<String, PackageIndex.Package> chosen) throws ImageException {
        List<String> clashes = new ArrayList<>();
        for (PackageIndex.Package p : chosen.values()) {
            clash(p, p.relations().conflicts(), "conflicts with", chosen, clashes);
            clash(p, p.relations().breaks(), "breaks", chosen, clashes);
        }
        if (!clashes.isEmpty()) throw new ImageException("the packages chosen from " + indexName + " clash: "
                + String.join("; ", clashes));
    }

    private void clash(PackageIndex.Package p, List<Relation> against, String verb,
                       Map<String, PackageIndex.Package> chosen, List<String> clashes) {
        for (Relation r : against) {
            PackageIndex.Package other = chosen.get(r.name());
            // any architecture qualifier matches here: dpkg applies :any to conflicts whatever Multi-Arch says
            if (other != null && other != p && r.acceptsVersion(other.version())) {
                clashes.add(p + " " + verb + " " + other + (r.version() == null ? "" : " (" + r + ")"));
            }
            for (PackageIndex.Provider pr : index.providers(r.name())) {
                if (pr.pkg() != p && chosen.get(pr.pkg().name()) == pr.pkg() && r.acceptsProvided(pr.version())) {
                    clashes.add(p + " " + verb + " " + pr.pkg() + ", which provides " + r);
                }
            }
        }
    }
}
