#!/usr/bin/env bash
# JMH micro-benchmarks of the hot paths (src/jmh/java/jvisor/bench): decode and dispatch, the
# decoder alone, loads and stores through the MMU and its TLB, and FP arithmetic. Builds them with
# Maven's jmh profile (Maven fetches JMH; nothing is installed) and runs them. Arguments go to JMH,
# e.g. bench/jmh.sh MemoryBench -f 3 (the defaults are on jvisor.bench.BenchDefaults: one fork,
# 3 warm-up and 5 measured iterations of 1 s). Writes the "jmh" section of docs/PERFORMANCE.md
# unless JMH_DOC=0.  Usage: bench/jmh.sh [JMH args]
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$ROOT/tools/jdk.sh"

(cd "$ROOT" && mvn -q -B -ntp -Pjmh compile)
cp="$ROOT/target/jmh-classes:$ROOT/target/classes:$(cat "$ROOT/target/jmh-classpath.txt")"

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
rm -f "$OUT/jmh.json"
# JMH 1.37 still calls sun.misc.Unsafe, which JDK 25 warns about; the forks inherit the flag
"$JAVA_HOME/bin/java" --sun-misc-unsafe-memory-access=allow -cp "$cp" org.openjdk.jmh.Main -prof jvisor.bench.CpuTimeProfiler \
  -rf json -rff "$OUT/jmh.json" "$@" | tee "$OUT/jmh.txt"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
# nothing to write after -l, -h and the like, which run no benchmark
if [ "${JMH_DOC:-1}" = 0 ] || [ ! -s "$OUT/jmh.json" ]; then exit 0; fi

body="$OUT/jmh.md"
{
  echo "## JMH micro-benchmarks of the hot paths (bench/jmh.sh)"
  echo
  echo "JMH $(tr ':' '\n' < "$ROOT/target/jmh-classpath.txt" | sed -n 's:.*/jmh-core-\(.*\)\.jar$:\1:p'), run as \`bench/jmh.sh${*:+ $*}\`."
  echo "Average time per operation: *score ± error* is JMH's mean wall-clock time with its 99.9%"
  echo "confidence interval over the measured iterations; *CPU* is the CPU time of the benchmark thread"
  echo "per operation (jvisor.bench.CpuTimeProfiler), which other processes on the machine disturb less."
  echo
  python3 - "$OUT/jmh.json" <<'PY'
import json, math, sys
rows = json.load(open(sys.argv[1]))
def num(v):
    v = None if v is None else float(v)  # JMH writes "NaN" as a string
    if v is None or math.isnan(v): return "–"
    return f"{v:#.3g}" if abs(v) < 100 else f"{v:.0f}"
print("| benchmark | parameters | score | error | CPU | unit |")
print("|---|---|---|---|---|---|")
ratios = []
for r in rows:
    name = r["benchmark"].removeprefix("jvisor.bench.")
    params = ", ".join(f"{k}={v}" for k, v in (r.get("params") or {}).items()) or "–"
    p = r["primaryMetric"]
    cpu = (r.get("secondaryMetrics") or {}).get("cpu", {}).get("score")
    print(f"| {name} | {params} | {num(p['score'])} | ± {num(p['scoreError'])} | {num(cpu)} | {p['scoreUnit']} |")
    if cpu: ratios.append(p["score"] / cpu)
if ratios:
    ratios.sort()
    print(f"\nWall-clock score / CPU time: median {ratios[len(ratios) // 2]:.2f}, "
          f"from {ratios[0]:.2f} to {ratios[-1]:.2f} (1.00 when the benchmark thread has a core to itself).")
PY
  echo
  cat <<'TXT'
An operation is one guest instruction (DispatchBench: a 10-instruction ALU loop with a taken
branch, run by `Hart.step` with the JIT off or on), one decoded instruction (DecodeBench: 23
32-bit and 21 compressed encodings), one guest memory access through `Mmu` in S-mode
(MemoryBench: hits spread over 16 pages, and loads that miss the TLB every time; bare `satp` or
Sv39), or one floating-point operation (FpBench: `FpArith` with round-to-nearest and flags on
ordinary operands, `*Soft` on operands that force the exact integer path, `host*` the plain Java
operation for scale). The class comments in src/jmh/java/jvisor/bench say more.

This machine's 2 cores are shared with other work, so the figures are noisy: the wall-clock
score counts the time other processes held the core, and even CPU time grows when they crowd the
caches. The load average is recorded below; compare figures taken under similar load, prefer the
CPU column, and repeat with more forks (`-f 3`) before calling a change a regression.
TXT
  echo
  echo "$(host_line); load average at start: $load_start, at end: $load_end."
} > "$body"
write_section jmh "$body"
cat "$body"
