# Sourced by ./jvisor and ./run-tests: exports JAVA_HOME pointing at a JDK 25 or newer.
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
