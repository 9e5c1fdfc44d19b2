package jvisor.fuzz;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Shrinks a failing program for the report: replaces chunks of body instructions with nops,
 * halving the chunk size, and keeps each replacement after which the program still fails
 * (delta debugging, simplified); then tries whole loops and functions. Loop control goes only
 * with its loop, so runs still end; a replacement that makes a run trap or loop counts as not
 * failing.
 */
final class Minimizer {
    private Minimizer() {}

    /** Returns {@code p} with as many nops as {@code fails} allows within {@code maxTrials} runs of it. */
    static Program minimize(Program p, Predicate<Program> fails, int maxTrials) {
        List<Long> candidates = new ArrayList<>();
        for (Code.Line l : p.code.lines()) {
            long a = l.addr();
            if (a >= p.bodyStart && a < p.bodyEnd && !p.code.kept(a)) candidates.add(a);
        }
        Set<Long> nops = new HashSet<>(p.nops);
        int trials = 0;
        for (int chunk = Math.max(1, candidates.size() / 2); ; chunk /= 2) {
            for (int i = 0; i < candidates.size() && trials < maxTrials; i += chunk) {
                Set<Long> trial = new HashSet<>(nops);
                trial.addAll(candidates.subList(i, Math.min(i + chunk, candidates.size())));
                if (trial.size() == nops.size()) continue;
                trials++;
                if (fails.test(p.nopped(trial))) nops = trial;
            }
            if (chunk == 1 || trials >= maxTrials) break;
        }
        for (long[] unit : p.code.units().reversed()) { // outer loops first: they end last
            Set<Long> trial = new HashSet<>(nops);
            for (Code.Line l : p.code.lines()) if (l.addr() >= unit[0] && l.addr() < unit[1]) trial.add(l.addr());
            if (trial.size() == nops.size() || trials++ >= maxTrials) continue;
            if (fails.test(p.nopped(trial))) nops = trial;
        }
        return p.nopped(nops);
    }
}
