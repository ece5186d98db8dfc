#!/usr/bin/env bash
# Long soak of every mode's deterministic simulation under the same fault matrix: N seeds (default 10,000) from
# FIRST (default 1,000,001, past the seeds CI runs) of the direct mode, load balancing (the same seeds through the
# NAT stage to a pool) and full proxy, each seed its own fault pattern, windows, MSS and suite. A failing seed is
# printed with the property that replays it alone (-Ddirect.seed, -Dlb.seed, -Dproxy.seed).
#
#   scripts/soak.sh [SEEDS] [FIRST]
#   SOAK_MODES="direct lb" scripts/soak.sh   # a subset of: direct lb proxy (default all three)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SEEDS=${1:-10000}
FIRST=${2:-1000001}
MODES=${SOAK_MODES:-direct lb proxy}
[[ "$SEEDS" =~ ^[0-9]+$ && "$FIRST" =~ ^[0-9]+$ ]] || { echo "usage: scripts/soak.sh [SEEDS] [FIRST]" >&2; exit 2; }
tests=()
for mode in $MODES; do
    case "$mode" in
        direct) tests+=('DirectModeSimulationTest#shouldDeliverEveryByteOnceAndIdenticalForEverySeed') ;;
        lb) tests+=('LbModeSimulationTest#shouldDeliverEveryByteOnceAndIdenticalThroughTheVirtualAddressForEverySeed')
            ;;
        proxy) tests+=('ProxyModeSimulationTest#shouldDeliverEveryByteOnceAndIdenticalForEverySeed') ;;
        *) echo "soak: unknown mode '$mode' in SOAK_MODES (direct, lb, proxy)" >&2; exit 2 ;;
    esac
done
# shellcheck source=lib/install.sh
. "$ROOT/scripts/lib/install.sh"
ensure_pkgs mvn:maven
cd "$ROOT"
mvn -q -B -ntp -DskipTests install -pl modes -am
failed=0
for test in "${tests[@]}"; do
    start=$(date +%s)
    if mvn -B -ntp -q -pl modes test -Dtest="$test" -Dsurefire.failIfNoSpecifiedTests=false \
            -Ddirect.seeds="$SEEDS" -Ddirect.firstSeed="$FIRST" -Dlb.seeds="$SEEDS" -Dlb.firstSeed="$FIRST" \
            -Dproxy.seeds="$SEEDS" -Dproxy.firstSeed="$FIRST"; then
        echo "soak: ${test%%#*}: $SEEDS seeds from $FIRST passed in $(( $(date +%s) - start )) s"
    else
        echo "soak: ${test%%#*} FAILED (seeds $FIRST..$((FIRST + SEEDS - 1));" \
            "the failing seeds and how to replay them are above)"
        failed=1
    fi
done
exit "$failed"
