#!/usr/bin/env bash
# scripts/bench-io.sh - packet I/O throughput and CPU cost of the bridge variants, measured in the lab.
#
# For each variant - the Linux bridge (baseline), the appliance daemon with the pcap4j driver, with the
# AF_PACKET ring driver, and with the ring and dedicated threading - it builds the three-namespace lab with
# `scripts/lab.sh --keep` (which also runs its end-to-end checks), starts iperf3 in the server namespace,
# runs a warm-up iperf3 (so the daemon's JIT warm-up stays out of the figures), then iperf3 with 1 and with
# 4 parallel streams from the client namespace to the server (and back with --reverse), several times, and
# tears the lab down. Per run it reports Gbit/s, frames/s through the bridge (rx_packets of out0 + in0),
# the daemon's CPU-seconds per GB (utime+stime of the java process) and the whole machine's CPU-seconds per
# GB (non-idle time in /proc/stat), TCP retransmits, frames lost inside the bridge (rx - tx of out0 + in0) and
# other drops (veth and softnet backlog); at the end, medians with min-max and ring vs pcap ratios. See --help.
#
# The daemon runs from a private copy of the build taken at the start, so a rebuild in the source tree
# during the run cannot mix two builds in one comparison. Before each run it waits (a bounded time) for other
# work on the machine to settle, and it reports the CPU that processes outside the lab used during each run.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
LAB="$SCRIPT_DIR/lab.sh"

PREFIX=${LAB_PREFIX:-itlsb}   # not lab.sh's default (itls): a benchmark can run beside a demo lab
NS_C="$PREFIX-client"
NS_A="$PREFIX-appl"
NS_S="$PREFIX-server"
SRV_IP=198.18.0.2             # lab.sh's addresses
IPERF_PORT=5201
MAIN_CLASS_FALLBACK=org.inlinetls.appliance.cli.ApplianceMain

ALL_VARIANTS="kernel,pcap,ring,ring-dedicated,xdp,xdp-all"
VARIANTS="kernel,pcap,ring,ring-dedicated"   # + xdp,xdp-all when XDP works here (checked below)
VARIANTS_GIVEN=0
REPS=3
RUN_S=10
WARMUP_S=5
STREAMS="1 4"
REVERSE=0
BUILD=1
QUIET_CORES=0.25   # other processes' load under which a run may start
QUIET_WAIT=30      # seconds a run waits at most for that
CMDLINE="scripts/bench-io.sh${*:+ $*}"

usage() {
    cat <<EOF
Usage: sudo scripts/bench-io.sh [options]

Measures the lab's bridge variants with iperf3 (client namespace -> server
namespace through the bridge) and prints per-run figures, then a table of
medians [min-max] and the ring vs pcap ratios.

Variants: kernel          Linux bridge br0 (baseline)
          pcap            appliance daemon, io.driver pcap (pcap4j), shared threading
          ring            appliance daemon, io.driver ring (AF_PACKET), shared threading
          ring-dedicated  appliance daemon, io.driver ring, dedicated threading
          xdp             appliance daemon, io.driver xdp, redirect intercepted: the XDP program is attached
                          and the daemon runs, but iperf3's flow is no service's, so it rides the kernel
                          bridge br0 of out0/in0: the cost of XDP on non-intercepted traffic (compare: kernel)
          xdp-all         appliance daemon, io.driver xdp, redirect all: every frame through AF_XDP and the
                          daemon (no bridge): the AF_XDP I/O cost per GB (compare: ring)
          (xdp and xdp-all are in the default set when the daemon's XDP probe passes here)

Options:
  --reps N            repetitions of each measured run (default $REPS)
  --seconds S         length of each measured run in seconds (default $RUN_S)
  --warmup S          warm-up iperf3 per variant, not measured (default $WARMUP_S)
  --streams "A B"     parallel-stream counts to measure (default "$STREAMS")
  --reverse           also measure server -> client (iperf3 -R)
  --variants LIST     comma-separated subset of: $ALL_VARIANTS
                      (default: all; xdp and xdp-all only where XDP is available)
  --quick             smoke run: 1 repetition of 5 s, 3 s warm-up
  --no-build          use the existing build (default: mvn -o -q -B -DskipTests -pl appliance -am package)
  --quiet-cores C     before each run, wait until processes outside the lab use less than C cores
                      (default $QUIET_CORES): builds and tests running beside the benchmark skew it
  --quiet-wait S      ... but at most S seconds per run, then measure anyway (default $QUIET_WAIT; 0: no wait)
  -h, --help          this help

Environment:
  LAB_PREFIX          namespace prefix (default itlsb): PREFIX-client, PREFIX-appl, PREFIX-server
  APPLIANCE_JAVA_HOME the JDK the daemon runs on (default: the newest, as scripts/appliance picks)
  APPLIANCE_JAVA_OPTS extra JVM options for the daemon

Per-run results, logs and summary.md are kept in /tmp/PREFIX-bench-io.XXXXXX.
Needs root. Installs iperf3 and jq when missing (lab.sh installs what it needs).
EOF
}

die() { echo "bench-io.sh: error: $*" >&2; exit 2; }
log() { echo "[bench-io] $*"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --reps) [ $# -ge 2 ] || die "--reps needs a number"; REPS=$2; shift 2 ;;
        --reps=*) REPS=${1#*=}; shift ;;
        --seconds) [ $# -ge 2 ] || die "--seconds needs a number"; RUN_S=$2; shift 2 ;;
        --seconds=*) RUN_S=${1#*=}; shift ;;
        --warmup) [ $# -ge 2 ] || die "--warmup needs a number"; WARMUP_S=$2; shift 2 ;;
        --warmup=*) WARMUP_S=${1#*=}; shift ;;
        --streams) [ $# -ge 2 ] || die "--streams needs a list"; STREAMS=$2; shift 2 ;;
        --streams=*) STREAMS=${1#*=}; shift ;;
        --reverse) REVERSE=1; shift ;;
        --variants) [ $# -ge 2 ] || die "--variants needs a list"; VARIANTS=$2; VARIANTS_GIVEN=1; shift 2 ;;
        --variants=*) VARIANTS=${1#*=}; VARIANTS_GIVEN=1; shift ;;
        --quick) REPS=1; RUN_S=5; WARMUP_S=3; shift ;;
        --no-build) BUILD=0; shift ;;
        --quiet-cores) [ $# -ge 2 ] || die "--quiet-cores needs a number"; QUIET_CORES=$2; shift 2 ;;
        --quiet-cores=*) QUIET_CORES=${1#*=}; shift ;;
        --quiet-wait) [ $# -ge 2 ] || die "--quiet-wait needs a number"; QUIET_WAIT=$2; shift 2 ;;
        --quiet-wait=*) QUIET_WAIT=${1#*=}; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done

[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer, not '$REPS'"
[[ "$RUN_S" =~ ^[1-9][0-9]*$ ]] || die "--seconds must be a positive integer, not '$RUN_S'"
[[ "$WARMUP_S" =~ ^[0-9]+$ ]] || die "--warmup must be a non-negative integer, not '$WARMUP_S'"
[[ "$QUIET_CORES" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--quiet-cores must be a number, not '$QUIET_CORES'"
[[ "$QUIET_WAIT" =~ ^[0-9]+$ ]] || die "--quiet-wait must be a non-negative integer, not '$QUIET_WAIT'"
for n in $STREAMS; do [[ "$n" =~ ^[1-9][0-9]?$ ]] || die "--streams: '$n' is not a stream count (1-99)"; done
[ -n "${STREAMS// /}" ] || die "--streams is empty"
IFS=, read -r -a VARIANT_LIST <<<"$VARIANTS"
[ ${#VARIANT_LIST[@]} -gt 0 ] || die "--variants is empty"
NEEDS_DAEMON=0
for v in "${VARIANT_LIST[@]}"; do
    case "$v" in
        kernel) ;;
        pcap|ring|ring-dedicated|xdp|xdp-all) NEEDS_DAEMON=1 ;;
        *) die "--variants: unknown variant '$v' (known: $ALL_VARIANTS)" ;;
    esac
done
[[ "$PREFIX" =~ ^[A-Za-z0-9_.-]{1,20}$ ]] || die "LAB_PREFIX must be 1-20 characters of [A-Za-z0-9_.-]"
[ "$(id -u)" = 0 ] || die "must run as root (the lab creates network namespaces): sudo $0 $*"
DIRS="fwd"
[ "$REVERSE" = 1 ] && DIRS="fwd rev"

lab_args() {  # the lab.sh options of a variant
    case "$1" in
        kernel) echo "--bridge kernel" ;;
        pcap) echo "--bridge appliance --driver pcap --threading shared" ;;
        ring) echo "--bridge appliance --driver ring --threading shared" ;;
        ring-dedicated) echo "--bridge appliance --driver ring --threading dedicated" ;;
        xdp|xdp-all) echo "--bridge appliance --driver xdp --threading shared" ;;
    esac
}
lab_env() {  # the lab.sh environment of a variant
    case "$1" in
        xdp-all) echo "LAB_XDP_REDIRECT=all" ;;
        *) echo "LAB_XDP_REDIRECT=intercepted" ;;
    esac
}

# ---------------------------------------------------------------- tools ----
# shellcheck source=scripts/lib/install.sh
source "$SCRIPT_DIR/lib/install.sh"
ensure_packages iperf3:iperf3 jq:jq iproute2:ss || die "could not install iperf3/jq"
# iperf3's Debian package may enable a system-wide iperf3 service: it listens in the host namespace only,
# so it cannot disturb the lab, and we leave it as it is.

# One benchmark per prefix at a time (lab.sh additionally locks each lab it builds).
LOCKFILE="/tmp/$PREFIX-bench-io.lock"
[ -d /run/lock ] && LOCKFILE="/run/lock/$PREFIX-bench-io.lock"
exec 8>"$LOCKFILE"
flock -n 8 || die "another bench-io.sh run with prefix '$PREFIX' is in progress"

OUT=$(mktemp -d "/tmp/$PREFIX-bench-io.XXXXXX")
chmod 755 "$OUT"
RESULTS="$OUT/runs.tsv"
LAB_UP=0
IPERF_PID=""
DONE=0

# shellcheck disable=SC2317  # invoked from the EXIT trap
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    if [ -n "$IPERF_PID" ]; then kill -TERM "$IPERF_PID" 2>/dev/null; wait "$IPERF_PID" 2>/dev/null; fi
    if [ "$LAB_UP" = 1 ]; then
        LAB_PREFIX=$PREFIX "$LAB" --down >/dev/null 2>&1 8>&- || echo "[bench-io] lab.sh --down failed; run: LAB_PREFIX=$PREFIX $LAB --down" >&2
    fi
    # the private copy of the build is bulky; results and logs stay
    case "$OUT" in "/tmp/$PREFIX-bench-io."??????) rm -rf "${OUT:?}/appliance" ;; esac
    [ "$DONE" = 1 ] || echo "[bench-io] stopped early (status $rc); partial results and logs in $OUT" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "[bench-io] interrupted, tearing down" >&2; exit 130' INT TERM

# ------------------------------------------------------ build, snapshot ----
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | head -1)" ] || REV="$REV, dirty tree"
JDK_DESC="-"
LAUNCHER=""
if [ "$NEEDS_DAEMON" = 1 ]; then
    if [ "$BUILD" = 1 ]; then
        log "building: mvn -o -q -B -DskipTests -pl appliance -am package (log: $OUT/build.log)"
        if ! (cd "$ROOT" && mvn -o -q -B -DskipTests -pl appliance -am package) >"$OUT/build.log" 2>&1; then
            log "offline build failed; retrying online"
            (cd "$ROOT" && mvn -q -B -DskipTests -pl appliance -am package) >>"$OUT/build.log" 2>&1 ||
                { tail -n 30 "$OUT/build.log" >&2; die "build failed (log: $OUT/build.log)"; }
        fi
    fi
    [ -f "$ROOT/appliance/target/appliance.jar" ] || die "no appliance/target/appliance.jar (run without --no-build)"
    mkdir -p "$OUT/appliance/lib"
    cp "$ROOT/appliance/target/appliance.jar" "$OUT/appliance/"
    cp "$ROOT"/appliance/target/lib/*.jar "$OUT/appliance/lib/"
    JAVA_HOME_D=${APPLIANCE_JAVA_HOME:-$("$ROOT/scripts/java-home.sh")}
    [ -x "$JAVA_HOME_D/bin/java" ] || die "no java in $JAVA_HOME_D"
    # shellcheck source=scripts/lib/jvm.sh
    source "$SCRIPT_DIR/lib/jvm.sh"
    jvm_flags "$ROOT" "$JAVA_HOME_D"
    main_class=$(sed -n 's/.*\(org\.inlinetls\.[A-Za-z0-9_.]*Main\).*/\1/p' "$ROOT/scripts/appliance" | head -1)
    LAUNCHER="$OUT/appliance/launch"
    {
        echo '#!/usr/bin/env bash'
        echo "# the daemon from the copy of the build taken by bench-io.sh (same JDK and flags as scripts/appliance)"
        printf 'exec %q' "$JAVA_HOME_D/bin/java"
        printf ' %q' "${JVM_FLAGS[@]}"
        # shellcheck disable=SC2016  # expanded when the launcher runs
        printf ' ${APPLIANCE_JAVA_OPTS:-} -cp %q %q "$@"\n' "$OUT/appliance/appliance.jar:$OUT/appliance/lib/*" \
            "${main_class:-$MAIN_CLASS_FALLBACK}"
    } >"$LAUNCHER"
    chmod 755 "$LAUNCHER"
    jv=$("$JAVA_HOME_D/bin/java" -version 2>&1 | sed -n '2p')
    JDK_DESC="$JAVA_HOME_D ($jv)"
fi

# xdp and xdp-all join the default set where the daemon's XDP path can work: the build bundles the program
# (clang was there) and libbpf1 is installed; a daemon that still falls back to the ring is caught per variant
if [ "$VARIANTS_GIVEN" = 0 ] && [ -n "$LAUNCHER" ]; then
    # shellcheck source=scripts/lib/xdp.sh
    source "$SCRIPT_DIR/lib/xdp.sh"
    xdp_why=$(xdp_unavailable "$ROOT")
    if [ -z "$xdp_why" ]; then
        VARIANT_LIST+=(xdp xdp-all)
    else
        log "variants xdp and xdp-all skipped: $xdp_why"
    fi
fi

CLK_TCK=$(getconf CLK_TCK)
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
log "$CMDLINE"
log "build: $ROOT ($REV); daemon JDK: $JDK_DESC"
log "machine: $(nproc) cores ($CPU_MODEL), kernel $(uname -r); results in $OUT"

# ------------------------------------------------------------- sampling ----
daemon_pid() {  # the java process in the appliance namespace (empty for the kernel bridge)
    local p
    for p in $(ip netns pids "$NS_A" 2>/dev/null); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = java ] && { echo "$p"; return 0; }
    done
    return 0
}
machine_busy_ticks() {  # non-idle time of all CPUs: user nice system irq softirq steal (guest is in user)
    awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9; exit }' /proc/stat
}
LAB_NETNS=""   # the lab's network namespaces as "net:[inode]" (set when a lab is up)
# shellcheck source=lib/bench.sh
. "$ROOT/scripts/lib/bench.sh"   # other-load guard, process CPU ticks
# Other work on the machine: the CPU ticks of each user process outside the lab's namespaces, keyed by pid and
# start time. Two snapshots give the CPU those processes used in between (a process that exits in between is
# missed, so this is a lower bound); kernel threads are left out, as they do the lab's forwarding too.
bridge_frames() {  # frames that entered the bridge, both directions
    ip netns exec "$NS_A" cat /sys/class/net/out0/statistics/rx_packets /sys/class/net/in0/statistics/rx_packets |
        awk '{ s += $1 } END { print s }'
}
bridge_out_frames() {  # frames the bridge sent on, both directions; rx - tx = frames lost inside the bridge
    ip netns exec "$NS_A" cat /sys/class/net/out0/statistics/tx_packets /sys/class/net/in0/statistics/tx_packets |
        awk '{ s += $1 } END { print s }'
}
other_drops() {  # rx_dropped + tx_dropped of all four lab veths, plus the machine's backlog drops (softnet_stat)
    {
        ip netns exec "$NS_A" cat /sys/class/net/{out0,in0}/statistics/{rx,tx}_dropped
        ip netns exec "$NS_C" cat /sys/class/net/cli0/statistics/{rx,tx}_dropped
        ip netns exec "$NS_S" cat /sys/class/net/srv0/statistics/{rx,tx}_dropped
        while read -r _ dropped _; do echo $((16#$dropped)); done </proc/net/softnet_stat
    } | awk '{ s += $1 } END { print s }'
}

# ------------------------------------------------------------- one lab ----
start_iperf_server() {
    ip netns exec "$NS_S" iperf3 -s -B "$SRV_IP" -p "$IPERF_PORT" >"$OUT/iperf3-server-$1.log" 2>&1 </dev/null 8>&- &
    IPERF_PID=$!
    for _ in $(seq 1 50); do
        [ -n "$(ip netns exec "$NS_S" ss -Hltn "sport = :$IPERF_PORT" 2>/dev/null)" ] && return 0
        kill -0 "$IPERF_PID" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}

iperf_client() {  # iperf_client SECONDS STREAMS DIR JSON_FILE
    local rflag=()
    [ "$3" = rev ] && rflag=(-R)
    timeout $(($1 + 30)) ip netns exec "$NS_C" iperf3 -c "$SRV_IP" -p "$IPERF_PORT" -t "$1" -P "$2" "${rflag[@]}" -J \
        >"$4" 2>&1 </dev/null 8>&-
}

WAITED_S=0
NOT_QUIET=0

FAILED_RUNS=0
declare -A VARIANT_NOTE=()

measure() {  # measure VARIANT STREAMS DIR REP DAEMON_PID
    local v=$1 n=$2 dir=$3 rep=$4 pid=$5 json
    json="$OUT/iperf3-$v-P$n-$dir-$rep.json"
    local f0 o0 c0 m0 x0 t0 f1 o1 c1 m1 x1 t1 dg rc=0
    f0=$(bridge_frames); o0=$(bridge_out_frames); x0=$(other_drops); c0=0; [ -n "$pid" ] && c0=$(pid_ticks "$pid")
    other_snapshot "$OUT/.other0"; m0=$(machine_busy_ticks); t0=$(date +%s.%N)
    iperf_client "$RUN_S" "$n" "$dir" "$json" || rc=$?
    t1=$(date +%s.%N); m1=$(machine_busy_ticks); other_snapshot "$OUT/.other1"
    dg=$(other_ticks_between "$OUT/.other0" "$OUT/.other1")
    c1=0; [ -n "$pid" ] && c1=$(pid_ticks "$pid")
    f1=$(bridge_frames); o1=$(bridge_out_frames); x1=$(other_drops)
    local bytes bps retr
    bytes=$(jq -r '.end.sum_received.bytes // empty' "$json" 2>/dev/null || true)
    bps=$(jq -r '.end.sum_received.bits_per_second // empty' "$json" 2>/dev/null || true)
    retr=$(jq -r '.end.sum_sent.retransmits // "-"' "$json" 2>/dev/null || echo -)
    if [ "$rc" != 0 ] || [ -z "$bytes" ] || [ "$bytes" = 0 ]; then
        FAILED_RUNS=$((FAILED_RUNS + 1))
        printf '  %-15s P%-2s %s #%s  FAILED: %s\n' "$v" "$n" "$dir" "$rep" \
            "$( (jq -r '.error // empty' "$json" 2>/dev/null; tail -n 2 "$json") | head -1)"
        return 0
    fi
    # row: variant streams dir rep gbps frames/s daemonCPUs/GB machineCPUs/GB frames/daemonCPUs retrans
    #      other-drops bytes elapsed daemonCPUs lost-in-bridge other-processes-cores
    awk -v v="$v" -v n="$n" -v d="$dir" -v r="$rep" -v bps="$bps" -v bytes="$bytes" -v t0="$t0" -v t1="$t1" \
        -v df=$((f1 - f0)) -v dc=$((c1 - c0)) -v dm=$((m1 - m0)) -v k="$CLK_TCK" -v pid="$pid" -v retr="$retr" \
        -v drops=$((x1 - x0)) -v lost=$(((f1 - f0) - (o1 - o0))) -v dg="$dg" 'BEGIN {
            el = t1 - t0; gb = bytes / 1e9; dcs = dc / k
            dgb = pid == "" ? "-" : sprintf("%.3f", dcs / gb)
            fpc = (pid == "" || dcs == 0) ? "-" : sprintf("%.0f", df / dcs)
            printf "%s\t%s\t%s\t%s\t%.3f\t%.0f\t%s\t%.3f\t%s\t%s\t%d\t%d\t%.2f\t%s\t%d\t%.2f\n", v, n, d, r,
                bps / 1e9, df / el, dgb, dm / k / gb, fpc, retr, drops, bytes, el, pid == "" ? "-" : sprintf("%.2f", dcs),
                lost, dg / k / el
        }' >>"$RESULTS"
    tail -n 1 "$RESULTS" | awk -F'\t' '{
        printf "  %-15s P%-2s %s #%s  %6.2f Gbit/s  %7.1f kframes/s  daemon %7s CPU-s/GB  machine %6.2f CPU-s/GB  other %.2f cores  retrans %s  lost %s  drops %s\n",
            $1, $2, $3, $4, $5, $6 / 1000, $7, $8, $16, $10, $15, $11 }'
}

run_variant() {
    local v=$1 labwork pid="" started
    log "=== $v: building the lab (LAB_PREFIX=$PREFIX scripts/lab.sh --keep --no-build --no-ipv6 $(lab_args "$v"))"
    LAB_UP=1
    # shellcheck disable=SC2046  # lab_args is a list of options
    # no exports, no load-balancing services: the figures are the bridge's and the direct mode's alone
    # shellcheck disable=SC2046  # lab_env is a list of assignments
    if ! env $(lab_env "$v") LAB_PREFIX=$PREFIX LAB_APPLIANCE=${LAUNCHER:-/nonexistent} LAB_START_TIMEOUT=120 LAB_EXPORTS=0 \
            "$LAB" --keep --no-build --no-ipv6 --no-lb --no-proxy $(lab_args "$v") >"$OUT/lab-$v.log" 2>&1 8>&-; then
        log "$v: lab.sh failed (log: $OUT/lab-$v.log):"
        grep -E '^(FAIL|lab:)|error' "$OUT/lab-$v.log" | sed 's/^/    /' >&2 || true
        VARIANT_NOTE[$v]="lab.sh failed, not measured"
        LAB_PREFIX=$PREFIX "$LAB" --down >/dev/null 2>&1 8>&- || true
        LAB_UP=0
        return 0
    fi
    labwork=$(cat "/tmp/$PREFIX-lab.kept" 2>/dev/null || true)
    if [ "$v" != kernel ]; then
        pid=$(daemon_pid)
        [ -n "$pid" ] || { VARIANT_NOTE[$v]="no java process in $NS_A"; log "$v: daemon not found"; }
        started=$(grep -o 'appliance started: .*' "$labwork/appliance.log" 2>/dev/null | head -1 || true)
        log "$v: daemon pid ${pid:-?}: ${started:-no start line}"
        case "$v" in
            pcap) [[ "$started" == *"pcap I/O"* ]] || VARIANT_NOTE[$v]="daemon did not report pcap I/O: $started" ;;
            ring|ring-dedicated) [[ "$started" == *"ring I/O"* ]] ||
                VARIANT_NOTE[$v]="daemon did not report ring I/O (fallback?): $started" ;;
            xdp) [[ "$started" == *"xdp I/O: "*"intercept key(s)"* ]] ||
                VARIANT_NOTE[$v]="daemon did not report xdp I/O with intercept keys (fallback?): $started" ;;
            xdp-all) [[ "$started" == *"xdp I/O: every frame"* ]] ||
                VARIANT_NOTE[$v]="daemon did not report xdp I/O for every frame (fallback?): $started" ;;
        esac
    fi
    # shellcheck disable=SC2034  # read by lib/bench.sh
    LAB_NETNS=$(lab_netns_ids)
    if ! start_iperf_server "$v"; then
        VARIANT_NOTE[$v]="iperf3 server did not start"
        log "$v: iperf3 server did not start (log: $OUT/iperf3-server-$v.log)"
    else
        if [ "$WARMUP_S" -gt 0 ]; then
            local d
            for d in $DIRS; do
                log "$v: warm-up, $WARMUP_S s, 4 streams, $d (not measured)"
                iperf_client "$WARMUP_S" 4 "$d" "$OUT/iperf3-$v-warmup-$d.json" || log "$v: warm-up $d failed"
            done
        fi
        local rep n d
        for rep in $(seq 1 "$REPS"); do
            for n in $STREAMS; do
                for d in $DIRS; do
                    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
                        VARIANT_NOTE[$v]="daemon died during the runs"; break 3
                    fi
                    wait_quiet
                    measure "$v" "$n" "$d" "$rep" "$pid"
                done
            done
        done
        kill -TERM "$IPERF_PID" 2>/dev/null || true
        wait "$IPERF_PID" 2>/dev/null || true
        IPERF_PID=""
    fi
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        "$LAUNCHER" stats --runtime-dir "$labwork/run" >"$OUT/stats-$v.txt" 2>&1 </dev/null 8>&- || true
        # an orderly stop, so the daemon's exit counters land in its log
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    [ -n "$labwork" ] && [ -f "$labwork/appliance.log" ] && cp "$labwork/appliance.log" "$OUT/appliance-$v.log"
    LAB_PREFIX=$PREFIX "$LAB" --down >/dev/null 2>&1 8>&- || log "$v: lab.sh --down failed"
    LAB_UP=0
}

printf '#variant\tstreams\tdir\trep\tgbps\tframes_per_s\tdaemon_cpu_s_per_gb\tmachine_cpu_s_per_gb\tframes_per_daemon_cpu_s\tretransmits\tother_drops\tbytes\telapsed_s\tdaemon_cpu_s\tlost_in_bridge\tother_processes_cores\n' >"$RESULTS"
T_START=$(date +%s)
for v in "${VARIANT_LIST[@]}"; do run_variant "$v"; done

# -------------------------------------------------------------- summary ----
col_stats() {  # col_stats VARIANT STREAMS DIR COLUMN -> "median min max" (or nothing)
    awk -F'\t' -v v="$1" -v n="$2" -v d="$3" -v c="$4" '$1 == v && $2 == n && $3 == d && $c != "-" { print $c }' \
        "$RESULTS" | sort -g |
        awk '{ a[NR] = $1 } END { if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[1], a[NR] }'
}
cell() {  # cell VARIANT STREAMS DIR COLUMN FORMAT [SCALE] -> "median [min–max]"
    local s
    s=$(col_stats "$1" "$2" "$3" "$4")
    [ -n "$s" ] || { echo "–"; return 0; }
    echo "$s" | awk -v f="$5" -v k="${6:-1}" '{
        if ($2 == $3) printf f, $1 / k; else printf f " [" f "–" f "]", $1 / k, $2 / k, $3 / k }'
}
median_of() { col_stats "$@" | awk '{ print $1 }'; }

SUMMARY="$OUT/summary.md"
{
    echo "Packet I/O through the lab bridge, $(date -u +%Y-%m-%d)"
    echo
    echo "command:  $CMDLINE  (LAB_PREFIX=$PREFIX)"
    echo "build:    $ROOT ($REV)"
    echo "daemon:   JDK $JDK_DESC"
    echo "machine:  $(nproc) cores, $CPU_MODEL, kernel $(uname -r); client, server and bridge share them"
    echo "runs:     $REPS x $RUN_S s per cell after a $WARMUP_S s warm-up; iperf3 client -> server$([ "$REVERSE" = 1 ] && echo ", and -R")"
    echo
    echo "Medians [min–max] over the repetitions. kframes/s: frames into the bridge (rx of out0 + in0, both"
    echo "directions). CPU-s/GB: CPU-seconds per 10^9 bytes iperf3 received; daemon = utime+stime of its java"
    echo "process, machine = all non-idle time in /proc/stat. lost in bridge: frames into the bridge minus frames"
    echo "out of it (rx - tx of out0 + in0). other drops: the veths' rx/tx_dropped plus softnet backlog drops."
    echo "other procs: CPU used meanwhile by user processes outside the lab (in cores; they are in the machine"
    echo "figure, and they slow the run down: the machine is not reserved for the benchmark)."
    echo
    echo "| variant | streams | dir | Gbit/s | kframes/s | daemon CPU-s/GB | machine CPU-s/GB | other procs, cores | TCP retransmits | lost in bridge | other drops |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
    for v in "${VARIANT_LIST[@]}"; do
        for n in $STREAMS; do
            for d in $DIRS; do
                [ -n "$(col_stats "$v" "$n" "$d" 5)" ] || continue
                echo "| $v | $n | $d | $(cell "$v" "$n" "$d" 5 %.2f) | $(cell "$v" "$n" "$d" 6 %.0f 1000) |" \
                    "$(cell "$v" "$n" "$d" 7 %.2f) | $(cell "$v" "$n" "$d" 8 %.2f) | $(cell "$v" "$n" "$d" 16 %.2f) |" \
                    "$(cell "$v" "$n" "$d" 10 %.0f) |" \
                    "$(cell "$v" "$n" "$d" 15 %.0f) | $(cell "$v" "$n" "$d" 11 %.0f) |"
            done
        done
    done
    echo
    echo "Frames per daemon CPU-second (median), ring vs pcap:"
    for n in $STREAMS; do
        for d in $DIRS; do
            p=$(median_of pcap "$n" "$d" 9)
            for v in ring ring-dedicated; do
                r=$(median_of "$v" "$n" "$d" 9)
                if [ -z "$p" ] || [ -z "$r" ]; then continue; fi
                tp=$(median_of pcap "$n" "$d" 5); tr=$(median_of "$v" "$n" "$d" 5)
                awk -v v="$v" -v n="$n" -v d="$d" -v p="$p" -v r="$r" -v tp="$tp" -v tr="$tr" 'BEGIN {
                    printf "  P%-2s %s  %-15s %7.0f k vs pcap %7.0f k frames/CPU-s = %.2fx  (throughput %.2fx)\n",
                        n, d, v, r / 1000, p / 1000, r / p, tr / tp }'
            done
        done
    done
    if [[ " ${VARIANT_LIST[*]} " == *" xdp"* ]]; then
        echo
        echo "XDP (median CPU-seconds per GB): xdp-all = AF_XDP through the daemon vs the ring; xdp = the kernel bridge"
        echo "with the program attached (iperf3 is not intercepted) vs the kernel bridge alone:"
        for n in $STREAMS; do
            for d in $DIRS; do
                for pair in "xdp-all ring 7 daemon" "xdp kernel 8 machine"; do
                    read -r x base col what <<<"$pair"
                    a=$(median_of "$x" "$n" "$d" "$col"); b=$(median_of "$base" "$n" "$d" "$col")
                    if [ -z "$a" ] || [ -z "$b" ]; then continue; fi
                    awk -v x="$x" -v base="$base" -v n="$n" -v d="$d" -v a="$a" -v b="$b" -v w="$what" 'BEGIN {
                        printf "  P%-2s %s  %-8s %6.2f vs %-7s %6.2f %s CPU-s/GB = %.2fx\n", n, d, x, a, base, b, w,
                            (b > 0 ? a / b : 0) }'
                done
            done
        done
    fi
    for v in "${VARIANT_LIST[@]}"; do
        [ -z "${VARIANT_NOTE[$v]:-}" ] || echo "note: $v: ${VARIANT_NOTE[$v]}"
        if [ -s "$OUT/stats-$v.txt" ]; then
            # the daemon's own view over the whole variant (checks, warm-up and runs): anything that failed or dropped
            bad=$(awk 'NF >= 3 && $2 ~ /drop|fail|error/ && $3 != 0 { printf "%s %s=%s ", $1, $2, $3 }' "$OUT/stats-$v.txt")
            echo "daemon counters, $v: ${bad:-no drops, failures or errors}"
        fi
    done
    [ "$FAILED_RUNS" = 0 ] || echo "failed runs: $FAILED_RUNS (see the iperf3-*.json files)"
    echo "spent ${WAITED_S} s in all checking and waiting for other work to settle (under $QUIET_CORES cores, at most $QUIET_WAIT s a run);" \
        "$NOT_QUIET runs started busier"
} >"$SUMMARY"

echo
echo "================================ bench-io summary ================================"
cat "$SUMMARY"
echo "per-run rows:  $RESULTS"
echo "logs:          $OUT"
echo "wall time:     $(( $(date +%s) - T_START )) s"
echo "=================================================================================="
DONE=1
[ "$FAILED_RUNS" = 0 ] || exit 1
exit 0
