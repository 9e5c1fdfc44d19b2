package jvisor.images;

import java.util.ArrayList;
import java.util.List;

/**
 * One package named in a relationship field (Debian Policy §7.1): {@code name[:arch] [(op version)]}.
 * {@code arch} is the qualifier after the colon or null; {@code op} and {@code version} are null
 * when any version will do.
 */
record Relation(String name, String arch, Op op, String version) {
    /** The five relations of Policy §7.1; the obsolete {@code <} and {@code >} read as {@code <=} and {@code >=}. */
    enum Op {
        EARLIER("<<"), EARLIER_OR_EQUAL("<="), EQUAL("="), LATER_OR_EQUAL(">="), LATER(">>");

        final String symbol;

        Op(String symbol) { this.symbol = symbol; }

        static Op of(String symbol) {
            return switch (symbol) {
                case "<<" -> EARLIER;
                case "<=", "<" -> EARLIER_OR_EQUAL;
                case "=" -> EQUAL;
                case ">=", ">" -> LATER_OR_EQUAL;
                case ">>" -> LATER;
                default -> throw new IllegalArgumentException("unknown version relation " + symbol);
            };
        }

        /** Whether a candidate passes whose comparison with the wanted version gave {@code cmp}. */
        boolean accepts(int cmp) {
            return switch (this) {
                case EARLIER -> cmp < 0;
                case EARLIER_OR_EQUAL -> cmp <= 0;
                case EQUAL -> cmp == 0;
                case LATER_OR_EQUAL -> cmp >= 0;
                case LATER -> cmp > 0;
            };
        }
    }

    /** A relationship field that does not parse; unchecked, as relations are parsed lazily behind getters. */
    static final class Malformed extends IllegalArgumentException {
        Malformed(String message) { super(message); }
    }

    /** Whether {@code candidate} satisfies this relation's version part (always, when it has none). */
    boolean acceptsVersion(String candidate) {
        return op == null || op.accepts(DebianVersion.compare(candidate, version));
    }

    /**
     * Whether a Provides of this name with {@code providedVersion} (null when unversioned) meets
     * this relation: a versioned one only by a versioned Provides of a matching version (Policy §7.5).
     */
    boolean acceptsProvided(String providedVersion) {
        return op == null || providedVersion != null && acceptsVersion(providedVersion);
    }

    /** A Depends-like field: a comma-separated list of alternatives joined by {@code |}. */
    static List<List<Relation>> parseGroups(String field) {
        List<List<Relation>> groups = new ArrayList<>();
        for (String group : split(field, ",")) {
            List<Relation> alternatives = new ArrayList<>();
            for (String alt : split(group, "\\|")) alternatives.add(parse(alt));
            if (!alternatives.isEmpty()) groups.add(List.copyOf(alternatives));
        }
        return List.copyOf(groups);
    }

    /** A field without alternatives: Provides, Conflicts, Breaks. */
    static List<Relation> parseList(String field) {
        List<Relation> list = new ArrayList<>();
        for (String one : split(field, ",")) list.add(parse(one));
        return List.copyOf(list);
    }

    /** One relation; by hand rather than by regular expression, as an index holds some 300,000. */
    static Relation parse(String text) {
        String t = text.strip();
        int paren = t.indexOf('(');
        String head = (paren < 0 ? t : t.substring(0, paren)).strip();
        int colon = head.indexOf(':');
        String name = colon < 0 ? head : head.substring(0, colon);
        String arch = colon < 0 ? null : head.substring(colon + 1);
        if (!validName(name) || arch != null && !validName(arch)) throw malformed(text);
        if (paren < 0) return new Relation(name, arch, null, null);
        if (!t.endsWith(")")) throw malformed(text);
        String inside = t.substring(paren + 1, t.length() - 1).strip();
        int v = 0;
        while (v < inside.length() && "<=>".indexOf(inside.charAt(v)) >= 0) v++;
        String version = inside.substring(v).strip();
        if (v == 0 || version.isEmpty() || version.indexOf(' ') >= 0) throw malformed(text);
        try {
            return new Relation(name, arch, Op.of(inside.substring(0, v)), version);
        } catch (IllegalArgumentException e) { // an unknown operator such as "=<"
            throw malformed(text);
        }
    }

    private static boolean validName(String s) {
        if (s.isEmpty() || !Character.isLetterOrDigit(s.charAt(0))) return false;
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isLetterOrDigit(c) && c != '+' && c != '-' && c != '.') return false;
        }
        return true;
    }

    private static Malformed malformed(String text) {
        return new Malformed("malformed relation '" + text.strip() + "'");
    }

    private static List<String> split(String field, String separator) {
        List<String> parts = new ArrayList<>();
        for (String p : field.split(separator)) if (!p.isBlank()) parts.add(p);
        return parts;
    }

    /** As written in a control file, e.g. {@code libc6 (>= 2.38)} or {@code python3:any}. */
    @Override
    public String toString() {
        return name + (arch == null ? "" : ":" + arch) + (op == null ? "" : " (" + op.symbol + " " + version + ")");
    }

    static String describe(List<Relation> alternatives) {
        return String.join(" | ", alternatives.stream().map(Relation::toString).toList());
    }
}
