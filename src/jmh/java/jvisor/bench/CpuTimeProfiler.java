package jvisor.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * JMH profiler ({@code -prof jvisor.bench.CpuTimeProfiler}, which bench/jmh.sh passes) adding a
 * secondary result {@code cpu}: CPU time of the benchmark's worker threads per operation, in
 * nanoseconds. On a machine shared with other work the primary (wall-clock) score also counts the
 * time other processes held the core, and a whole fork can land beside a busy neighbour and
 * measure two or three times slower; CPU time counts only what the benchmark ran.
 */
public final class CpuTimeProfiler implements InternalProfiler {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private long before;

    @Override
    public String getDescription() {
        return "CPU time of the benchmark threads per operation";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmark, IterationParams iteration) {
        before = workerCpuNanos();
    }

    @Override
    public Collection<? extends Result> afterIteration(BenchmarkParams benchmark, IterationParams iteration,
                                                       IterationResult result) {
        long ops = result.getMetadata().getAllOps(); // every call the workers made, not only the timed ones
        double perOp = ops == 0 ? Double.NaN : (double) (workerCpuNanos() - before) / ops;
        return List.of(new ScalarResult("cpu", perOp, "ns/op", AggregationPolicy.AVG));
    }

    /** CPU time of JMH's worker threads so far (they live as long as the benchmark runs). */
    private long workerCpuNanos() {
        long sum = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().contains("-jmh-worker-")) {
                long cpu = threads.getThreadCpuTime(t.getThreadId());
                if (cpu > 0) sum += cpu;
            }
        }
        return sum;
    }
}
