package jvisor.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class IndexParsingTest {
    private static final String PACKAGES = """
            Package: linux-image-riscv64
            Source: linux-signed-riscv64 (6.12.117+1)
            Version: 6.12.117-1
            Architecture: riscv64
            Depends: linux-image-6.12.117+deb13-riscv64 (= 6.12.117-1)
            Description: Linux for 64-bit RISC-V platforms (meta-package)
             This package depends on the latest Linux kernel and modules for use on
             .
             64-bit RISC-V platforms.
            Filename: pool/main/l/linux-signed-riscv64/linux-image-riscv64_6.12.117-1_riscv64.deb
            Size: 1460
            SHA256: 0000000000000000000000000000000000000000000000000000000000000001

            Package: linux-image-6.12.117+deb13-riscv64
            Source: linux
            Version: 6.12.117-1
            Installed-Size: 481234
            Depends: kmod, linux-base (>= 4.12~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool
            Filename: pool/main/l/linux/linux-image-6.12.117+deb13-riscv64_6.12.117-1_riscv64.deb
            Size: 112593968
            SHA256: ABCDEF0000000000000000000000000000000000000000000000000000000002

            Package: busybox-static
            Version: 1:1.37.0-6+b8
            Filename: pool/main/b/busybox/busybox-static_1.37.0-6+b8_riscv64.deb
            Size: 941000
            SHA256: 0000000000000000000000000000000000000000000000000000000000000003

            Package: busybox-static
            Version: 1:1.37.0-6+b9
            Filename: pool/main/b/busybox/busybox-static_1.37.0-6+b9_riscv64.deb
            Size: 941532
            SHA256: 0000000000000000000000000000000000000000000000000000000000000004
            """;

    @Test
    void packagesIndexFollowsTheMetaPackage() throws ImageException {
        PackageIndex index = PackageIndex.parse(new StringReader(PACKAGES), "Packages");
        PackageIndex.Package k = index.resolve("linux-image-riscv64", ImageSpec.DEBIAN.kernelPackage(), "Packages");
        assertEquals("linux-image-6.12.117+deb13-riscv64", k.name());
        assertEquals("6.12.117-1", k.version());
        assertEquals("pool/main/l/linux/linux-image-6.12.117+deb13-riscv64_6.12.117-1_riscv64.deb", k.filename());
        assertEquals(112593968, k.size());
        assertEquals("abcdef0000000000000000000000000000000000000000000000000000000002", k.sha256(), "hex is lower-cased");
    }

    @Test
    void packagesIndexKeepsTheNewestOfTwoVersions() throws ImageException {
        PackageIndex index = PackageIndex.parse(new StringReader(PACKAGES), "Packages");
        assertEquals("1:1.37.0-6+b9", index.get("busybox-static", "Packages").version());
    }

    @Test
    void missingPackageAndUnmatchedMetaAreClearErrors() throws ImageException {
        PackageIndex index = PackageIndex.parse(new StringReader(PACKAGES), "Packages");
        ImageException e = assertThrows(ImageException.class, () -> index.get("opensbi", "the index"));
        assertTrue(e.getMessage().contains("opensbi is not in the index"), e.getMessage());
        e = assertThrows(ImageException.class,
                () -> index.resolve("linux-image-riscv64", Pattern.compile("linux-image-7\\..*"), "Packages"));
        assertTrue(e.getMessage().contains("depends on no package named like"), e.getMessage());
    }

    private static final String RELEASE = """
            Origin: Debian
            Suite: stable
            Codename: trixie
            Date: Sat, 21 Nov 2026 09:15:44 UTC
            MD5Sum:
             576c5642117fbf5e949c05740c8aa3eb  9387120 main/binary-riscv64/Packages.xz
            SHA256:
             0a3fd4bc7c8e2b7d4d1c4b0e0bd3e2a4d36d0d1d2b7e9f9bd0f62c7c0d3a0001 54338128 main/binary-riscv64/Packages
             0a3fd4bc7c8e2b7d4d1c4b0e0bd3e2a4d36d0d1d2b7e9f9bd0f62c7c0d3a0002  9387120 main/binary-riscv64/Packages.xz
            """;

    @Test
    void inReleaseTextAndChecksums() throws ImageException {
        String signed = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n" + RELEASE
                + "-----BEGIN PGP SIGNATURE-----\n\niQ==\n-----END PGP SIGNATURE-----\n";
        ClearSigned cs = ClearSigned.parse(signed.getBytes(StandardCharsets.UTF_8), "InRelease");
        assertTrue(cs.armoredSignature().startsWith("-----BEGIN PGP SIGNATURE-----"));

        ReleaseIndex r = ReleaseIndex.parse(cs.text(), "InRelease");
        assertEquals("trixie", r.codename());
        assertEquals("stable", r.suite());
        assertEquals(new ReleaseIndex.FileSum("0a3fd4bc7c8e2b7d4d1c4b0e0bd3e2a4d36d0d1d2b7e9f9bd0f62c7c0d3a0002", 9387120),
                r.sha256().get("main/binary-riscv64/Packages.xz"));
        assertEquals("main/binary-riscv64/Packages.xz", r.firstListed(ImageSpec.DEBIAN.packagesIndexCandidates()));
        assertNull(r.firstListed(List.of("main/binary-amd64/Packages.xz")));
    }

    @Test
    void canonicalTextStripsTrailingSpaceAndUsesCrLf() throws ImageException {
        String signed = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nA: 1  \n- -- dash-escaped\nB: 2\n"
                + "-----BEGIN PGP SIGNATURE-----\n-----END PGP SIGNATURE-----\n";
        ClearSigned cs = ClearSigned.parse(signed.getBytes(StandardCharsets.UTF_8), "InRelease");
        assertEquals("A: 1\r\n-- dash-escaped\r\nB: 2", new String(cs.canonicalText(), StandardCharsets.UTF_8));
    }

    @Test
    void unsignedOrTruncatedInReleaseIsRefused() {
        ImageException e = assertThrows(ImageException.class,
                () -> ClearSigned.parse("<html>captive portal</html>".getBytes(StandardCharsets.UTF_8), "InRelease"));
        assertTrue(e.getMessage().contains("not an OpenPGP signed message"), e.getMessage());
        e = assertThrows(ImageException.class, () -> ClearSigned.parse(
                "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nA: 1\n-----BEGIN PGP SIGNATURE-----\niQ"
                        .getBytes(StandardCharsets.UTF_8), "InRelease"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void releaseWithoutSha256IsRefused() {
        ImageException e = assertThrows(ImageException.class, () -> ReleaseIndex.parse("Codename: trixie\n", "InRelease"));
        assertTrue(e.getMessage().contains("no SHA256"), e.getMessage());
    }

    @Test
    void debianVersionOrder() {
        List<String> ascending = List.of("1.0~rc1", "1.0", "1.0-1", "1.0-1+b1", "1.0a", "1.0.1", "1.2", "1.10", "1:0.1");
        for (int i = 0; i + 1 < ascending.size(); i++) {
            String a = ascending.get(i), b = ascending.get(i + 1);
            assertTrue(DebianVersion.compare(a, b) < 0, a + " < " + b);
            assertTrue(DebianVersion.compare(b, a) > 0, b + " > " + a);
        }
        assertEquals(0, DebianVersion.compare("1:1.37.0-6+b9", "1:1.37.0-6+b9"));
        assertTrue(DebianVersion.compare("6.12.117-1", "6.12.9-1") > 0);
    }
}
