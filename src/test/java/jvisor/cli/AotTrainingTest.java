package jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The launcher's training runs for its AOT caches end well: the program runs, saves, restores and
 * powers off; for the daemon's cache, a VM is also created, migrated and removed through two daemons.
 */
class AotTrainingTest {
    @Test
    @Timeout(60)
    void theTrainingRunCompletes() {
        assertDoesNotThrow(() -> AotTraining.main(new String[0]));
    }

    @Test
    @Timeout(120)
    void theDaemonsTrainingRunCompletes() {
        assertDoesNotThrow(() -> AotTraining.main(new String[] {"host"}));
    }
}
