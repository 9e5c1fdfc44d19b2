package jvisor.images;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The applet names compiled into a busybox binary, read from the binary itself so the initramfs
 * can carry a link per applet without running the (RISC-V) binary on the host. Busybox keeps the
 * names as one sorted run of NUL-terminated strings that starts with {@code "[\0[[\0"}; the run
 * is accepted only if it looks like that table (sorted, plausible names, enough of them).
 */
final class BusyboxApplets {
    private static final byte[] START = {'[', 0, '[', '[', 0};
    private static final int PLAUSIBLE = 20;

    private BusyboxApplets() {}

    /** The applet names, or an empty list when the table is not found (then /init installs links). */
    static List<String> of(byte[] busybox) {
        for (int at = indexOf(busybox, START, 0); at >= 0; at = indexOf(busybox, START, at + 1)) {
            List<String> names = table(busybox, at);
            if (names.size() >= PLAUSIBLE) return names;
        }
        return List.of();
    }

    private static List<String> table(byte[] b, int at) {
        List<String> names = new ArrayList<>();
        int p = at;
        while (p < b.length && b[p] != 0) {
            int end = p;
            while (end < b.length && b[end] != 0) end++;
            String name = new String(b, p, end - p, StandardCharsets.US_ASCII);
            if (!name.matches("[\\[a-z0-9_.\\-]+") || (!names.isEmpty() && name.compareTo(names.getLast()) <= 0)) {
                break;
            }
            names.add(name);
            p = end + 1;
        }
        return names;
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) if (data[i + j] != pattern[j]) continue outer;
            return i;
        }
        return -1;
    }
}
