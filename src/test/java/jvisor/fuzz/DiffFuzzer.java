package jvisor.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Differential fuzzing of one seed: generates the program, runs it on jvisor with the JIT off,
 * eager, tiered and on ({@link JvisorRun.Jit}), and under qemu-riscv64 when it is installed, and
 * compares the final registers, fcsr and data memory. QEMU is the reference for user-level
 * semantics; without it (or for programs that read the counters or trap), the interpreter is. A mismatch is
 * shrunk ({@link Minimizer}) and reported with the instructions left and the differing state.
 */
public final class DiffFuzzer {
    /**
     * The outcome for one seed: {@code instructions} is what one jvisor run retired,
     * {@code compiledTiered} and {@code compiledOn} how many of them ran compiled in those modes.
     */
    public record Report(long seed, boolean ok, boolean withQemu, long instructions, long compiledTiered, long compiledOn, String text) {}

    private static final long MAX_INSTRUCTIONS = 50_000_000L;
    private static final int QEMU_TIMEOUT_SECONDS = 60, MINIMIZER_TRIALS = 600;

    private final Path dir;
    private final boolean qemu;

    /** {@code dir} receives the ELF and listing of each failing program. */
    public DiffFuzzer(Path dir, boolean useQemu) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.qemu = useQemu && QemuRun.available();
    }

    public boolean usesQemu() { return qemu; }

    /** The environments for {@code p}, the reference first; null stands for QEMU. */
    private List<JvisorRun.Jit> environments(Program p) {
        List<JvisorRun.Jit> envs = new ArrayList<>();
        if (qemu && !p.jvisorOnly()) envs.add(null);
        envs.addAll(List.of(JvisorRun.Jit.values()));
        return envs;
    }

    private RunResult run(Program p, JvisorRun.Jit env, long maxInstructions, int qemuTimeout) {
        if (env != null) {
            int threshold = 2 + Math.floorMod(p.seed * 0x9e3779b97f4a7c15L >>> 40, 15);
            return JvisorRun.run(p, env, threshold, maxInstructions);
        }
        try {
            return QemuRun.run(p, dir, qemuTimeout);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return RunResult.failed("qemu", "interrupted");
        }
    }

    public Report check(long seed, Generator.Size size) throws IOException {
        Program p = Generator.generate(seed, size);
        List<JvisorRun.Jit> envs = environments(p);
        List<RunResult> runs = new ArrayList<>();
        for (JvisorRun.Jit env : envs) runs.add(run(p, env, MAX_INSTRUCTIONS, QEMU_TIMEOUT_SECONDS));
        long instructions = runs.stream().mapToLong(RunResult::instructions).max().orElse(0);
        long tiered = runs.get(runs.size() - 2).compiled(), on = runs.getLast().compiled();

        RunResult ref = runs.get(0);
        List<String> lines = new ArrayList<>();
        JvisorRun.Jit worst = null;
        for (int i = 1; i < runs.size(); i++) {
            RunResult r = runs.get(i);
            if (r.sameAs(ref)) continue;
            if (worst == null) worst = envs.get(i);
            lines.add("  " + r.env() + " differs from " + ref.env() + ":");
            for (String d : r.diff(ref, 12)) lines.add("    " + d);
        }
        if (!ref.ok()) { // the program itself is broken (a generator bug), or the reference is
            lines.clear();
            for (RunResult r : runs) lines.add("  " + r.env() + ": " + (r.ok() ? "finished" : r.failure()));
        }
        boolean withQemu = envs.get(0) == null;
        if (lines.isEmpty()) return new Report(seed, true, withQemu, instructions, tiered, on, "");

        Path elf = dir.resolve("seed-" + seed + ".elf"), lst = dir.resolve("seed-" + seed + ".lst");
        Files.write(elf, p.elf(Program.CODE));
        elf.toFile().setExecutable(true);
        Files.write(lst, p.listing(false));
        lines.add(0, "seed " + seed + " (" + (p.user ? "U-mode, Sv39" : "M-mode") + " on jvisor): mismatch; "
                + elf + " runs under qemu-riscv64, " + lst + " lists it");
        if (ref.ok()) lines.addAll(shrink(p, envs.get(0), worst, Math.max(instructions, 100_000)));
        return new Report(seed, false, withQemu, instructions, tiered, on, String.join("\n", lines));
    }

    /** The minimized program's body and state difference between {@code ref} and {@code bad}. */
    private List<String> shrink(Program p, JvisorRun.Jit ref, JvisorRun.Jit bad, long instructions) {
        long limit = 4 * instructions;
        Program small = Minimizer.minimize(p, q -> {
            RunResult a = run(q, ref, limit, 5), b = run(q, bad, limit, 5);
            return a.ok() && b.ok() && !a.sameAs(b);
        }, MINIMIZER_TRIALS);
        List<String> out = new ArrayList<>();
        List<String> body = small.listing(true);
        out.add("  minimized to " + body.size() + " body instructions (others nops):");
        for (String l : body.subList(0, Math.min(body.size(), 50))) out.add("    " + l);
        if (body.size() > 50) out.add("    ...");
        RunResult a = run(small, ref, limit, 5), b = run(small, bad, limit, 5);
        out.add("  and then " + b.env() + " differs from " + a.env() + ":");
        for (String d : b.diff(a, 12)) out.add("    " + d);
        return out;
    }

    /**
     * A campaign from the command line: {@code SEEDS [FIRST_SEED [DIR]]}. Prints each mismatch
     * and, every 100 seeds and at the end, seeds, guest instructions (of one jvisor run of each
     * program) and time.
     */
    public static void main(String[] args) throws Exception {
        long seeds = Long.parseLong(args[0]), first = args.length > 1 ? Long.parseLong(args[1]) : 1;
        DiffFuzzer f = new DiffFuzzer(Path.of(args.length > 2 ? args[2] : "target/fuzz"), true);
        long start = System.nanoTime(), instructions = 0, bad = 0, withQemu = 0;
        for (long s = first; s < first + seeds; s++) {
            Report r = f.check(s, Generator.Size.CAMPAIGN);
            instructions += r.instructions();
            if (r.withQemu()) withQemu++;
            if (!r.ok()) {
                bad++;
                System.out.println(r.text());
            }
            if ((s - first + 1) % 100 == 0 && s + 1 < first + seeds) progress(s - first + 1, instructions, withQemu, bad, start);
        }
        progress(seeds, instructions, withQemu, bad, start);
    }

    private static void progress(long seeds, long instructions, long withQemu, long bad, long start) {
        double secs = (System.nanoTime() - start) / 1e9;
        System.out.printf("%d seeds (%d also under QEMU), %d guest instructions per run, %d mismatching seeds, %.0f s%n",
                seeds, withQemu, instructions, bad, secs);
    }
}
