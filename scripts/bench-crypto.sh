#!/usr/bin/env bash
# Record crypto figures side by side, all pinned to the same core: our streaming decrypt/encrypt (JMH, with
# -prof gc) on the newest JDK and on JDK 17, the JDK's one-shot AEAD on the same sizes, and OpenSSL's speed test.
# Usage: scripts/bench-crypto.sh [extra JMH args]     (results also in benchmarks/target/crypto-*.txt)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
core=${BENCH_CORE:-1}
out="$root/benchmarks/target"
newest=$("$root/scripts/java-home.sh")
jdk17=${JDK17_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}
pattern='Record(Decrypt|Encrypt)Benchmark|JceOneShotBenchmark'

run_jmh() { # label java_home
    echo "== JMH on $1 ($2)"
    JAVA_HOME_BENCH=$2 taskset -c "$core" "$root/scripts/bench.sh" "$pattern" -prof gc \
        -rf text -rff "$out/crypto-$1.txt" "${@:3}" > "$out/crypto-$1.log" 2>&1 || { tail -30 "$out/crypto-$1.log"; exit 1; }
    grep -E '^(Benchmark|[A-Za-z]+Benchmark\.[a-zA-Z]+ )|gc.alloc.rate.norm' "$out/crypto-$1.txt"
}

mkdir -p "$out"
run_jmh "jdk$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$newest/release")" "$newest" "$@"
[[ -x "$jdk17/bin/java" && "$jdk17" != "$newest" ]] && run_jmh jdk17 "$jdk17" "$@"

echo "== openssl speed on core $core ($(openssl version))"
for evp in aes-128-gcm aes-256-gcm chacha20-poly1305; do
    taskset -c "$core" openssl speed -elapsed -seconds 2 -bytes 1024 -evp "$evp" 2>/dev/null | tail -1
    taskset -c "$core" openssl speed -elapsed -seconds 2 -bytes 16384 -evp "$evp" 2>/dev/null | tail -1
done
