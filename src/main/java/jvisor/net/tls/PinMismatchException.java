package jvisor.net.tls;

import java.security.cert.CertificateException;

/**
 * A daemon presented a certificate other than the one pinned for it (or given explicitly), or
 * none is pinned and first use may not pin. Thrown inside the TLS handshake; the HttpClient
 * wraps it in an {@link javax.net.ssl.SSLHandshakeException}, and {@link ApiConnection#explain}
 * finds it again. The message is one line that says what to do.
 */
public final class PinMismatchException extends CertificateException {
    public PinMismatchException(String message) { super(message); }
}
