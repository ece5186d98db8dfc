#!/usr/bin/env bash
# Long soak of the direct mode's deterministic simulation: N seeds (default
# 10,000) from FIRST (default 1,000,001, past the seeds CI runs), each its own
# fault pattern, windows, MSS and suite. A failing seed is printed with the
# property that replays it alone.
#
#   scripts/soak.sh [SEEDS] [FIRST]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SEEDS=${1:-10000}
FIRST=${2:-1000001}
[[ "$SEEDS" =~ ^[0-9]+$ && "$FIRST" =~ ^[0-9]+$ ]] || { echo "usage: scripts/soak.sh [SEEDS] [FIRST]" >&2; exit 2; }
# shellcheck source=lib/install.sh
. "$ROOT/scripts/lib/install.sh"
ensure_pkgs mvn:maven
cd "$ROOT"
mvn -q -B -ntp -DskipTests install -pl modes -am
start=$(date +%s)
if mvn -B -ntp -q -pl modes test -Dtest='DirectModeSimulationTest#shouldDeliverEveryByteOnceAndIdenticalForEverySeed' \
        -Dsurefire.failIfNoSpecifiedTests=false -Ddirect.seeds="$SEEDS" -Ddirect.firstSeed="$FIRST"; then
    echo "soak: $SEEDS seeds from $FIRST passed in $(( $(date +%s) - start )) s"
else
    echo "soak: FAILED (seeds $FIRST..$((FIRST + SEEDS - 1)); the failing seeds and how to replay them are above)"
    exit 1
fi
