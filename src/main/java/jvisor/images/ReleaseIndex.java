package jvisor.images;

import java.io.IOException;
import java.io.StringReader;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Release fields of a suite's InRelease: its codename and the SHA256 and size of every index
 * file under {@code dists/SUITE/}, which is how a Packages file is trusted.
 */
record ReleaseIndex(String codename, String suite, String date, Map<String, FileSum> sha256) {
    /** A file's expected SHA256 (lower-case hex) and size in bytes. */
    record FileSum(String sha256, long size) {}

    static ReleaseIndex parse(String releaseText, String name) throws ImageException {
        Map<String, String> fields = new HashMap<>();
        try {
            Deb822.parse(new StringReader(releaseText), s -> { if (fields.isEmpty()) fields.putAll(s); });
        } catch (IOException e) {
            throw new ImageException(name + ": " + e.getMessage());
        }
        String sums = fields.get("SHA256");
        if (sums == null) {
            throw new ImageException(name + " has no SHA256 field; the mirror serves an unusable Release file");
        }
        Map<String, FileSum> files = new HashMap<>();
        for (String line : sums.split("\n")) {
            String[] parts = line.strip().split("\\s+");
            if (parts.length != 3) continue; // the first line of the field is empty
            try {
                files.put(parts[2], new FileSum(parts[0].toLowerCase(java.util.Locale.ROOT), Long.parseLong(parts[1])));
            } catch (NumberFormatException e) {
                throw new ImageException(name + ": bad SHA256 line '" + line.strip() + "'");
            }
        }
        return new ReleaseIndex(fields.get("Codename"), fields.get("Suite"), fields.get("Date"), Map.copyOf(files));
    }

    /**
     * The first of {@code candidates} (paths relative to {@code dists/SUITE/}) this Release lists,
     * so the smallest listed compression of an index is chosen.
     */
    String firstListed(List<String> candidates) {
        for (String c : candidates) if (sha256.containsKey(c)) return c;
        return null;
    }
}
