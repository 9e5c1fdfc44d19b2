package jvisor.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The daemon's migration warm-up moves its throwaway machine and leaves nothing running. */
class MigrationWarmUpTest {
    private static List<String> warmUpThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("jvisor-migration-warm-up")).toList();
    }

    @Test
    void movesTheThrowawayMachineAndStopsIt() throws Exception {
        MigrationWarmUp.run(MigrationWarmUp.MOVES);
        Thread.sleep(100); // the receiving threads end just after handing their machine over
        assertEquals(List.of(), warmUpThreads());
    }
}
