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
# The thresholds: every method reaches C1 after a tenth of HotSpot's usual counts, and the
# compiled guest regions' run methods have all their thresholds scaled by five
# (CompileThresholdScaling), so a region reaches C1 at half the usual counts and C2 at five
# times them. At HotSpot's own counts a boot made C2 compile ~170 regions at ~37 ms each, most
# of which soon ran no more; scaled by ten, a boot's process CPU fell from 15.1 to 14.3 s. After
# the changes since, five against ten: cbench faster in 11 of 14 alternating pairs (median 2%),
# boots to the prompt in 15 of 19, the daemon's second VM 2% sooner at its shell, for about 1 s
# more CPU per boot (docs/PERFORMANCE.md, issue 17, session 18). The scaling also sets how often
# HotSpot's interpreter asks to compile a region (every 512 calls at five), which the JIT's empty
# warm-up calls of each new region cover (RegionCompiler.WARM_UP_CALLS): change both together.
# tools/hotspot-directives.json keeps C2 from the JIT's own code (jvisor.jit and the JDK's
# ClassFile API, which generate the regions' classes): C1's code for it is fast enough for the one
# thread that runs it (2% of a boot's CPU), and C2 spent 1.2-1.5 s of a boot compiling it, on a
# core the guest's hart shares. Five alternating boots: process CPU 19.7 -> 18.3 s (medians),
# boot to the prompt 10.8 -> 10.4 s, and lower in each pair (docs/PERFORMANCE.md, session 16).
# HotSpot announces the file's directives on stdout, where they would mix with jvisor's own
# output (a script reading 'jvisor vm list'), so the VM's informational output is off
# (-DisplayVMOutput: its warnings and fatal errors still reach stderr; add -XX:+DisplayVMOutput
# to JVISOR_JAVA_OPTS to see -XX:+PrintCompilation and the like).
JVISOR_BASE_JVM_OPTS=(--enable-native-access=ALL-UNNAMED -XX:-UseFPUForSpilling -XX:-ClipInlining
  -XX:CompileCommand=quiet '-XX:CompileCommand=CompileThresholdScaling,jvisor.cpu.CompiledRegion*::run,5.0'
  -XX:Tier3InvocationThreshold=20 -XX:Tier3MinInvocationThreshold=10 -XX:Tier3CompileThreshold=200
  -XX:Tier3BackEdgeThreshold=6000)
JVISOR_DIRECTIVES="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/hotspot-directives.json"
if [ -f "$JVISOR_DIRECTIVES" ]; then
  JVISOR_BASE_JVM_OPTS+=(-XX:+UnlockDiagnosticVMOptions -XX:-DisplayVMOutput "-XX:CompilerDirectivesFile=$JVISOR_DIRECTIVES")
fi

# jvm_opts COMMAND: sets JVISOR_JVM_OPTS for running jvisor's COMMAND (its first argument). The
# garbage collector is the one difference. A foreground VM (run, restore, ...) takes
# ParallelGC, which costs the guest's code least. The host daemon (serve) takes ZGC: every pause
# of the collector stops every guest of the daemon, and their clocks see it. On G1, which it ran
# before, the daemon paused 5-60 ms every few seconds on a 2-core host (its periodic
# collections, mixed collections after a VM arrived, remarks unloading the JIT's classes), the
# longest gaps a guest saw around a live migration; ZGC's pauses stay under a millisecond and it
# collects while the guests run. A collection at least every 30 s and memory unused for 10 s
# handed back give the heap back to the host once the guests are idle (ParallelGC kept all the
# heap a hundred booting guests made it grow to, about 40 MiB per idle VM above the guest's own
# memory; docs/PERFORMANCE.md, "Density"). ZGC commits its initial heap at start (0.2 s for
# the default 1/64 of the host's memory), hence a small one; the heap grows as the guests need.
jvm_opts() {
  JVISOR_JVM_OPTS=("${JVISOR_BASE_JVM_OPTS[@]}")
  case "${1:-}" in
    serve) JVISOR_JVM_OPTS+=(-XX:+UseZGC -Xms16m -XX:ZCollectionInterval=30 -XX:ZUncommitDelay=10) ;;
    *) JVISOR_JVM_OPTS+=(-XX:+UseParallelGC) ;;
  esac
}
jvm_opts

# aot_cache JAR [COMMAND]: sets JVISOR_AOT to the option for the JVM's AOT cache (JDK 25) of JAR
# for jvisor's COMMAND: the classes a start of jvisor loads and links, recorded once per build of
# JAR (or of this file) from a short run (jvisor.cli.AotTraining) and mapped at every start after;
# a cold 'jvisor restore' or 'jvisor vm list' spent most of its time loading and linking
# otherwise. Three caches: JAR's name with -serve.aot for the daemon and -vm.aot for its clients
# (both from a training that also drives two daemons with the vm verbs), with .aot for the rest.
# A JVM loads every class of its cache at start, so one cache for all made 'jvisor restore
# --help' 0.05 s slower for the sake of classes it never uses; and a JVM maps a cache only under
# the garbage collector it was recorded with (its pointer settings: the daemon's ZGC cannot map
# a ParallelGC cache), while the clients start 0.2 s sooner on ParallelGC than on ZGC. So each is
# recorded with the JVM options of jvm_opts COMMAND (call that first). Method profiles stay out
# (-AOTRecordTraining): a training run's profile would steer HotSpot's compiles of the guest's
# instruction loop. A JVM that cannot use its cache runs without it; a failed recording (its
# log in the cache's name with .failed) is not tried again until JAR or this file changes.
JVISOR_JDK_SH="${BASH_SOURCE[0]}"
aot_cache() {
  local jar="$1" kind="" training="" aot
  case "${2:-}" in serve|vm) kind="$2" training=host ;; esac
  aot="${jar%.jar}${kind:+-$kind}.aot"
  if aot_outdated "$jar" "$aot" && aot_outdated "$jar" "$aot.failed"; then
    rm -f "$aot" "$aot.failed"
    echo "jvisor: preparing the JVM's start-up cache (once per build)..." >&2
    if "$JAVA_HOME/bin/java" "${JVISOR_JVM_OPTS[@]}" -XX:+UnlockDiagnosticVMOptions -XX:-AOTRecordTraining \
        -XX:AOTCacheOutput="$aot.$$" -cp "$jar" jvisor.cli.AotTraining $training >"$aot.$$.log" 2>&1 && [ -f "$aot.$$" ]; then
      mv -f "$aot.$$" "$aot"
    else
      mv -f "$aot.$$.log" "$aot.failed"
    fi
    rm -f "$aot.$$" "$aot.$$.log" "$aot.$$.config"
  fi
  JVISOR_AOT=()
  if [ -f "$aot" ]; then JVISOR_AOT=(-XX:AOTCache="$aot"); fi
}
aot_outdated() { [ "$1" -nt "$2" ] || [ "$JVISOR_JDK_SH" -nt "$2" ]; }
