package jvisor.images;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Orders packages for unpacking and configuring: what a package depends on before it, except
 * within a dependency cycle, where only Pre-Depends still decide (Debian Policy §7.2 forbids
 * cycles of Pre-Depends; dpkg could not install one, so neither can we). The cycles are the
 * strongly connected components of the dependency graph, which Tarjan's algorithm yields
 * dependencies first.
 */
final class InstallOrder {
    private final Map<String, List<String>> needs;
    private final Map<String, Integer> visitIndex = new HashMap<>();
    private final Map<String, Integer> lowLink = new HashMap<>();
    private final Deque<String> stack = new ArrayDeque<>();
    private final Set<String> onStack = new HashSet<>();
    private final List<List<String>> components = new ArrayList<>();

    private InstallOrder(Map<String, List<String>> needs) { this.needs = needs; }

    /**
     * {@code chosen} by name in a stable order; {@code preDepends} and {@code depends} map each name
     * to the names of the chosen packages that meet its relationships.
     */
    static List<PackageIndex.Package> sort(Map<String, PackageIndex.Package> chosen,
                                           Map<String, List<String>> preDepends,
                                           Map<String, List<String>> depends) throws ImageException {
        Map<String, List<String>> needs = new HashMap<>();
        for (String name : chosen.keySet()) {
            List<String> all = new ArrayList<>(preDepends.getOrDefault(name, List.of()));
            all.addAll(depends.getOrDefault(name, List.of()));
            needs.put(name, all);
        }
        InstallOrder order = new InstallOrder(needs);
        for (String name : chosen.keySet()) if (!order.visitIndex.containsKey(name)) order.visit(name);
        List<PackageIndex.Package> sorted = new ArrayList<>();
        for (List<String> component : order.components) {
            for (String name : preDependenciesFirst(component, preDepends)) sorted.add(chosen.get(name));
        }
        return sorted;
    }

    /** Tarjan's strongly connected components, each recorded once all it needs has been. */
    private void visit(String v) {
        int at = visitIndex.size();
        visitIndex.put(v, at);
        lowLink.put(v, at);
        stack.push(v);
        onStack.add(v);
        for (String w : needs.get(v)) {
            if (!visitIndex.containsKey(w)) {
                visit(w);
                lowLink.put(v, Math.min(lowLink.get(v), lowLink.get(w)));
            } else if (onStack.contains(w)) {
                lowLink.put(v, Math.min(lowLink.get(v), visitIndex.get(w)));
            }
        }
        if (lowLink.get(v) == at) {
            List<String> component = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            components.add(component);
        }
    }

    /** One cycle's members with each one's Pre-Depends before it, otherwise by name. */
    private static List<String> preDependenciesFirst(List<String> component, Map<String, List<String>> preDepends)
            throws ImageException {
        if (component.size() == 1) return component;
        Set<String> members = Set.copyOf(component);
        Map<String, Integer> waitingFor = new HashMap<>();
        for (String name : component) {
            List<String> pre = preDepends.getOrDefault(name, List.of());
            waitingFor.put(name, (int) pre.stream().filter(members::contains).distinct().count());
        }
        TreeSet<String> ready = new TreeSet<>();
        for (String name : component) if (waitingFor.get(name) == 0) ready.add(name);
        List<String> ordered = new ArrayList<>();
        while (!ready.isEmpty()) {
            String next = ready.pollFirst();
            ordered.add(next);
            for (String name : component) {
                boolean waited = preDepends.getOrDefault(name, List.of()).contains(next);
                if (waited && waitingFor.merge(name, -1, Integer::sum) == 0) ready.add(name);
            }
        }
        if (ordered.size() < component.size()) {
            List<String> stuck = component.stream().filter(n -> !ordered.contains(n)).sorted().toList();
            throw new ImageException("packages " + String.join(", ", stuck) + " pre-depend on each other in a cycle,"
                    + " which dpkg cannot install");
        }
        return ordered;
    }
}
