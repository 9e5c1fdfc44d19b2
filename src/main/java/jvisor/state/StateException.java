package jvisor.state;

import java.io.IOException;

/** A state stream that cannot be read back: truncated, corrupted, foreign or from a newer format. */
public final class StateException extends IOException {
    public StateException(String message) { super(message); }

    public StateException(String message, Throwable cause) { super(message, cause); }
}
