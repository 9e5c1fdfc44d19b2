/**
 * TLS for the host daemon's API, on both ends, with no dependency on the rest of jvisor (the CLI,
 * the API server and the host can all use it).
 *
 * <p>Server side: {@link jvisor.net.tls.ServerCertificate} loads a PEM certificate and key, or
 * makes a self-signed one once and keeps it. Client side: {@link jvisor.net.tls.ApiConnection}
 * builds a JDK {@link java.net.http.HttpClient} (which also opens WebSockets) that trusts a daemon
 * by its certificate's SHA-256 {@link jvisor.net.tls.Fingerprint}, pinned in a
 * {@link jvisor.net.tls.PinStore} (a known-hosts file, trust on first use) or given explicitly,
 * as SSH trusts host keys. A certificate authority plays no part, so self-signed certificates
 * and certificates for other names work alike, and a changed certificate is refused with a
 * {@link jvisor.net.tls.PinMismatchException}.
 */
package jvisor.net.tls;
