package jvisor.devices;

/** A level-triggered interrupt line from a device to the interrupt controller; callable from any thread. */
public interface IrqLine {
    void set(boolean level);

    default void raise() { set(true); }

    default void lower() { set(false); }

    /** A line connected to nothing. */
    IrqLine NONE = level -> { };
}
