package jvisor.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A bounded run of the differential fuzzer: random RV64GC programs give the same registers, fcsr
 * and memory on jvisor with the JIT off, eager, tiered and on, and under qemu-riscv64. Without
 * qemu-riscv64 (apt-get install qemu-user) the jvisor modes are compared with each other only;
 * CI must have it. More seeds: {@code -Djvisor.fuzz.seeds=N -Djvisor.fuzz.first=S}, or
 * bench/fuzz.sh for a campaign.
 */
class DiffFuzzTest {
    private static final int SEEDS = Integer.getInteger("jvisor.fuzz.seeds", 60);
    private static final long FIRST = Long.getLong("jvisor.fuzz.first", 1);

    @Test
    void jvisorModesAndQemuAgree() throws Exception {
        DiffFuzzer fuzzer = new DiffFuzzer(Path.of("target", "fuzz").toAbsolutePath(), true);
        if (!fuzzer.usesQemu() && "true".equals(System.getenv("CI"))) fail("CI needs qemu-riscv64 (qemu-user) for the differential fuzzer");
        List<String> bad = new ArrayList<>();
        long instructions = 0, tiered = 0, on = 0;
        for (long seed = FIRST; seed < FIRST + SEEDS; seed++) {
            DiffFuzzer.Report r = fuzzer.check(seed, Generator.Size.TEST);
            instructions += r.instructions();
            tiered += r.compiledTiered();
            on += r.compiledOn();
            if (!r.ok()) bad.add(r.text());
        }
        if (!bad.isEmpty()) fail(bad.size() + " of " + SEEDS + " seeds mismatch:\n" + String.join("\n", bad));
        System.out.printf("DiffFuzzTest: %d seeds, %d instructions per environment, compiled: %d tiered, %d on; qemu %s%n",
                SEEDS, instructions, tiered, on, fuzzer.usesQemu() ? "compared" : "absent");
        // the JIT modes must reach compiled code, or they only repeat the interpreter's run (traps
        // and rewritten code send much of it back to the interpreter)
        assertTrue(tiered > instructions / 4, "too little ran compiled in tiered mode: " + tiered + " of " + instructions);
        assertTrue(on > 0, "nothing ran compiled with the JIT on");
    }
}
