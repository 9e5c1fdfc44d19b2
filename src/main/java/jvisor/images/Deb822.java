package jvisor.images;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads Debian control-file syntax (deb822): stanzas of {@code Field: value} lines separated by
 * blank lines, where lines starting with a space continue the previous field. Used for the
 * Packages index and the Release part of InRelease. Field names are kept as written.
 */
final class Deb822 {
    private Deb822() {}

    /** Calls {@code stanza} for each stanza in {@code in}, in order. */
    static void parse(Reader in, Consumer<Map<String, String>> stanza) throws IOException {
        BufferedReader r = in instanceof BufferedReader b ? b : new BufferedReader(in, 1 << 16);
        Map<String, String> fields = new LinkedHashMap<>();
        String name = null;
        StringBuilder value = new StringBuilder();
        String line;
        while ((line = r.readLine()) != null) {
            if (line.isBlank()) {
                if (name != null) fields.put(name, value.toString());
                name = null;
                if (!fields.isEmpty()) stanza.accept(fields);
                fields = new LinkedHashMap<>();
            } else if (line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                if (name != null) value.append('\n').append(line.strip());
            } else if (line.charAt(0) != '#') {
                if (name != null) fields.put(name, value.toString());
                int colon = line.indexOf(':');
                if (colon <= 0) throw new IOException("malformed control line: " + line);
                name = line.substring(0, colon);
                value.setLength(0);
                value.append(line.substring(colon + 1).strip());
            }
        }
        if (name != null) fields.put(name, value.toString());
        if (!fields.isEmpty()) stanza.accept(fields);
    }
}
