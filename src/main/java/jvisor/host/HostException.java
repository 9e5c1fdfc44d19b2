package jvisor.host;

/**
 * A request the host cannot carry out, with a message that says what to do instead. The kind
 * tells the API which HTTP status fits; {@code field} names the definition field at fault.
 */
public final class HostException extends RuntimeException {
    public enum Kind { INVALID, NOT_FOUND, CONFLICT, FAILED }

    private final Kind kind;
    private final String field;

    private HostException(Kind kind, String field, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.field = field;
    }

    /** Bad input: {@code field} (may be null) is what to fix. */
    public static HostException invalid(String field, String message) {
        return new HostException(Kind.INVALID, field, message, null);
    }

    public static HostException notFound(String message) {
        return new HostException(Kind.NOT_FOUND, null, message, null);
    }

    /** Not possible in the VM's (or the host's) current state. */
    public static HostException conflict(String message) {
        return new HostException(Kind.CONFLICT, null, message, null);
    }

    /** A host-side failure (a file, a socket) that lost nothing: the VM is as it was. */
    public static HostException failed(String message, Throwable cause) {
        return new HostException(Kind.FAILED, null, message, cause);
    }

    public Kind kind() { return kind; }

    public String field() { return field; }
}
