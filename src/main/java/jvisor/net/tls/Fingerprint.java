package jvisor.net.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A certificate's SHA-256 fingerprint: the digest of its DER encoding, the value
 * {@code openssl x509 -noout -fingerprint -sha256} prints. Written as 32 colon-separated
 * upper-case hex bytes; {@link #parse} also takes lower case, no colons, and a {@code SHA256:}
 * or {@code sha256 Fingerprint=} prefix.
 */
public record Fingerprint(String hex) {
    public Fingerprint {
        if (!hex.matches("[0-9a-f]{64}")) throw new IllegalArgumentException("not 64 lower-case hex digits: " + hex);
    }

    /** The fingerprint of {@code cert}. */
    public static Fingerprint of(X509Certificate cert) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            return new Fingerprint(HexFormat.of().formatHex(d));
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Reads a fingerprint as people write it; an {@link IllegalArgumentException} says what is wrong. */
    public static Fingerprint parse(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT);
        s = s.replaceFirst("^sha-?256( fingerprint)?[:=]", "");
        s = s.replaceAll("[:\\s]", "");
        if (!s.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("'" + text + "' is not a SHA-256 fingerprint (32 hex bytes, e.g. AB:CD:...)");
        }
        return new Fingerprint(s);
    }

    /** AB:CD:...: 32 upper-case hex bytes joined by colons. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(95);
        for (int i = 0; i < 64; i += 2) {
            if (i > 0) b.append(':');
            b.append(hex, i, i + 2);
        }
        return b.toString().toUpperCase(Locale.ROOT);
    }
}
