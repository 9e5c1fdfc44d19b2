package jvisor.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * JMH settings every benchmark here inherits: average time in nanoseconds per operation, short
 * runs (one fork, 3 warm-up and 5 measured iterations of one second; bench/jmh.sh passes any JMH
 * options given to it, which override these), and the JVM flags of the {@code jvisor} launcher.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC", "-XX:-UseFPUForSpilling", "-XX:-ClipInlining"})
public abstract class BenchDefaults {
}
