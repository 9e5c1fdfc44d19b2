package jvisor.fuzz;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Differential fuzzing of one seed: generates the program, runs it on jvisor with the JIT off,
 * eager, tiered and on ({@link JvisorRun.Jit}), and under qemu-riscv64 when it is installed, and compares the final registers,
 * fcsr and data memory. QEMU is the reference for user-level semantics; without it, the
 * interpreter is.
 */
public final class DiffFuzzer {
    /**
     * The outcome for one seed: {@code instructions} is what one jvisor run retired,
     * {@code compiledTiered} and {@code compiledOn} how many of them ran compiled in those modes.
     */
    public record Report(long seed, boolean ok, long instructions, long compiledTiered, long compiledOn, String text) {}

    private final Path dir;
    private final boolean qemu;

    /** {@code dir} receives the ELF and listing of each failing program. */
    public DiffFuzzer(Path dir, boolean useQemu) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.qemu = useQemu && QemuRun.available();
    }

    public boolean usesQemu() { return qemu; }

    public Report check(long seed, Generator.Size size) throws IOException, InterruptedException {
        Program p = Generator.generate(seed, size);
        List<RunResult> runs = run(p, seed);
        RunResult ref = runs.get(0);
        List<String> lines = new ArrayList<>();
        for (RunResult r : runs.subList(1, runs.size())) {
            if (!r.sameAs(ref)) {
                lines.add("  " + r.env() + " differs from " + ref.env() + ":");
                for (String d : r.diff(ref, 12)) lines.add("    " + d);
            }
        }
        long instructions = runs.stream().mapToLong(RunResult::instructions).max().orElse(0);
        long tiered = runs.get(runs.size() - 2).compiled(), on = runs.getLast().compiled();
        if (!ref.ok()) { // the program itself is broken (a generator bug), or the reference is
            lines.clear();
            for (RunResult r : runs) lines.add("  " + r.env() + ": " + (r.ok() ? "finished" : r.failure()));
        }
        if (lines.isEmpty()) return new Report(seed, true, instructions, tiered, on, "");
        Path elf = dir.resolve("seed-" + seed + ".elf"), lst = dir.resolve("seed-" + seed + ".lst");
        Files.write(elf, p.elf(Program.CODE));
        elf.toFile().setExecutable(true);
        Files.write(lst, listing(p));
        lines.add(0, "seed " + seed + " (" + (p.user ? "U-mode, Sv39" : "M-mode") + " on jvisor): mismatch; "
                + elf + " runs under qemu-riscv64, " + lst + " lists it");
        return new Report(seed, false, instructions, tiered, on, String.join("\n", lines));
    }

    /** The reference first: QEMU, or jvisor's interpreter. */
    private List<RunResult> run(Program p, long seed) throws IOException, InterruptedException {
        List<RunResult> runs = new ArrayList<>();
        if (qemu) runs.add(QemuRun.run(p, dir));
        int threshold = 2 + (int) Math.floorMod(seed * 0x9e3779b97f4a7c15L >>> 40, 15);
        for (JvisorRun.Jit jit : JvisorRun.Jit.values()) runs.add(JvisorRun.run(p, jit, threshold));
        return runs;
    }

    static List<String> listing(Program p) {
        List<String> out = new ArrayList<>();
        for (Code.Line l : p.code.lines()) out.add(String.format("%x: %s", l.addr(), l.text()));
        return out;
    }

    /**
     * A campaign from the command line: {@code SEEDS [FIRST_SEED]}. Prints each mismatch and a
     * summary line with seeds, guest instructions and time.
     */
    public static void main(String[] args) throws Exception {
        long seeds = Long.parseLong(args[0]), first = args.length > 1 ? Long.parseLong(args[1]) : 1;
        DiffFuzzer f = new DiffFuzzer(Path.of(args.length > 2 ? args[2] : "target/fuzz"), true);
        long start = System.nanoTime(), instructions = 0, bad = 0;
        for (long s = first; s < first + seeds; s++) {
            Report r = f.check(s, Generator.Size.CAMPAIGN);
            instructions += r.instructions();
            if (!r.ok()) {
                bad++;
                System.out.println(r.text());
            }
            if ((s - first + 1) % 100 == 0) progress(s - first + 1, instructions, bad, start, f);
        }
        progress(seeds, instructions, bad, start, f);
    }

    private static void progress(long seeds, long instructions, long bad, long start, DiffFuzzer f) {
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("%d seeds, %d guest instructions per environment (%d environments), %d mismatching seeds, %.0f s%n",
                seeds, instructions, f.qemu ? 5 : 4, bad, secs);
    }
}
