package jvisor.images;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * An OpenPGP cleartext-signed message (RFC 9580 §7), the format of Debian's InRelease: the signed
 * text, dash-unescaped, and the ASCII-armored signature block that follows it.
 */
record ClearSigned(List<String> lines, String armoredSignature) {
    private static final String BEGIN = "-----BEGIN PGP SIGNED MESSAGE-----";
    private static final String SIGNATURE = "-----BEGIN PGP SIGNATURE-----";
    private static final String END = "-----END PGP SIGNATURE-----";

    static ClearSigned parse(byte[] message, String name) throws ImageException {
        String[] all = new String(message, StandardCharsets.UTF_8).split("\r?\n", -1);
        int i = 0;
        while (i < all.length && all[i].isBlank()) i++;
        if (i == all.length || !all[i].equals(BEGIN)) {
            throw new ImageException(name + " is not an OpenPGP signed message (is the mirror URL right?)");
        }
        i++;
        while (i < all.length && !all[i].isEmpty()) i++; // armor headers such as "Hash: SHA512"
        List<String> text = new ArrayList<>();
        for (i++; i < all.length && !all[i].equals(SIGNATURE); i++) {
            String line = all[i];
            text.add(line.startsWith("- ") ? line.substring(2) : line);
        }
        StringBuilder sig = new StringBuilder();
        for (; i < all.length; i++) {
            sig.append(all[i]).append('\n');
            if (all[i].equals(END)) break;
        }
        if (i == all.length) throw new ImageException(name + " is truncated: its signature block does not end");
        return new ClearSigned(List.copyOf(text), sig.toString());
    }

    /** The text as fields are read from it: lines joined with LF. */
    String text() { return String.join("\n", lines) + "\n"; }

    /**
     * The bytes the signature covers: trailing whitespace removed from each line, lines joined
     * with CR LF, no line ending after the last one.
     */
    byte[] canonicalText() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            if (i > 0) b.append("\r\n");
            b.append(lines.get(i).stripTrailing());
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }
}
