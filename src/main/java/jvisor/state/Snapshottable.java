package jvisor.state;

/**
 * A part of a VM whose state travels in the machine state stream (snapshots and migration).
 * Both methods run while the machine is paused, so the part is quiet and owns its fields.
 */
public interface Snapshottable {
    /** Writes this part's state. */
    void saveState(StateWriter out);

    /**
     * Reads back what {@link #saveState} wrote into a freshly built part of the same machine
     * configuration. Values are checked as they are read: a stream that passed its checksum can
     * still be hand-made, and must give a {@link StateException}, never a broken part.
     */
    void loadState(StateReader in) throws StateException;
}
