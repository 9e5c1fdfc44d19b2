package jvisor.images;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.bouncycastle.bcpg.ArmoredInputStream;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

/**
 * Verifies InRelease's OpenPGP signatures against the host's Debian archive keyring, as apt
 * does: one good signature by a key in the keyring suffices (the archive signs with several).
 */
final class SignatureCheck {
    /** Where Debian and Ubuntu hosts keep the archive keys ({@code debian-archive-keyring}). */
    static final List<Path> DEFAULT_KEYRINGS = List.of(
            Path.of("/usr/share/keyrings/debian-archive-keyring.gpg"),
            Path.of("/usr/share/keyrings/debian-archive-keyring.pgp"));

    private SignatureCheck() {}

    /** The first readable keyring of {@code candidates}, or null when the host has none. */
    static Path findKeyring(List<Path> candidates) {
        for (Path p : candidates) if (Files.isReadable(p)) return p;
        return null;
    }

    /**
     * Returns the user id of the key that made a good signature; throws when no signature by a
     * key of {@code keyring} verifies.
     */
    static String verify(ClearSigned message, Path keyring, String name) throws ImageException {
        PGPPublicKeyRingCollection keys;
        try (InputStream in = PGPUtil.getDecoderStream(Files.newInputStream(keyring))) {
            keys = new PGPPublicKeyRingCollection(in, new BcKeyFingerprintCalculator());
        } catch (IOException | PGPException e) {
            throw new ImageException("cannot read the keyring " + keyring + ": " + e.getMessage()
                    + " (reinstall debian-archive-keyring)", e);
        }
        List<String> tried = new ArrayList<>();
        byte[] text = message.canonicalText();
        for (PGPSignature sig : signatures(message, name)) {
            try {
                PGPPublicKey key = keys.getPublicKey(sig.getKeyID());
                tried.add(Long.toHexString(sig.getKeyID()).toUpperCase(java.util.Locale.ROOT));
                if (key == null || key.hasRevocation()) continue;
                sig.init(new BcPGPContentVerifierBuilderProvider(), key);
                sig.update(text);
                if (sig.verify()) return userId(keys, sig.getKeyID());
            } catch (PGPException e) {
                // a signature we cannot check (unknown algorithm): another one may still verify
            }
        }
        throw new ImageException(name + ": no good signature by a key in " + keyring + " (signed by "
                + (tried.isEmpty() ? "nothing" : String.join(", ", tried))
                + "); the mirror's index was altered, or update debian-archive-keyring");
    }

    private static List<PGPSignature> signatures(ClearSigned message, String name) throws ImageException {
        List<PGPSignature> out = new ArrayList<>();
        try (ArmoredInputStream armor = ArmoredInputStream.builder().build(
                new ByteArrayInputStream(message.armoredSignature().getBytes(StandardCharsets.US_ASCII)))) {
            BcPGPObjectFactory objects = new BcPGPObjectFactory(armor);
            Object o;
            while ((o = objects.nextObject()) != null) {
                if (o instanceof PGPSignatureList list) for (PGPSignature s : list) out.add(s);
            }
        } catch (IOException | RuntimeException e) {
            throw new ImageException(name + ": unreadable signature block: " + e.getMessage(), e);
        }
        return out;
    }

    private static String userId(PGPPublicKeyRingCollection keys, long keyId) {
        Iterator<String> ids = keys.getPublicKeyRing(keyId).getPublicKey().getUserIDs();
        return ids.hasNext() ? ids.next() : Long.toHexString(keyId);
    }
}
