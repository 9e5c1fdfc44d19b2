package jvisor.cpu.priv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import jvisor.machine.Machine;
import jvisor.testing.Guest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * riscv-tests' hypervisor tests (isa/hypervisor*, the p environment), built outside the
 * repository: {@code -Djvisor.riscvtests=DIR} names a directory holding the ELFs
 * ({@code hypervisor-p-*}, {@code hypervisor-svadu-p-*}); without it the test is skipped. Each
 * runs with the JIT off and eager and must report success through HTIF. Build them without C
 * ({@code -march=rv64gh}, as riscv-tests does with rv64g): their trap handlers are not 4-byte
 * aligned otherwise, and mtvec drops bit 1. Debian 12's gcc refuses {@code rv64gh} as a
 * {@code -march}; its assembler takes it, so preprocess each test with {@code riscv64-linux-gnu-gcc -E
 * -Ienv/p -Iisa/macros/scalar}, assemble with {@code riscv64-linux-gnu-as -march=rv64gh} and link
 * with {@code env/p/link.ld}.
 */
@Timeout(60)
class RiscvTestsHypervisorTest {

    static Stream<Arguments> programs() throws IOException {
        String dir = System.getProperty("jvisor.riscvtests");
        if (dir == null) return Stream.of(Arguments.of(null, Machine.JitMode.OFF));
        List<Path> elfs;
        try (Stream<Path> files = Files.list(Path.of(dir))) {
            elfs = files.filter(p -> p.getFileName().toString().matches("hypervisor.*-p-[^.]*")).sorted().toList();
        }
        return elfs.stream().flatMap(p -> Stream.of(Machine.JitMode.OFF, Machine.JitMode.EAGER).map(j -> Arguments.of(p, j)));
    }

    @ParameterizedTest(name = "{0} jit={1}")
    @MethodSource("programs")
    void passes(Path elf, Machine.JitMode jit) throws Exception {
        assumeTrue(elf != null, "set -Djvisor.riscvtests=DIR to run riscv-tests' hypervisor tests");
        Guest.Result r = Guest.runElf(elf, m -> m.setJit(jit));
        assertEquals(0, r.status(), "riscv-tests reports failing test number " + r.status() + " in " + elf);
    }
}
