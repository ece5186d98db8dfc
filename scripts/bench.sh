#!/usr/bin/env bash
# Runs the JMH benchmarks on the newest installed JDK (or JAVA_HOME_BENCH) with the project's JVM flags.
# Usage: scripts/bench.sh [JMH args...]   e.g. scripts/bench.sh BridgeForwarding -prof gc
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
(cd "$root" && mvn -q -B -DskipTests package -pl benchmarks -am)
java_home=${JAVA_HOME_BENCH:-$("$root/scripts/java-home.sh")}
# shellcheck source=scripts/lib/jvm.sh
source "$root/scripts/lib/jvm.sh"
jvm_flags "$root" "$java_home"
exec "$java_home/bin/java" "${JVM_FLAGS[@]}" -jar "$root/benchmarks/target/benchmarks.jar" \
    -jvmArgsAppend "${JVM_FLAGS[*]}" "$@"
