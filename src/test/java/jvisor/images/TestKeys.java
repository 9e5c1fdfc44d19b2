package jvisor.images;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Date;
import org.bouncycastle.bcpg.ArmoredOutputStream;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.PublicKeyAlgorithmTags;
import org.bouncycastle.crypto.generators.RSAKeyPairGenerator;
import org.bouncycastle.crypto.params.RSAKeyGenerationParameters;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPKeyPair;
import org.bouncycastle.openpgp.PGPKeyRingGenerator;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyEncryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;
import org.bouncycastle.openpgp.operator.bc.BcPGPKeyPair;

/**
 * An OpenPGP signing key made for tests, standing in for Debian's archive key: writes its public
 * keyring and clear-signs texts the way the archive signs InRelease.
 */
final class TestKeys {
    private final PGPKeyPair pair;
    private final byte[] publicRing;

    TestKeys(String userId) {
        try {
            RSAKeyPairGenerator gen = new RSAKeyPairGenerator();
            gen.init(new RSAKeyGenerationParameters(BigInteger.valueOf(65537), new SecureRandom(), 2048, 80));
            pair = new BcPGPKeyPair(PublicKeyAlgorithmTags.RSA_GENERAL, gen.generateKeyPair(), new Date());
            PGPKeyRingGenerator rings = new PGPKeyRingGenerator(PGPSignature.POSITIVE_CERTIFICATION, pair, userId,
                    new BcPGPDigestCalculatorProvider().get(HashAlgorithmTags.SHA1), null, null,
                    new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.RSA_GENERAL, HashAlgorithmTags.SHA256),
                    new BcPBESecretKeyEncryptorBuilder(0).build(new char[0]));
            publicRing = rings.generatePublicKeyRing().getEncoded();
        } catch (PGPException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    Path writeKeyring(Path file) throws IOException {
        return Files.write(file, publicRing);
    }

    /** {@code text} (LF line ends) as a cleartext-signed message, like Debian's InRelease. */
    byte[] clearSign(String text) {
        try {
            String[] lines = text.stripTrailing().split("\n", -1);
            StringBuilder canonical = new StringBuilder(); // RFC 9580 7.1, written out independently of ClearSigned
            for (int i = 0; i < lines.length; i++) canonical.append(i > 0 ? "\r\n" : "").append(lines[i].stripTrailing());
            PGPSignatureGenerator gen = new PGPSignatureGenerator(
                    new BcPGPContentSignerBuilder(PublicKeyAlgorithmTags.RSA_GENERAL, HashAlgorithmTags.SHA256),
                    pair.getPublicKey());
            gen.init(PGPSignature.CANONICAL_TEXT_DOCUMENT, pair.getPrivateKey());
            gen.update(canonical.toString().getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream sig = new ByteArrayOutputStream();
            try (ArmoredOutputStream armor = new ArmoredOutputStream(sig)) {
                gen.generate().encode(armor);
            }
            StringBuilder msg = new StringBuilder("-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n");
            for (String line : lines) msg.append(line.startsWith("-") ? "- " : "").append(line).append('\n');
            msg.append(sig.toString(StandardCharsets.US_ASCII));
            return msg.toString().getBytes(StandardCharsets.UTF_8);
        } catch (PGPException | IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
