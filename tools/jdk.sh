# Sourced by ./jvisor, ./run-tests and bench/: exports JAVA_HOME pointing at a JDK 25 or newer;
# defines jvm_opts (JVISOR_JVM_OPTS) and aot_cache, how jvisor's jar is run.
# The feature version of the JDK whose java is $1: from its release file when it has one (every
# JDK build does; reading it costs nothing, where asking java itself starts a JVM).
java_major() {
  local release v
  release="$(dirname "$(dirname "$1")")/release"
  if [ -f "$release" ]; then
    v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")"
    if [ -n "$v" ]; then echo "$v"; return; fi
  fi
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'
}

find_jdk() {
  local c v
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-* /usr/lib/jvm/*25* /usr/lib/jvm/* \
           /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    v="$(java_major "$c/bin/java")"
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then echo "$c"; return 0; fi
  done
  if command -v javac >/dev/null; then
    c="$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")"
    v="$(java_major "$c/bin/java")"
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then echo "$c"; return 0; fi
  fi
  return 1
}

if ! JAVA_HOME="$(find_jdk)"; then
  echo "jvisor: needs JDK 25 or newer; install one (e.g. Temurin 25) and set JAVA_HOME to it" >&2
  exit 2
fi
export JAVA_HOME

# The JVM options jvisor runs with (./jvisor, and the benchmarks that start the jar themselves).
# -XX:-UseFPUForSpilling: C2 then spills to the stack, not to XMM registers. The interpreter's
# dispatch loop has more live values than x86 has registers; with XMM spills it ran at 190 or
# 310 MIPS depending on the run, with stack spills at about 300 in every run. It costs compiled
# regions about 5% (docs/PERFORMANCE.md, "The interpreter's loop").
# -XX:-ClipInlining: C2 otherwise inlines nothing into a method that has reached 8000 bytecodes
# with what it inlined so far, and a large compiled region is close to that on its own: its FPU
# and MMU calls stayed calls (cbench's fp part 2.3 -> 1.9 s, boots no slower).
# The thresholds: compiled guest regions reach C2 after ten times HotSpot's usual counts
# (CompileThresholdScaling for their run methods), and every method reaches C1 after a tenth of
# its usual counts, so regions leave HotSpot's bytecode interpreter as soon as before. A boot
# made C2 compile ~170 regions at ~37 ms each, most of which soon ran no more; now fewer reach
# it: a boot's process CPU 15.1 -> 14.3 s, cbench no slower (docs/PERFORMANCE.md, issue 17).
JVISOR_BASE_JVM_OPTS=(--enable-native-access=ALL-UNNAMED -XX:-UseFPUForSpilling -XX:-ClipInlining
  -XX:CompileCommand=quiet '-XX:CompileCommand=CompileThresholdScaling,jvisor.cpu.CompiledRegion*::run,10.0'
  -XX:Tier3InvocationThreshold=20 -XX:Tier3MinInvocationThreshold=10 -XX:Tier3CompileThreshold=200
  -XX:Tier3BackEdgeThreshold=6000)

# jvm_opts COMMAND: sets JVISOR_JVM_OPTS for running jvisor's COMMAND (its first argument). The
# garbage collector is the one difference. A foreground VM (run, restore, ...) takes
# ParallelGC, which costs the guest's code least. The host daemon (serve) takes G1 with a
# periodic collection every 5 s while idle and a heap shrunk to within 10-20% of its live data:
# ParallelGC kept all the heap a hundred booting guests made it grow to (about 40 MiB per idle
# VM above the guest's own memory); G1 gives it back to the host once the guests are idle. Its
# GCTimeRatio is ParallelGC's (99, G1's own is 12): G1 then grows the heap as readily while
# guests boot (a boot in the daemon, medians of three: 11.5 s, against 12.9 s with G1's own
# ratio and 11.6 s on ParallelGC; docs/PERFORMANCE.md, "Density").
jvm_opts() {
  JVISOR_JVM_OPTS=("${JVISOR_BASE_JVM_OPTS[@]}")
  if [ "${1:-}" = serve ]; then
    JVISOR_JVM_OPTS+=(-XX:+UseG1GC -XX:G1PeriodicGCInterval=5000 -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20
      -XX:GCTimeRatio=99)
  else
    JVISOR_JVM_OPTS+=(-XX:+UseParallelGC)
  fi
}
jvm_opts

# aot_cache JAR [COMMAND]: sets JVISOR_AOT to the option for the JVM's AOT cache (JDK 25) of JAR
# for jvisor's COMMAND: the classes a start of jvisor loads and links, recorded once per build of
# JAR from a short run (jvisor.cli.AotTraining) and mapped at every start after; a cold 'jvisor
# restore' or 'jvisor vm list' spent most of its time loading and linking otherwise. Two caches:
# JAR's name with -host.aot for the daemon and its clients ('serve', 'vm': the training also
# drives two daemons with the vm verbs), with .aot for the rest. A JVM loads every class of its
# cache at start, so one cache for both made 'jvisor restore --help' 0.05 s slower for the
# sake of classes it never uses. Method profiles stay out (-AOTRecordTraining): a training run's
# profile would steer HotSpot's compiles of the guest's instruction loop. Recorded under
# ParallelGC, a cache serves G1 (the daemon) too; a JVM that cannot use it runs without it; a
# failed recording (its log in the cache's name with .failed) is not tried again until JAR changes.
aot_cache() {
  local jar="$1" kind="" aot
  case "${2:-}" in serve|vm) kind=host ;; esac
  aot="${jar%.jar}${kind:+-$kind}.aot"
  if [ "$jar" -nt "$aot" ] && [ "$jar" -nt "$aot.failed" ]; then
    rm -f "$aot" "$aot.failed"
    echo "jvisor: preparing the JVM's start-up cache (once per build)..." >&2
    if "$JAVA_HOME/bin/java" "${JVISOR_JVM_OPTS[@]}" -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining \
        -XX:AOTCacheOutput="$aot.$$" -cp "$jar" jvisor.cli.AotTraining $kind >"$aot.$$.log" 2>&1 && [ -f "$aot.$$" ]; then
      mv -f "$aot.$$" "$aot"
    else
      mv -f "$aot.$$.log" "$aot.failed"
    fi
    rm -f "$aot.$$" "$aot.$$.log" "$aot.$$.config"
  fi
  JVISOR_AOT=()
  if [ -f "$aot" ]; then JVISOR_AOT=(-XX:AOTCache="$aot"); fi
}
