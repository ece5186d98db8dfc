#!/usr/bin/env bash
# scripts/bench-replay.sh - the engine's processing time per frame, from an offline replay in direct mode
# (DESIGN §9 level 5: it reports figures, it asserts nothing).
#
# Replays the lab capture of test-pcaps/ (a TLS 1.3 download and a TLS 1.2 upload, both legs captured at the
# appliance, with the run's key log) ROUNDS times through `appliance replay --repeat` on the newest installed JDK
# (scripts/appliance picks it), each round as new flows, and prints the engine's time per frame: count, p50, p90,
# p99, p99.9 and max (System.nanoTime around each doWork() that did work; the pcap reading and writing are not
# counted). The first rounds include the JIT's warm-up: use enough of them.
#
# Usage: scripts/bench-replay.sh [ROUNDS]          (default 500; about 100 frames in per round)
# Env:   REPLAY_CONFIG, REPLAY_OUTSIDE, REPLAY_INSIDE, REPLAY_KEYLOG
#            another capture, e.g. one with a transfer of a few MB made by scripts/capture-replay.sh
#        APPLIANCE_JAVA_HOME  the JDK to run on (default: the newest, see scripts/java-home.sh)
#
# Figures from a shared or busy machine are not worth keeping: the load average is printed with them.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${1:-500}
CONFIG=${REPLAY_CONFIG:-$ROOT/test-pcaps/https-direct.yaml}
OUTSIDE=${REPLAY_OUTSIDE:-$ROOT/test-pcaps/https-direct-outside.pcap}
INSIDE=${REPLAY_INSIDE:-$ROOT/test-pcaps/https-direct-inside.pcap}
KEYLOG=${REPLAY_KEYLOG:-$ROOT/test-pcaps/https-direct.keylog}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-replay.sh: ROUNDS must be a positive number" >&2; exit 2; }
OUT=$(mktemp -d /tmp/bench-replay.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

echo "[bench-replay] $ROUNDS rounds of $(basename "$OUTSIDE") + $(basename "$INSIDE"), key log $(basename "$KEYLOG")"
echo "[bench-replay] load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
t0=$(date +%s.%N)
"$ROOT/scripts/appliance" replay -c "$CONFIG" --in "$OUTSIDE" --inside "$INSIDE" --keylog "$KEYLOG" \
    --out "$OUT/out.pcap" --repeat "$ROUNDS" | tee "$OUT/replay.txt"
el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
echo "[bench-replay] wall time ${el} s (JVM start and capture I/O included), load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -q '^engine time per frame' "$OUT/replay.txt" || { echo "[bench-replay] no latency figures" >&2; exit 1; }
