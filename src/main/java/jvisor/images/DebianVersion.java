package jvisor.images;

import java.math.BigInteger;
import java.util.Comparator;

/**
 * Orders Debian version strings ({@code [epoch:]upstream[-revision]}) as dpkg does (Debian
 * Policy §5.6.12), so that an index listing a package twice yields the newest.
 */
final class DebianVersion {
    private DebianVersion() {}

    static final Comparator<String> ORDER = DebianVersion::compare;

    static int compare(String a, String b) {
        int ea = a.indexOf(':'), eb = b.indexOf(':');
        long epochA = ea < 0 ? 0 : Long.parseLong(a.substring(0, ea));
        long epochB = eb < 0 ? 0 : Long.parseLong(b.substring(0, eb));
        if (epochA != epochB) return Long.compare(epochA, epochB);
        a = a.substring(ea + 1);
        b = b.substring(eb + 1);
        int ra = a.lastIndexOf('-'), rb = b.lastIndexOf('-');
        int c = part(ra < 0 ? a : a.substring(0, ra), rb < 0 ? b : b.substring(0, rb));
        if (c != 0) return c;
        return part(ra < 0 ? "" : a.substring(ra + 1), rb < 0 ? "" : b.substring(rb + 1));
    }

    /** Alternating non-digit and digit runs; non-digits compare by {@link #weight}, digits numerically. */
    private static int part(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() || j < b.length()) {
            while (nonDigit(a, i) || nonDigit(b, j)) {
                int wa = nonDigit(a, i) ? weight(a.charAt(i++)) : 0;
                int wb = nonDigit(b, j) ? weight(b.charAt(j++)) : 0;
                if (wa != wb) return Integer.compare(wa, wb);
            }
            int si = i, sj = j;
            while (i < a.length() && Character.isDigit(a.charAt(i))) i++;
            while (j < b.length() && Character.isDigit(b.charAt(j))) j++;
            int c = new BigInteger("0" + a.substring(si, i)).compareTo(new BigInteger("0" + b.substring(sj, j)));
            if (c != 0) return c;
        }
        return 0;
    }

    private static boolean nonDigit(String s, int i) {
        return i < s.length() && !Character.isDigit(s.charAt(i));
    }

    /** '~' sorts before the end of a string, letters before other characters. */
    private static int weight(char c) {
        if (c == '~') return -1;
        if (Character.isLetter(c)) return c;
        return c + 256;
    }
}
