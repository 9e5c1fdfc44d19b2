package jvisor.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The launcher's training run for the AOT cache ends well: its program runs, saves, restores and powers off. */
class AotTrainingTest {
    @Test
    @Timeout(60)
    void theTrainingRunCompletes() {
        assertDoesNotThrow(() -> AotTraining.main(new String[0]));
    }
}
