package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SignatureCheckTest {
    private static final String TEXT = "Origin: Debian\nCodename: trixie   \n-- dashes\nSHA256:\n abc 1 main/x\n";
    private static TestKeys archive;
    private static TestKeys stranger;

    @TempDir Path dir;

    @BeforeAll
    static void keys() {
        archive = new TestKeys("Test Archive Automatic Signing Key <ftpmaster@example.org>");
        stranger = new TestKeys("Someone Else <else@example.org>");
    }

    @Test
    void goodSignatureByAKeyInTheKeyring() throws IOException {
        ClearSigned msg = ClearSigned.parse(archive.clearSign(TEXT), "InRelease");
        String signer = SignatureCheck.verify(msg, archive.writeKeyring(dir.resolve("keyring.gpg")), "InRelease");
        assertEquals("Test Archive Automatic Signing Key <ftpmaster@example.org>", signer);
    }

    @Test
    void alteredTextIsRefused() throws IOException {
        String signed = new String(archive.clearSign(TEXT), StandardCharsets.UTF_8).replace("abc 1", "abd 1");
        ClearSigned msg = ClearSigned.parse(signed.getBytes(StandardCharsets.UTF_8), "InRelease");
        ImageException e = assertThrows(ImageException.class,
                () -> SignatureCheck.verify(msg, archive.writeKeyring(dir.resolve("keyring.gpg")), "InRelease"));
        assertTrue(e.getMessage().startsWith("InRelease: no good signature"), e.getMessage());
    }

    @Test
    void signatureByAnUnknownKeyIsRefused() throws IOException {
        ClearSigned msg = ClearSigned.parse(stranger.clearSign(TEXT), "InRelease");
        ImageException e = assertThrows(ImageException.class,
                () -> SignatureCheck.verify(msg, archive.writeKeyring(dir.resolve("keyring.gpg")), "InRelease"));
        assertTrue(e.getMessage().contains("debian-archive-keyring"), e.getMessage());
    }

    @Test
    void findsTheFirstReadableKeyring() throws IOException {
        Path ring = archive.writeKeyring(dir.resolve("b.gpg"));
        assertEquals(ring, SignatureCheck.findKeyring(List.of(dir.resolve("a.gpg"), ring)));
        assertNull(SignatureCheck.findKeyring(List.of(dir.resolve("a.gpg"))));
    }
}
