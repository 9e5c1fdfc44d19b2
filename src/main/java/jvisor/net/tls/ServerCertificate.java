package jvisor.net.tls;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * The daemon's TLS identity: a private key and its certificate chain, from PEM files
 * ({@code --tls-cert}, {@code --tls-key}) or self-signed and kept in a directory
 * ({@code cert.pem}, and {@code key.pem} with mode 0600) so its fingerprint stays the same from
 * one start to the next. Keys may be PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted.
 */
public record ServerCertificate(PrivateKey key, List<X509Certificate> chain) {
    public ServerCertificate {
        if (chain.isEmpty()) throw new IllegalArgumentException("a certificate chain needs a certificate");
        chain = List.copyOf(chain);
    }

    /** The fingerprint clients pin: that of the first certificate. */
    public Fingerprint fingerprint() { return Fingerprint.of(chain.getFirst()); }

    /** Loads a PEM certificate (chain) and a PEM key; the messages name the file and what is wrong. */
    public static ServerCertificate load(Path certFile, Path keyFile) throws IOException {
        List<X509Certificate> chain = readCertificates(certFile);
        PrivateKey key = readKey(keyFile, chain.getFirst());
        if (!chain.getFirst().getPublicKey().getAlgorithm().equals(key.getAlgorithm())) {
            throw new IOException(keyFile + " holds a " + key.getAlgorithm() + " key, but the certificate in " + certFile
                    + " is for a " + chain.getFirst().getPublicKey().getAlgorithm() + " key");
        }
        return new ServerCertificate(key, chain);
    }

    /**
     * The self-signed certificate kept in {@code dir} ({@code cert.pem}, {@code key.pem}): loaded
     * if there, else made (ECDSA P-256, valid 20 years, for {@code names}: host names and
     * addresses) and written, the key with mode 0600.
     */
    public static ServerCertificate selfSigned(Path dir, Collection<String> names) throws IOException {
        Path cert = dir.resolve("cert.pem"), key = dir.resolve("key.pem");
        if (Files.exists(cert) && Files.exists(key)) return load(cert, key);
        ServerCertificate c = generate(names);
        Files.createDirectories(dir);
        writeAtomically(key, c.keyPem(), true);
        writeAtomically(cert, c.certificatePem(), false);
        return c;
    }

    /** A new self-signed certificate for {@code names} (host names and IP addresses). */
    public static ServerCertificate generate(Collection<String> names) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
            KeyPair kp = g.generateKeyPair();
            Set<String> all = new LinkedHashSet<>(names);
            all.add("localhost");
            all.add("127.0.0.1");
            all.add("::1");
            List<GeneralName> san = new ArrayList<>();
            for (String n : all) {
                boolean ip = n.matches("[0-9.]+") || n.contains(":");
                san.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, ip ? InetAddress.getByName(n).getHostAddress() : n));
            }
            X500Name subject = new X500Name("CN=jvisor daemon " + names.stream().findFirst().orElse("localhost"));
            Instant now = Instant.now();
            byte[] serial = new byte[16];
            new SecureRandom().nextBytes(serial);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, new BigInteger(1, serial),
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(20 * 365))), subject, kp.getPublic());
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san.toArray(GeneralName[]::new)));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
            return new ServerCertificate(kp.getPrivate(), List.of(cert));
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot make a self-signed certificate: " + e, e);
        }
    }

    /** The key and chain in a PKCS#12 key store protected by {@code password} (for Jetty). */
    public KeyStore keyStore(char[] password) {
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("jvisor", key, password, chain.toArray(X509Certificate[]::new));
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException("cannot build a key store: " + e, e);
        }
    }

    /** A server-side TLS context with this key and chain (for connections other than Jetty's). */
    public javax.net.ssl.SSLContext sslContext() {
        try {
            char[] password = new char[0];
            javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(
                    javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore(password), password);
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, new java.security.SecureRandom());
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a TLS context: " + e, e);
        }
    }

    /** The certificate chain as PEM. */
    public String certificatePem() { return pem(chain.toArray()); }

    /** The key as unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), the form every TLS tool reads. */
    private String keyPem() {
        String b64 = java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded());
        return "-----BEGIN PRIVATE KEY-----\n" + b64 + "\n-----END PRIVATE KEY-----\n";
    }

    private static String pem(Object[] objects) {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            for (Object o : objects) w.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return s.toString();
    }

    private static List<X509Certificate> readCertificates(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            List<X509Certificate> chain = new ArrayList<>();
            for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) chain.add((X509Certificate) c);
            if (chain.isEmpty()) throw new IOException(file + " holds no certificate (PEM, -----BEGIN CERTIFICATE-----)");
            return chain;
        } catch (CertificateException e) {
            throw new IOException(file + " is not a PEM certificate: " + e.getMessage(), e);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        }
    }

    private static PrivateKey readKey(Path file, X509Certificate cert) throws IOException {
        Object o;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            do {
                o = p.readObject();
            } while (o != null && !(o instanceof PEMKeyPair || o instanceof PrivateKeyInfo || o instanceof PEMEncryptedKeyPair
                    || o instanceof org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException(file + ": no such file", e);
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + " is not a PEM private key: " + e.getMessage(), e);
        }
        JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
        PrivateKeyInfo info = o instanceof PEMKeyPair kp ? kp.getPrivateKeyInfo() : o instanceof PrivateKeyInfo i ? i : null;
        if (info != null) {
            if (info.getPrivateKeyAlgorithm().getParameters() == null
                    && info.getPrivateKeyAlgorithm().getAlgorithm().equals(X9ObjectIdentifiers.id_ecPublicKey)) {
                // An EC key that does not name its curve (SEC1 without parameters): the certificate's key does.
                info = new PrivateKeyInfo(SubjectPublicKeyInfo.getInstance(cert.getPublicKey().getEncoded()).getAlgorithm(),
                        info.parsePrivateKey());
            }
            try {
                return conv.getPrivateKey(info);
            } catch (IOException e) {
                throw new IOException(file + ": cannot use its key: " + e.getMessage(), e);
            }
        }
        if (o != null) throw new IOException(file + " holds an encrypted key: give it unencrypted (openssl pkey -in KEY -out PLAIN.pem), mode 0600");
        throw new IOException(file + " holds no private key (PEM, -----BEGIN PRIVATE KEY-----)");
    }

    private static void writeAtomically(Path file, String text, boolean secret) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".part");
        Files.deleteIfExists(tmp);
        if (secret) Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text, StandardCharsets.US_ASCII);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
