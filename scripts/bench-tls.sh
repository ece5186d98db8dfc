#!/usr/bin/env bash
# scripts/bench-tls.sh - the appliance's TLS offload, per mode (direct, load-balancing, full proxy), against
# HAProxy, measured in the lab.
#
# Two labs, one after the other (LAB_PREFIX, default itlsh):
#   appliance  `scripts/lab.sh --keep` (bridge = the daemon) with the sections of the modes measured: the direct
#              service (TLS for 198.18.0.2:443, plain HTTP to nginx on 198.18.0.2:80), the load-balancing VIP
#              198.18.0.10 (round-robin over the backends 198.18.0.4/.5, each its own nginx; --no-lb without
#              lb) and the full-proxy service 198.18.0.12:443 (nginx on 198.18.0.12:80; --no-proxy without
#              proxy). The daemon lab.sh started is stopped; then, for each mode in turn, this script starts it
#              from a copy of the lab's appliance.yaml holding the direct service plus that mode's service only
#              (the source-hash VIP is left out), journal.maxFlows raised (the lab's 1024 is too few for the
#              idle-flow test) and, for the full proxy, fullProxy.memoryBudgetMb raised as if every flow held its
#              352 KiB of buffers at once (idle flows hold none; the raise keeps admission from ever binding during
#              a run); paths are kept; the journal files are
#              removed between the daemons, so that each mode starts from the same state.
#   haproxy    `scripts/lab.sh --keep --bridge kernel`; the Linux bridge br0 in the appliance namespace gets
#              198.18.0.3/24 and HAProxy (Debian package, nbthread 1, mode tcp) listens on 198.18.0.3:443
#              with a throw-away EC P-256 certificate and forwards to 198.18.0.2:80.
# Every nginx of the lab is reloaded with worker_connections raised (its generated config in the kept lab's work
# dir; lab.sh's 256 would leave idle flows without a backend connection); the load-balancing backends' nginx are
# given the main nginx's config on their own address (same docroot, the same upload directory, sendfile; their
# whoami.txt kept for the health checks), so that every mode serves the same files from the same server config.
# Per mode: a warm-up (not measured), then REPS times: a 200 MiB HTTPS download (curl -k, TLS 1.3,
# TLS_AES_128_GCM_SHA256), the same bytes uploaded (curl -T, PUT to nginx's DAV /upload/), full TLS 1.3 and
# TLS 1.2 handshakes (ab -n N -c 8, no keep-alive, a 1 KiB file; ab never resumes a session), and once, N idle
# TLS connections held open by a small Python client. For each it reads the terminator process's CPU time
# (utime+stime from /proc/PID/stat: the daemon's java process, or haproxy) and, for the idle flows, its VmRSS,
# the daemon's heap after a full GC, the tmpfs its journal files hold and the full proxy's buffer gauge.
# Client, server and terminator share the machine's cores, so bytes (or handshakes) per terminator CPU-second
# are the comparable figures; raw goodput is printed too. See --help.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
LAB="$SCRIPT_DIR/lab.sh"

PREFIX=${LAB_PREFIX:-itlsh}   # not lab.sh's (itls) nor bench-io.sh's (itlsb) default
NS_C="$PREFIX-client"
NS_A="$PREFIX-appl"
NS_S="$PREFIX-server"
SRV_IP=198.18.0.2             # lab.sh's server address (nginx :80; the appliance protects :443)
HAP_IP=198.18.0.3             # given to br0 for HAProxy
LB_VIP=198.18.0.10            # lab.sh's round-robin virtual address (backends 198.18.0.4 and .5)
LB_BACKENDS=(198.18.0.4 198.18.0.5)
PROXY_IP=198.18.0.12          # lab.sh's full-proxy service (its own nginx on :80)
MAIN_CLASS_FALLBACK=org.inlinetls.appliance.cli.ApplianceMain

REPS=3
FILE_MIB=200
HS_N=2000
HS_C=8
IDLE_N=2000
BUILD=1
QUIET_CORES=0.25
QUIET_WAIT=20
TERMINATORS="appliance,haproxy"
MODES="direct,lb,proxy"
CMDLINE="scripts/bench-tls.sh${*:+ $*}"

usage() {
    cat <<EOF
Usage: sudo scripts/bench-tls.sh [options]

TLS termination by the appliance, per mode (direct, load-balancing VIP with
round-robin, full proxy; one lab, the daemon restarted per mode), vs HAProxy
(nbthread 1) in a lab of its own: download and upload goodput and bytes per
terminator CPU-second, full handshakes per terminator CPU-second (TLS 1.3 and
1.2), and memory per idle TLS flow. Prints a table of medians [min-max] over
the repetitions, one row per appliance mode.

Options:
  --reps N            repetitions (default $REPS)
  --quick             1 repetition, 500 handshakes, 500 idle flows
  --file-mib M        size of the download/upload file (default $FILE_MIB)
  --handshakes N      ab requests (= full handshakes) per measured run (default $HS_N)
  --idle N            idle TLS connections for the memory test (default $IDLE_N; 0 skips it)
  --only LIST         appliance,haproxy (default both)
  --modes LIST        the appliance's modes: direct,lb,proxy (default all three)
  --no-build          use the existing build (default: mvn -o -q -B -DskipTests -pl appliance -am package)
  --quiet-cores C     before each run, wait until processes outside the lab use less than C cores
                      (default $QUIET_CORES)
  --quiet-wait S      ... but at most S seconds per run, then measure anyway (default $QUIET_WAIT; 0: no wait)
  -h, --help          this help

Environment:
  LAB_PREFIX          namespace prefix (default itlsh)
  APPLIANCE_JAVA_HOME the JDK the daemon runs on (default: the newest, as scripts/appliance picks)
  APPLIANCE_JAVA_OPTS extra JVM options for the daemon (e.g. -Xmx8g; the full proxy's flows borrow up
                      to 352 KiB of heap buffers each while they move bytes, none while idle)

Per-run rows, logs and summary.md are kept in /tmp/PREFIX-bench-tls.XXXXXX.
Needs root. Installs haproxy, apache2-utils (ab) and jq when missing.
EOF
}

die() { echo "bench-tls.sh: error: $*" >&2; exit 2; }
log() { echo "[bench-tls] $*"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --reps) [ $# -ge 2 ] || die "--reps needs a number"; REPS=$2; shift 2 ;;
        --quick) REPS=1; HS_N=500; IDLE_N=500; shift ;;
        --file-mib) [ $# -ge 2 ] || die "--file-mib needs a number"; FILE_MIB=$2; shift 2 ;;
        --handshakes) [ $# -ge 2 ] || die "--handshakes needs a number"; HS_N=$2; shift 2 ;;
        --idle) [ $# -ge 2 ] || die "--idle needs a number"; IDLE_N=$2; shift 2 ;;
        --only) [ $# -ge 2 ] || die "--only needs a list"; TERMINATORS=$2; shift 2 ;;
        --modes) [ $# -ge 2 ] || die "--modes needs a list"; MODES=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --quiet-cores) [ $# -ge 2 ] || die "--quiet-cores needs a number"; QUIET_CORES=$2; shift 2 ;;
        --quiet-wait) [ $# -ge 2 ] || die "--quiet-wait needs a number"; QUIET_WAIT=$2; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done
[[ "$REPS" =~ ^[1-9][0-9]*$ ]] || die "--reps must be a positive integer"
[[ "$FILE_MIB" =~ ^[1-9][0-9]*$ ]] || die "--file-mib must be a positive integer"
[[ "$HS_N" =~ ^[1-9][0-9]*$ ]] || die "--handshakes must be a positive integer"
if ! [[ "$IDLE_N" =~ ^[0-9]+$ ]] || [ "$IDLE_N" -gt 15000 ]; then die "--idle must be 0..15000"; fi
[[ "$QUIET_CORES" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--quiet-cores must be a number"
[[ "$QUIET_WAIT" =~ ^[0-9]+$ ]] || die "--quiet-wait must be a non-negative integer"
[[ "$PREFIX" =~ ^[A-Za-z0-9_.-]{1,20}$ ]] || die "LAB_PREFIX must be 1-20 characters of [A-Za-z0-9_.-]"
IFS=, read -r -a TERM_LIST <<<"$TERMINATORS"
for t in "${TERM_LIST[@]}"; do case "$t" in appliance|haproxy) ;; *) die "--only: unknown '$t'" ;; esac; done
IFS=, read -r -a MODE_LIST <<<"$MODES"
[ "${#MODE_LIST[@]}" -gt 0 ] || die "--modes needs at least one of direct,lb,proxy"
for m in "${MODE_LIST[@]}"; do case "$m" in direct|lb|proxy) ;; *) die "--modes: unknown '$m'" ;; esac; done
# the keys of the results: the appliance's modes measured (in the order given), then haproxy
KEYS=()
if [[ ",$TERMINATORS," == *,appliance,* ]]; then KEYS=("${MODE_LIST[@]}"); fi
if [[ ",$TERMINATORS," == *,haproxy,* ]]; then KEYS+=(haproxy); fi
has_mode() { [[ ",$MODES," == *,$1,* ]] && [[ ",$TERMINATORS," == *,appliance,* ]]; }
[ "$(id -u)" = 0 ] || die "must run as root (the lab creates network namespaces): sudo $0 $*"
# journal.maxFlows for the restarted daemon: room for the idle flows plus the ones still closing
MAX_FLOWS=$(( IDLE_N + 1024 ))
# fullProxy.memoryBudgetMb for the full proxy's daemon: the idle flows, or a handshake run's flows (each held for
# the endpoints' TIME-WAIT, 2 s, after it closed), plus 1024; flow cost as the lab's daemon logged it
PROXY_FLOW_BYTES=$(( 2 * (64 + 64 + 48) * 1024 ))   # 2 x (2 x bufferKb + the 48 KiB stage) at the defaults
proxy_budget_mb() { echo $(( ((IDLE_N > HS_N ? IDLE_N : HS_N) + 1024) * PROXY_FLOW_BYTES / 1048576 + 1 )); }

# ---------------------------------------------------------------- tools ----
# shellcheck source=scripts/lib/install.sh
source "$SCRIPT_DIR/lib/install.sh"
ensure_packages haproxy:haproxy apache2-utils:ab jq:jq openssl:openssl curl:curl ||
    die "could not install haproxy/apache2-utils"
# Debian's haproxy package ships a system service; it would run in the host namespace only (and does not start
# where there is no init), so it cannot disturb the lab. We run our own haproxy inside the lab.
PYTHON=$(python3 -c 'import sys, ssl; print(sys.executable)' 2>/dev/null) || die "python3 with the ssl module is needed"

LOCKFILE="/tmp/$PREFIX-bench-tls.lock"
[ -d /run/lock ] && LOCKFILE="/run/lock/$PREFIX-bench-tls.lock"
exec 8>"$LOCKFILE"
flock -n 8 || die "another bench-tls.sh run with prefix '$PREFIX' is in progress"

OUT=$(mktemp -d "/tmp/$PREFIX-bench-tls.XXXXXX")
chmod 755 "$OUT"
RESULTS="$OUT/runs.tsv"
IDLE_RESULTS="$OUT/idle.tsv"
LAB_UP=0
TERM_PID=""     # the terminator process (java or haproxy)
IDLE_PID=""
DONE=0
JOURNAL="/dev/shm/$PREFIX-lab-journal.dat"     # lab.sh's paths; a kept lab leaves them behind
SESSIONS="/dev/shm/$PREFIX-lab-sessions.dat"
PARKED="/dev/shm/$PREFIX-lab-journal-parked.dat"   # the journal's parked flows (beside its path)

stop_pid() {  # stop_pid PID: SIGTERM, wait up to 20 s, then SIGKILL
    local p=$1
    [ -n "$p" ] || return 0
    kill -TERM "$p" 2>/dev/null || return 0
    for _ in $(seq 1 200); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
}

remove_lab_files() {
    local f
    for f in "$JOURNAL" "$PARKED" "$SESSIONS"; do
        case "$f" in /dev/shm/"$PREFIX"-lab-*.dat) rm -f "$f" "$f.lock" ;; esac
    done
}

# shellcheck disable=SC2317  # invoked from the EXIT trap
cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    [ -z "$IDLE_PID" ] || stop_pid "$IDLE_PID"
    [ -z "$TERM_PID" ] || stop_pid "$TERM_PID"
    if [ "$LAB_UP" = 1 ]; then
        LAB_PREFIX=$PREFIX "$LAB" --down >/dev/null 2>&1 8>&- || echo "[bench-tls] lab.sh --down failed; run: LAB_PREFIX=$PREFIX $LAB --down" >&2
        remove_lab_files
    fi
    case "$OUT" in "/tmp/$PREFIX-bench-tls."??????) rm -rf "${OUT:?}/appliance" ;; esac
    [ "$DONE" = 1 ] || echo "[bench-tls] stopped early (status $rc); partial results and logs in $OUT" >&2
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "[bench-tls] interrupted, tearing down" >&2; exit 130' INT TERM

# ------------------------------------------------------ build, snapshot ----
REV=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
[ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null | awk 'NR <= 1')" ] || REV="$REV, dirty tree"
JDK_DESC="-"
LAUNCHER=""
if [[ ",$TERMINATORS," == *,appliance,* ]]; then
    if [ "$BUILD" = 1 ]; then
        log "building: mvn -o -q -B -DskipTests -pl appliance -am package (log: $OUT/build.log)"
        (cd "$ROOT" && mvn -o -q -B -DskipTests -pl appliance -am package) >"$OUT/build.log" 2>&1 ||
            { tail -n 30 "$OUT/build.log" >&2; die "build failed (log: $OUT/build.log)"; }
    fi
    [ -f "$ROOT/appliance/target/appliance.jar" ] || die "no appliance/target/appliance.jar (run without --no-build)"
    # a private copy of the build: a rebuild in the source tree during the run cannot change what we measure
    mkdir -p "$OUT/appliance/lib"
    cp "$ROOT/appliance/target/appliance.jar" "$OUT/appliance/"
    cp "$ROOT"/appliance/target/lib/*.jar "$OUT/appliance/lib/"
    JAVA_HOME_D=${APPLIANCE_JAVA_HOME:-$("$ROOT/scripts/java-home.sh")}
    [ -x "$JAVA_HOME_D/bin/java" ] || die "no java in $JAVA_HOME_D"
    # shellcheck source=scripts/lib/jvm.sh
    source "$SCRIPT_DIR/lib/jvm.sh"
    jvm_flags "$ROOT" "$JAVA_HOME_D"
    main_class=$(sed -n 's/.*\(org\.inlinetls\.[A-Za-z0-9_.]*Main\).*/\1/p' "$ROOT/scripts/appliance" | awk 'NR <= 1')
    LAUNCHER="$OUT/appliance/launch"
    {
        echo '#!/usr/bin/env bash'
        echo "# the daemon from the copy of the build taken by bench-tls.sh (same JDK and flags as scripts/appliance)"
        printf 'exec %q' "$JAVA_HOME_D/bin/java"
        printf ' %q' "${JVM_FLAGS[@]}"
        # shellcheck disable=SC2016  # expanded when the launcher runs
        printf ' ${APPLIANCE_JAVA_OPTS:-} -cp %q %q "$@"\n' "$OUT/appliance/appliance.jar:$OUT/appliance/lib/*" \
            "${main_class:-$MAIN_CLASS_FALLBACK}"
    } >"$LAUNCHER"
    chmod 755 "$LAUNCHER"
    JDK_DESC="$JAVA_HOME_D ($("$JAVA_HOME_D/bin/java" -version 2>&1 | sed -n '2p'))"
    # with --no-build the jar may come from anyone's build of any tree: say which one was measured
    JAR_DESC="appliance.jar built $(date -u -r "$ROOT/appliance/target/appliance.jar" +%H:%M:%SZ)"
    JAR_DESC="$JAR_DESC, modes jar sha256 $(sha256sum "$ROOT"/modes/target/modes-*.jar 2>/dev/null | cut -c1-12)"
    [ "$BUILD" = 1 ] || REV="$REV; --no-build: $JAR_DESC"
fi
HAP_DESC=$(haproxy -v 2>/dev/null | awk 'NR <= 1' | sed 's/ - https.*//')

CLK_TCK=$(getconf CLK_TCK)
CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | awk 'NR <= 1')
log "$CMDLINE"
log "build: $ROOT ($REV); daemon JDK: $JDK_DESC; $HAP_DESC"
log "machine: $(nproc) cores ($CPU_MODEL), kernel $(uname -r); results in $OUT"

# ------------------------------------------------------------- sampling ----
ns_proc() {  # ns_proc NS COMM -> the pid of the first process named COMM in NS
    local p
    for p in $(ip netns pids "$1" 2>/dev/null); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ] && { echo "$p"; return 0; }
    done
    return 0
}
rss_kb() {  # rss_kb PID -> "VmRSS RssAnon RssFile RssShmem" in kB
    awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } /^RssShmem:/ { s = $2 }
         END { print r + 0, a + 0, f + 0, s + 0 }' "/proc/$1/status" 2>/dev/null || echo "0 0 0 0"
}
shm_bytes() {  # bytes of tmpfs the appliance's journal files (full entries, parked flows) occupy (0 when absent)
    local b f t=0
    for f in "$JOURNAL" "$PARKED"; do
        b=$(stat -c '%b %B' "$f" 2>/dev/null) || continue
        t=$(( t + ${b% *} * ${b#* } ))
    done
    echo "$t"
}
proxy_gauges() {  # "memory_used_bytes flows refused_memory" of the full proxy from the daemon's /metrics (- - -)
    local v
    v=$(ip netns exec "$NS_A" curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" 2>/dev/null </dev/null 8>&- |
        "$PYTHON" "$ROOT/scripts/lab/metrics_check.py" inline_tls_full_proxy_memory_used_bytes \
            inline_tls_full_proxy_flows inline_tls_full_proxy_flows_refused_memory_total 2>/dev/null) || true
    [ -n "$v" ] || v="- - -"
    echo "$v"
}
heap_used_kb() {  # heap_used_kb TERM -> the daemon's Java heap in use after a full GC, in kB (- if unknown)
    local u=""
    if [ "$1" != haproxy ] && [ -x "${JAVA_HOME_D:-}/bin/jcmd" ]; then
        timeout 30 "$JAVA_HOME_D/bin/jcmd" "$TERM_PID" GC.run >/dev/null 2>&1 </dev/null 8>&- || true
        u=$(timeout 30 "$JAVA_HOME_D/bin/jcmd" "$TERM_PID" GC.heap_info 2>/dev/null </dev/null 8>&- |
            grep -m1 -o 'used [0-9]*K' | tr -dc 0-9 || true)
    fi
    echo "${u:--}"
}
LAB_NETNS=""
# shellcheck source=lib/bench.sh
. "$ROOT/scripts/lib/bench.sh"   # other-load guard, process CPU ticks
# CPU ticks of each user process outside the lab's namespaces (as in bench-io.sh): two snapshots give what other
# work on the machine took in between (a lower bound: processes that exit in between are missed).
WAITED_S=0
NOT_QUIET=0

# -------------------------------------------------------- measurements ----
FAILED_RUNS=0
declare -A NOTE=()
note() { NOTE[$1]="${NOTE[$1]:+${NOTE[$1]}; }$2"; log "$1: $2"; }

# timed TERM TEST REP CMD... : waits for quiet, runs CMD (stdout to $OUT/TERM-TEST-REP.out, stderr to .err)
# and leaves "rc elapsed_s terminator_cpu_s other_cores" in $OUT/.timed
timed() {
    local term=$1 test=$2 rep=$3 c0 c1 t0 t1 rc=0 dg
    shift 3
    wait_quiet
    other_snapshot "$OUT/.other0"; c0=$(pid_ticks "$TERM_PID"); t0=$(date +%s.%N)
    "$@" >"$OUT/$term-$test-$rep.out" 2>"$OUT/$term-$test-$rep.err" </dev/null 8>&- || rc=$?
    t1=$(date +%s.%N); c1=$(pid_ticks "$TERM_PID"); other_snapshot "$OUT/.other1"
    dg=$(other_ticks_between "$OUT/.other0" "$OUT/.other1")
    awk -v rc="$rc" -v a="$t0" -v b="$t1" -v c=$((c1 - c0)) -v k="$CLK_TCK" -v dg="$dg" \
        'BEGIN { printf "%s %.3f %.2f %.2f\n", rc, b - a, c / k, dg / k / (b - a) }' >"$OUT/.timed"
}

# one row of runs.tsv: term test rep units(bytes|handshakes) elapsed_s cpu_s other_cores rate per_cpu_s
row() {
    awk -v t="$1" -v x="$2" -v r="$3" -v u="$4" -v el="$5" -v c="$6" -v o="$7" 'BEGIN {
        printf "%s\t%s\t%s\t%s\t%.3f\t%.2f\t%.2f\t%.3f\t%s\n", t, x, r, u, el, c, o, u / el,
            (c > 0 ? sprintf("%.3f", u / c) : "-") }' >>"$RESULTS"
}

CURL_BASE=(ip netns exec "$NS_C" curl -sS -4 -k --noproxy '*' --connect-timeout 10 --max-time 600
    --tlsv1.3 --tls13-ciphers TLS_AES_128_GCM_SHA256)

bulk() {  # bulk TERM IP REP WWW-DIR UPLOAD-DIR
    local term=$1 ip=$2 rep=$3 www=$4 updir=$5 rc el cpu oth code size want
    want=$((FILE_MIB * 1024 * 1024))
    timed "$term" dl "$rep" "${CURL_BASE[@]}" -o /dev/null -w '%{http_code} %{size_download}' \
        "https://$ip/tls-bench.bin"
    read -r rc el cpu oth <"$OUT/.timed"
    read -r code size <"$OUT/$term-dl-$rep.out" || true
    if [ "$rc" = 0 ] && [ "${code:-}" = 200 ] && [ "${size:-}" = "$want" ]; then
        row "$term" download "$rep" "$size" "$el" "$cpu" "$oth"
        log "$term #$rep download: $(tail -n 1 "$RESULTS" | awk -F'\t' '{ printf "%.1f MB/s, terminator %.2f CPU-s = %.0f MB/CPU-s, other %.2f cores", $8 / 1e6, $6, $9 / 1e6, $7 }')"
    else
        FAILED_RUNS=$((FAILED_RUNS + 1))
        note "$term" "download #$rep failed: curl rc $rc, HTTP ${code:-?}, ${size:-?} of $want bytes: $(head -c 200 "$OUT/$term-dl-$rep.err")"
    fi
    case "$updir" in */server/upload) rm -f "$updir/tls-bench-up.bin" ;; esac
    timed "$term" up "$rep" "${CURL_BASE[@]}" -H 'Expect:' -T "$www/tls-bench.bin" -o /dev/null \
        -w '%{http_code} %{size_upload}' "https://$ip/upload/tls-bench-up.bin"
    read -r rc el cpu oth <"$OUT/.timed"
    read -r code size <"$OUT/$term-up-$rep.out" || true
    local got
    got=$(stat -c %s "$updir/tls-bench-up.bin" 2>/dev/null || echo 0)
    if [ "$rc" = 0 ] && { [ "${code:-}" = 201 ] || [ "${code:-}" = 204 ]; } && [ "$got" = "$want" ]; then
        row "$term" upload "$rep" "$got" "$el" "$cpu" "$oth"
        log "$term #$rep upload:   $(tail -n 1 "$RESULTS" | awk -F'\t' '{ printf "%.1f MB/s, terminator %.2f CPU-s = %.0f MB/CPU-s, other %.2f cores", $8 / 1e6, $6, $9 / 1e6, $7 }')"
        if [ "$rep" = 1 ] && ! cmp -s "$www/tls-bench.bin" "$updir/tls-bench-up.bin"; then
            note "$term" "upload #1 arrived with the right length but different bytes"
        fi
    else
        FAILED_RUNS=$((FAILED_RUNS + 1))
        note "$term" "upload #$rep failed: curl rc $rc, HTTP ${code:-?}, server has $got of $want bytes: $(head -c 200 "$OUT/$term-up-$rep.err")"
    fi
    case "$updir" in */server/upload) rm -f "$updir/tls-bench-up.bin" ;; esac
}

handshakes() {  # handshakes TERM IP REP PROTO(TLS1.3|TLS1.2) N
    local term=$1 ip=$2 rep=$3 proto=$4 n=$5 test rc el cpu oth done_n failed non2xx
    test="hs${proto#TLS}"
    local suite=()
    [ "$proto" = TLS1.2 ] && suite=(-Z ECDHE-ECDSA-AES128-GCM-SHA256)   # HAProxy would pick AES-256
    timed "$term" "$test" "$rep" ip netns exec "$NS_C" timeout 300 ab -q -r -n "$n" -c "$HS_C" -f "$proto" \
        "${suite[@]}" "https://$ip/tiny.bin"
    read -r rc el cpu oth <"$OUT/.timed"
    done_n=$(sed -n 's/^Complete requests: *\([0-9]*\).*/\1/p' "$OUT/$term-$test-$rep.out")
    failed=$(sed -n 's/^Failed requests: *\([0-9]*\).*/\1/p' "$OUT/$term-$test-$rep.out")
    non2xx=$(sed -n 's/^Non-2xx responses: *\([0-9]*\).*/\1/p' "$OUT/$term-$test-$rep.out")
    [ "$rep" = warm ] && return 0
    if [ "$rc" = 0 ] && [ "${done_n:-0}" -gt 0 ]; then
        row "$term" "$test" "$rep" "$((done_n - ${failed:-0}))" "$el" "$cpu" "$oth"
        log "$term #$rep $proto: $(tail -n 1 "$RESULTS" | awk -F'\t' '{ printf "%d handshakes, %.0f /s, terminator %.2f CPU-s = %.0f /CPU-s, other %.2f cores", $4, $8, $6, $9, $7 }')"
        if [ "${failed:-0}" != 0 ] || [ "${non2xx:-0}" != 0 ]; then
            note "$term" "$proto #$rep: ab reports ${failed:-0} failed requests, ${non2xx:-0} non-2xx ($(grep -E '^ *\(Connect|SSL' "$OUT/$term-$test-$rep.out" "$OUT/$term-$test-$rep.err" | awk 'NR <= 2' | tr '\n' ' '))"
        fi
    else
        FAILED_RUNS=$((FAILED_RUNS + 1))
        note "$term" "$proto #$rep: ab failed (rc $rc): $(tail -n 2 "$OUT/$term-$test-$rep.err" | tr '\n' ' ')"
    fi
}

write_idle_client() {
    cat >"$OUT/idle-client.py" <<'PY'
# Opens N TLS connections (handshake complete, nothing sent), reports, then holds them until SIGTERM.
import resource, signal, socket, ssl, sys, time
host, port, n, ready = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 256)), hard))
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conns, failed, errors = [], 0, {}
t0 = time.time()
for _ in range(n):
    try:
        s = socket.create_connection((host, port), timeout=10)
        conns.append(ctx.wrap_socket(s, server_hostname=host))
    except Exception as e:
        failed += 1
        errors[type(e).__name__ + ": " + str(e)[:80]] = errors.get(type(e).__name__ + ": " + str(e)[:80], 0) + 1
with open(ready, "w") as f:
    f.write("%d %d %.1f %s\n" % (len(conns), failed, time.time() - t0,
                                 conns[0].version() + "/" + conns[0].cipher()[0] if conns else "-"))
    for k, v in errors.items():
        f.write("error %d x %s\n" % (v, k))
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(3600)
PY
}

idle_flows() {  # idle_flows TERM IP
    local term=$1 ip=$2 r0 r1 j0 j1 h0 h1 p0 p1 ok failed secs ver
    local ready="$OUT/$term-idle.ready"
    [ "$IDLE_N" -gt 0 ] || return 0
    wait_quiet
    h0=$(heap_used_kb "$term")    # (a full GC first, so that it does not fall between the two RSS readings)
    sleep 2
    r0=$(rss_kb "$TERM_PID")
    j0=$(shm_bytes)
    p0="- - -"; [ "$term" != proxy ] || p0=$(proxy_gauges)
    log "$term: opening $IDLE_N idle TLS connections (RSS before: $r0 kB VmRSS/anon/file/shmem)"
    rm -f "$ready"
    ip netns exec "$NS_C" "$PYTHON" "$OUT/idle-client.py" "$ip" 443 "$IDLE_N" "$ready" \
        >"$OUT/$term-idle.log" 2>&1 </dev/null 8>&- &
    IDLE_PID=$!
    for _ in $(seq 1 1200); do [ -s "$ready" ] && break; kill -0 "$IDLE_PID" 2>/dev/null || break; sleep 0.25; done
    if [ ! -s "$ready" ]; then
        note "$term" "idle client did not finish opening its connections: $(tail -n 3 "$OUT/$term-idle.log" | tr '\n' ' ')"
        stop_pid "$IDLE_PID"; IDLE_PID=""
        return 0
    fi
    sleep 5    # let the terminator settle (tickets sent, buffers released)
    r1=$(rss_kb "$TERM_PID")
    local backend
    backend=$(ip netns exec "$NS_S" ss -Htn state established "( sport = :80 )" 2>/dev/null | wc -l)
    j1=$(shm_bytes)
    p1="- - -"; [ "$term" != proxy ] || p1=$(proxy_gauges)
    h1=$(heap_used_kb "$term")
    read -r ok failed secs ver <"$ready"
    local l
    while read -r l; do note "$term" "idle client: $l"; done < <(grep '^error' "$ready" | awk 'NR <= 3')
    [ "$failed" = 0 ] || note "$term" "idle: $failed of $IDLE_N connections failed"
    if [ "$term" = proxy ]; then
        log "proxy: full_proxy memory_used_bytes, flows, flows_refused_memory: $p0 -> $p1;" \
            "Java heap used after a full GC: $h0 -> $h1 kB"
        [ "${p1##* }" = "${p0##* }" ] || note proxy "idle: the full proxy refused flows past its memory budget ($p0 -> $p1)"
    elif [ "$term" != haproxy ]; then
        # the flows the daemon holds, as its CLI lists them from the journal
        # (the journal names a load-balanced flow by its backend's address)
        local named=("$ip:") b
        [ "$term" != lb ] || { named=(); for b in "${LB_BACKENDS[@]}"; do named+=("$b:"); done; }
        timeout 60 "$LAUNCHER" flows --config "$OUT/appliance-$term.yaml" >"$OUT/flows-idle-$term.txt" 2>&1 </dev/null 8>&- || true
        log "$term: 'appliance flows' lists $(grep -cF "${named[@]/#/-e}" "$OUT/flows-idle-$term.txt" || true) lines naming ${named[*]};" \
            "journal files on tmpfs: $j0 -> $j1 bytes allocated; Java heap used after a full GC: $h0 -> $h1 kB"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$term" "$ok" "$failed" "$secs" "$ver" "$r0" "$r1" "$j0" "$j1" "$h0" "$h1" "$p0" "$p1" >>"$IDLE_RESULTS"
    [ "$backend" -ge "$ok" ] || note "$term" "idle: only $backend of $ok flows have an established backend connection on :80"
    log "$term: $ok idle flows open ($ver, $failed failed, opened in $secs s; $backend connections established on nginx :80); RSS after: $r1 kB;" \
        "$(awk -v a="$r0" -v b="$r1" -v n="$ok" 'BEGIN { split(a, x, " "); split(b, y, " ");
            printf "VmRSS +%.0f bytes/flow (anon %+.0f, shmem %+.0f)", (y[1] - x[1]) * 1024 / n,
                (y[2] - x[2]) * 1024 / n, (y[4] - x[4]) * 1024 / n }')"
    stop_pid "$IDLE_PID"; wait "$IDLE_PID" 2>/dev/null || true; IDLE_PID=""
    sleep 2
}

tls_params() {  # tls_params TERM IP: what each protocol negotiates (for the notes)
    local v
    for v in -tls1_3 -tls1_2; do
        echo | ip netns exec "$NS_C" timeout 10 openssl s_client -brief -connect "$2:443" "$v" 2>&1 </dev/null |
            grep -E '^(Protocol version|Ciphersuite|Peer Temp Key|Server Temp Key):' | tr '\n' ' ' || true
        echo
    done | sed '/^$/d' >"$OUT/$1-tls.txt"
}

# -------------------------------------------------------------- one lab ----
LABWORK=""
raise_nginx() {  # raise_nginx KEY CONF: reload the nginx whose generated config is CONF with room for the idle flows
    local key=$1 conf=$2 dir
    dir=$(dirname "$2")
    sed -i -e "s/^\( *\)worker_connections [0-9]*;/\1worker_connections $((IDLE_N + 1024));/" \
        -e "s/^events { worker_connections [0-9]*; }$/events { worker_connections $((IDLE_N + 1024)); }/" \
        -e "s/^worker_processes 1;$/worker_processes 1;\nworker_rlimit_nofile $((IDLE_N + 2048));/" "$conf"
    grep -q "worker_connections $((IDLE_N + 1024));" "$conf" || note "$key" "no worker_connections line in $conf"
    ip netns exec "$NS_S" nginx -p "$dir" -c "$conf" -s reload >>"$OUT/nginx-reload-$key.log" 2>&1 8>&- ||
        note "$key" "nginx reload of $conf with worker_connections $((IDLE_N + 1024)) failed: $(tr '\n' ' ' <"$OUT/nginx-reload-$key.log")"
}

start_lab() {  # start_lab KEY LAB-OPTIONS...
    local key=$1
    shift
    log "=== $key: LAB_PREFIX=$PREFIX LAB_EXPORTS=0 scripts/lab.sh --keep --no-build --no-ipv6 $*"
    LAB_UP=1
    # LAB_EXPORTS=0: no plaintext or key log export (the lab's checks turn them on; they cost per frame)
    if ! LAB_PREFIX=$PREFIX LAB_APPLIANCE=${LAUNCHER:-/nonexistent} LAB_START_TIMEOUT=120 LAB_EXPORTS=0 \
            "$LAB" --keep --no-build --no-ipv6 "$@" >"$OUT/lab-$key.log" 2>&1 8>&-; then
        note "$key" "lab.sh reported failures: $(grep -E '^FAIL' "$OUT/lab-$key.log" | awk 'NR <= 3' | tr '\n' ' ')"
    fi
    LABWORK=$(cat "/tmp/$PREFIX-lab.kept" 2>/dev/null || true)
    case "$LABWORK" in "/tmp/$PREFIX-lab."??????) ;; *) note "$key" "no kept lab work dir"; return 1 ;; esac
    [ -d "$LABWORK/server/www" ] || { note "$key" "no $LABWORK/server/www"; return 1; }
    # shellcheck disable=SC2034  # read by lib/bench.sh
    LAB_NETNS=$(lab_netns_ids)
    # lab.sh's nginx take 256 connections a worker; each idle TLS flow is a backend connection too (every
    # terminator and mode opens it at once), so reload the lab's nginx with room for them (their generated
    # configs only)
    raise_nginx "$key" "$LABWORK/nginx/nginx.conf"
    [ ! -f "$LABWORK/proxy/nginx/nginx.conf" ] || raise_nginx "$key" "$LABWORK/proxy/nginx/nginx.conf"
    # The load-balancing backends: lab.sh gives each a minimal server (whoami.txt, a 2 MiB file, no upload, no
    # sendfile). Give them the main nginx's config instead, on their own address: the same docroot and upload
    # directory (so that every mode serves the same bytes from the same server config) and their own
    # whoami.txt for the health checks.
    local i ip dir
    for i in "${!LB_BACKENDS[@]}"; do
        ip=${LB_BACKENDS[$i]}
        dir="$LABWORK/lb/b$i"
        [ -f "$dir/nginx.conf" ] || continue
        [ -f "$dir/nginx.conf.lab" ] || cp "$dir/nginx.conf" "$dir/nginx.conf.lab"
        sed -e "s|$LABWORK/nginx/|$dir/|g" -e "s|listen $SRV_IP:80;|listen $ip:80;|" -e '/^ *listen \[/d' \
            -e "s|^\( *\)server_name lab-server;|&\n\1location = /whoami.txt { root $dir/www; }|" \
            "$LABWORK/nginx/nginx.conf" >"$dir/nginx.conf"
        if grep -q "listen $ip:80;" "$dir/nginx.conf" && grep -q "location = /whoami.txt" "$dir/nginx.conf"; then
            ip netns exec "$NS_S" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" -t -q >"$OUT/nginx-lb-b$i.log" 2>&1 8>&- &&
                ip netns exec "$NS_S" nginx -p "$dir" -c "$dir/nginx.conf" -s reload >>"$OUT/nginx-lb-b$i.log" 2>&1 8>&- ||
                note "$key" "LB backend b$i: nginx reload with the main server's config failed: $(tr '\n' ' ' <"$OUT/nginx-lb-b$i.log")"
        else
            note "$key" "LB backend b$i: could not derive its config from $LABWORK/nginx/nginx.conf"
        fi
    done
    sleep 1
    log "$key: generating ${FILE_MIB} MiB and 1 KiB files in $LABWORK/server/www"
    head -c $((FILE_MIB * 1024 * 1024)) /dev/urandom >"$LABWORK/server/www/tls-bench.bin"
    head -c 1024 /dev/urandom >"$LABWORK/server/www/tiny.bin"
}

stop_lab() {
    [ -z "$TERM_PID" ] || stop_pid "$TERM_PID"
    TERM_PID=""
    LAB_PREFIX=$PREFIX "$LAB" --down >/dev/null 2>&1 8>&- || log "lab.sh --down failed"
    remove_lab_files
    LAB_UP=0
}

measure_terminator() {  # measure_terminator KEY IP
    local term=$1 ip=$2 rep
    tls_params "$term" "$ip"
    log "$term: warm-up (20 MiB download, 500 + 500 handshakes; not measured)"
    "${CURL_BASE[@]}" -o /dev/null "https://$ip/file-20m.bin" >/dev/null 2>"$OUT/$term-warm.err" 8>&- ||
        note "$term" "warm-up download failed: $(head -c 200 "$OUT/$term-warm.err")"
    handshakes "$term" "$ip" warm TLS1.3 500 >/dev/null
    handshakes "$term" "$ip" warm TLS1.2 500 >/dev/null
    # what the terminator burns with no traffic (the daemon's agents poll with an idle strategy): in every CPU
    # figure below, so a slower transfer costs it more CPU-seconds
    local c0 c1
    sleep 1
    c0=$(pid_ticks "$TERM_PID"); sleep 5; c1=$(pid_ticks "$TERM_PID")
    IDLE_CPU[$term]=$(awk -v c=$((c1 - c0)) -v k="$CLK_TCK" 'BEGIN { printf "%.3f", c / k / 5 }')
    log "$term: ${IDLE_CPU[$term]} cores with no traffic (5 s)"
    for rep in $(seq 1 "$REPS"); do
        kill -0 "$TERM_PID" 2>/dev/null || { note "$term" "terminator (pid $TERM_PID) died"; return 0; }
        bulk "$term" "$ip" "$rep" "$LABWORK/server/www" "$LABWORK/server/upload"
        handshakes "$term" "$ip" "$rep" TLS1.3 "$HS_N"
        handshakes "$term" "$ip" "$rep" TLS1.2 "$HS_N"
    done
    idle_flows "$term" "$ip"
}

mode_ip() {  # mode_ip KEY -> the address its clients connect to
    case "$1" in direct) echo "$SRV_IP" ;; lb) echo "$LB_VIP" ;; proxy) echo "$PROXY_IP" ;; haproxy) echo "$HAP_IP" ;; esac
}
mode_title() {  # mode_title KEY -> its name in the summary
    case "$1" in
        direct) echo "direct" ;;
        lb) echo "load-balancing (round-robin)" ;;
        proxy) echo "full proxy" ;;
        haproxy) echo "HAProxy (nbthread 1)" ;;
        *) echo "–" ;;
    esac
}

ENTRY_BYTES=""
PROXY_BUDGET_MB=""
MAX_HEAP_MB=""
METRICS_PORT=9400   # lab.sh's management endpoint (read again from the config below)
declare -A IDLE_CPU=()
# start_daemon MODE: the daemon from a copy of the lab's config with the direct service and MODE's service only,
# journal.maxFlows raised (lab.sh's 1024 < the idle flows) and for the full proxy its memory budget raised; same
# paths otherwise. Sets TERM_PID.
start_daemon() {
    local mode=$1 cfg="$OUT/appliance-$1.yaml" logf="$OUT/appliance-$1.log" t0 drop=()
    # the services are one line each in lab.sh's config (lb: shop and shop-sh; proxy: proxied)
    case "$mode" in
        direct) drop=(-e '/^  - {name: shop, /d' -e '/^  - {name: shop-sh, /d' -e '/^  - {name: proxied, /d') ;;
        lb) drop=(-e '/^  - {name: shop-sh, /d' -e '/^  - {name: proxied, /d') ;;
        proxy) drop=(-e '/^  - {name: shop, /d' -e '/^  - {name: shop-sh, /d') ;;
    esac
    remove_lab_files   # the journal was sized for fewer flows; no flow is in flight after a clean stop
    sed -e "s/^  maxFlows: [0-9]*$/  maxFlows: $MAX_FLOWS/" "${drop[@]}" "$LABWORK/appliance.yaml" >"$cfg"
    grep -q "^  maxFlows: $MAX_FLOWS$" "$cfg" || { note "$mode" "could not raise maxFlows in $cfg"; return 1; }
    case "$mode" in
        lb) grep -q "mode: load-balancing, listen: '$LB_VIP:443', algorithm: round-robin" "$cfg" ||
                { note lb "no round-robin load-balancing service on $LB_VIP:443 in the lab's config"; return 1; } ;;
        proxy)
            grep -q "mode: full-proxy, listen: '$PROXY_IP:443'" "$cfg" ||
                { note proxy "no full-proxy service on $PROXY_IP:443 in the lab's config"; return 1; }
            PROXY_BUDGET_MB=$(proxy_budget_mb)
            if grep -q '^fullProxy:' "$cfg"; then
                sed -i -e "s/^  memoryBudgetMb: [0-9]*$/  memoryBudgetMb: $PROXY_BUDGET_MB/" "$cfg"
            else
                printf 'fullProxy:\n  memoryBudgetMb: %s\n' "$PROXY_BUDGET_MB" >>"$cfg"
            fi
            grep -q "^  memoryBudgetMb: $PROXY_BUDGET_MB$" "$cfg" ||
                { note proxy "could not set fullProxy.memoryBudgetMb in $cfg"; return 1; }
            if [ -n "$MAX_HEAP_MB" ] && [ "$((PROXY_BUDGET_MB * 10 / 8))" -gt "$MAX_HEAP_MB" ]; then
                note proxy "fullProxy.memoryBudgetMb $PROXY_BUDGET_MB is near or above the JVM's max heap ($MAX_HEAP_MB MB): set APPLIANCE_JAVA_OPTS=-Xmx..."
            fi ;;
    esac
    METRICS_PORT=$(sed -n 's/^  address: "127\.0\.0\.1:\([0-9]*\)"$/\1/p' "$cfg" | awk 'NR <= 1')
    METRICS_PORT=${METRICS_PORT:-9400}
    log "$mode: starting the daemon (config: $cfg; journal.maxFlows $MAX_FLOWS${PROXY_BUDGET_MB:+, fullProxy.memoryBudgetMb $PROXY_BUDGET_MB})"
    ip netns exec "$NS_A" "$LAUNCHER" run --config "$cfg" </dev/null >"$logf" 2>&1 8>&- &
    t0=$(date +%s)
    while ! grep -q 'appliance started' "$logf" 2>/dev/null; do
        if [ $(( $(date +%s) - t0 )) -ge 120 ]; then
            note "$mode" "the daemon did not log 'appliance started' in 120 s"
            TERM_PID=$(ns_proc "$NS_A" java)
            return 1
        fi
        sleep 0.2
    done
    TERM_PID=$(ns_proc "$NS_A" java)
    ENTRY_BYTES=$(sed -n 's/.*journal open: .*entry \([0-9,]*\) bytes.*/\1/p' "$logf" | awk 'NR <= 1' | tr -d ,)
    log "$mode: pid $TERM_PID; $(grep -o 'appliance started: .*' "$logf" | awk 'NR <= 1');" \
        "journal entry ${ENTRY_BYTES:-?} bytes"
    if [ "$mode" = lb ]; then
        # backends start up; a few rounds of health checks (every 500 ms) must not take one out
        sleep 3
        ! grep -q 'service shop: backend .* is DOWN' "$logf" ||
            note lb "health checks took a backend out: $(grep -o 'service shop: backend .* is DOWN.*' "$logf" | awk 'NR <= 1')"
    fi
}

run_appliance() {
    local opts=() pid mode
    has_mode lb || opts+=(--no-lb)
    has_mode proxy || opts+=(--no-proxy)
    start_lab appliance "${opts[@]}" || { stop_lab; return 0; }
    cp "$LABWORK/appliance.yaml" "$OUT/appliance-lab.yaml" 2>/dev/null || true
    pid=$(ns_proc "$NS_A" java)
    [ -n "$pid" ] || { note appliance "no java process in $NS_A after lab.sh"; stop_lab; return 0; }
    log "appliance: stopping the daemon lab.sh started (pid $pid)"
    stop_pid "$pid"
    if has_mode proxy; then
        local cost
        cost=$(sed -n 's/.*full-proxy: .* \([0-9,]*\) bytes of buffers per flow.*/\1/p' "$LABWORK/appliance.log" 2>/dev/null |
            awk 'NR <= 1' | tr -d ,)
        [ -z "$cost" ] || PROXY_FLOW_BYTES=$cost
        # shellcheck disable=SC2086  # APPLIANCE_JAVA_OPTS is a list of options
        MAX_HEAP_MB=$("$JAVA_HOME_D/bin/java" ${APPLIANCE_JAVA_OPTS:-} -XX:+PrintFlagsFinal -version 2>/dev/null </dev/null 8>&- |
            awk '$2 == "MaxHeapSize" { printf "%d", $4 / 1048576 }' || true)
    fi
    for mode in "${MODE_LIST[@]}"; do
        if start_daemon "$mode"; then
            measure_terminator "$mode" "$(mode_ip "$mode")"
            if kill -0 "$TERM_PID" 2>/dev/null; then
                "$LAUNCHER" stats --runtime-dir "$LABWORK/run" >"$OUT/stats-$mode.txt" 2>&1 </dev/null 8>&- || true
            fi
        fi
        stop_pid "$TERM_PID"; TERM_PID=""
    done
    stop_lab
}

run_haproxy() {
    start_lab haproxy --no-lb --no-proxy --bridge kernel || { stop_lab; return 0; }
    ip -n "$NS_A" addr add "$HAP_IP/24" dev br0
    mkdir -p "$OUT/haproxy"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$OUT/haproxy/key.pem" -out "$OUT/haproxy/cert.pem" -subj "/CN=haproxy.lab" \
        -addext "subjectAltName=IP:$HAP_IP" >"$OUT/haproxy/openssl.log" 2>&1 ||
        { note haproxy "openssl could not make the certificate"; stop_lab; return 0; }
    cat "$OUT/haproxy/cert.pem" "$OUT/haproxy/key.pem" >"$OUT/haproxy/combined.pem"
    chmod 600 "$OUT/haproxy/key.pem" "$OUT/haproxy/combined.pem"
    cat >"$OUT/haproxy/haproxy.cfg" <<CFG
# TLS termination only (mode tcp: like the appliance, no HTTP parsing), one thread.
global
    nbthread 1
    maxconn $(( IDLE_N + 4096 < ($(ulimit -Hn) - 200) / 2 ? IDLE_N + 4096 : ($(ulimit -Hn) - 200) / 2 ))
    log stderr format short local0 warning
defaults
    mode tcp
    log global
    timeout connect 5s
    timeout client 600s
    timeout server 600s
frontend tls
    bind $HAP_IP:443 ssl crt $OUT/haproxy/combined.pem
    default_backend web
backend web
    server nginx $SRV_IP:80
CFG
    ip netns exec "$NS_A" haproxy -c -f "$OUT/haproxy/haproxy.cfg" >"$OUT/haproxy/check.log" 2>&1 ||
        { note haproxy "config check failed: $(tail -n 3 "$OUT/haproxy/check.log" | tr '\n' ' ')"; stop_lab; return 0; }
    # its maxconn (room for the idle flows: 2 descriptors each) needs the hard limit of descriptors
    (ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
     exec ip netns exec "$NS_A" haproxy -db -f "$OUT/haproxy/haproxy.cfg" </dev/null >"$OUT/haproxy/haproxy.log" 2>&1 8>&-) &
    for _ in $(seq 1 50); do
        TERM_PID=$(ns_proc "$NS_A" haproxy)
        [ -n "$TERM_PID" ] && ip netns exec "$NS_C" bash -c "exec 3<>/dev/tcp/$HAP_IP/443" 2>/dev/null && break
        sleep 0.1
    done
    [ -n "$TERM_PID" ] || { note haproxy "haproxy did not start: $(tail -n 3 "$OUT/haproxy/haproxy.log" | tr '\n' ' ')"; stop_lab; return 0; }
    log "haproxy: pid $TERM_PID listening on $HAP_IP:443 in $NS_A -> $SRV_IP:80"
    measure_terminator haproxy "$HAP_IP"
    stop_lab
}

printf '#terminator\ttest\trep\tunits\telapsed_s\tterminator_cpu_s\tother_cores\tunits_per_s\tunits_per_cpu_s\n' >"$RESULTS"
printf '#terminator\topen\tfailed\topen_s\tversion\trss_before_kB(VmRSS anon file shmem)\trss_after_kB\tjournal_bytes_before\tjournal_bytes_after\theap_used_kB_before\theap_used_kB_after\tproxy_before(memory_used_bytes flows refused_memory)\tproxy_after\n' >"$IDLE_RESULTS"
write_idle_client
T_START=$(date +%s)
for t in "${TERM_LIST[@]}"; do "run_$t"; done

# -------------------------------------------------------------- summary ----
col_stats() {  # col_stats KEY TEST COLUMN -> "median min max"
    awk -F'\t' -v t="$1" -v x="$2" -v c="$3" '$1 == t && $2 == x && $c != "-" { print $c }' "$RESULTS" | sort -g |
        awk '{ a[NR] = $1 } END { if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2), a[1], a[NR] }'
}
cell() {  # cell KEY TEST COLUMN FORMAT [SCALE]
    local s
    s=$(col_stats "$1" "$2" "$3")
    [ -n "$s" ] || { echo "–"; return 0; }
    echo "$s" | awk -v f="$4" -v k="${5:-1}" '{
        if ($2 == $3) printf f, $1 / k; else printf f " [" f "–" f "]", $1 / k, $2 / k, $3 / k }'
}
ratio() {  # ratio KEY OTHER-KEY TEST COLUMN -> KEY's median / OTHER-KEY's median
    local a h
    [ "$1" != "$2" ] || { echo; return 0; }
    a=$(col_stats "$1" "$3" "$4" | awk '{ print $1 }'); h=$(col_stats "$2" "$3" "$4" | awk '{ print $1 }')
    if [ -z "$a" ] || [ -z "$h" ]; then echo "–"; return 0; fi
    awk -v a="$a" -v h="$h" 'BEGIN { if (h > 0) printf "%.2f×", a / h; else print "–" }'
}
# the appliance's modes measured, one table row each ("none": a row of dashes when only HAProxy ran)
ROW_KEYS=()
for k in "${KEYS[@]}"; do [ "$k" = haproxy ] || ROW_KEYS+=("$k"); done
[ "${#ROW_KEYS[@]}" -gt 0 ] || ROW_KEYS=(none)
rows() {  # rows LABEL TEST COLUMN FORMAT [SCALE]: one row per appliance mode (HAProxy's figure in the first)
    local k h
    h=$(cell haproxy "$2" "$3" "$4" "${5:-1}")
    for k in "${ROW_KEYS[@]}"; do
        echo "| $1 | $(mode_title "$k") | $(cell "$k" "$2" "$3" "$4" "${5:-1}") | $h |" \
            "$(ratio "$k" haproxy "$2" "$3") | $(ratio "$k" direct "$2" "$3") |"
        h=""
    done
}
idle_cell() {  # idle_cell KEY -> "RSS growth per flow"
    awk -F'\t' -v t="$1" '$1 == t && $2 > 0 { split($6, a, " "); split($7, b, " "); found = 1
        printf "%.1f KB/flow (VmRSS %+.1f MB for %d flows; anon %+.1f KB, shmem %+.1f KB per flow)",
            (b[1] - a[1]) * 1.024 / $2, (b[1] - a[1]) / 1024, $2, (b[2] - a[2]) * 1.024 / $2, (b[4] - a[4]) * 1.024 / $2 }
        END { if (!found) printf "–" }' "$IDLE_RESULTS"
}
heap_cell() {  # heap_cell KEY -> the daemon's heap after a full GC, per flow
    awk -F'\t' -v t="$1" '$1 == t && $2 > 0 && $10 != "-" && $11 != "-" { found = 1
        printf "%+.1f KB/flow (%.1f -> %.1f MB)", ($11 - $10) * 1.024 / $2, $10 / 1024, $11 / 1024 }
        END { if (!found) printf "–" }' "$IDLE_RESULTS"
}
memory_cell() {  # memory_cell KEY -> direct, lb: tmpfs of the journal files; proxy: its buffers' gauge (on the heap)
    if [ "$1" = proxy ]; then
        awk -F'\t' -v b="${PROXY_BUDGET_MB:-?}" '$1 == "proxy" && $2 > 0 { split($12, x, " "); split($13, y, " ")
            if (x[1] == "-" || y[1] == "-") { printf "– (no /metrics)"; found = 1; next }
            found = 1
            printf "heap buffers (full_proxy memory_used_bytes) %+.1f KB/flow (%.1f -> %.1f MB of a %s MiB budget; %d flows held)",
                (y[1] - x[1]) / 1000 / $2, x[1] / 1e6, y[1] / 1e6, b, y[2] }
            END { if (!found) printf "–" }' "$IDLE_RESULTS"
    else
        awk -F'\t' -v t="$1" '$1 == t && $2 > 0 { found = 1
            printf "journal files on tmpfs %+.2f KB/flow (%.1f -> %.1f MB)", ($9 - $8) / 1000 / $2, $8 / 1e6, $9 / 1e6 }
            END { if (!found) printf "–" }' "$IDLE_RESULTS"
    fi
}
max_other() {
    awk -F'\t' 'NR > 1 && $7 > m { m = $7 } END { printf "%.2f", m + 0 }' "$RESULTS"
}

SUMMARY="$OUT/summary.md"
{
    echo "TLS termination, appliance (modes: ${MODES//,/, }) vs HAProxy, $(date -u +%Y-%m-%d)"
    echo
    echo "command:    $CMDLINE  (LAB_PREFIX=$PREFIX)"
    echo "build:      $ROOT ($REV)"
    echo "daemon:     JDK $JDK_DESC; started per mode from lab.sh's config with the direct service and that mode's"
    echo "            service only, journal.maxFlows $MAX_FLOWS${PROXY_BUDGET_MB:+, full proxy: fullProxy.memoryBudgetMb $PROXY_BUDGET_MB ($PROXY_FLOW_BYTES bytes of buffers per flow; JVM max heap ${MAX_HEAP_MB:-?} MB)}"
    echo "addresses:  direct $SRV_IP:443 -> nginx :80; load-balancing VIP $LB_VIP:443 round-robin -> ${LB_BACKENDS[*]} :80" \
        "(nginx each, same files); full proxy $PROXY_IP:443 -> nginx $PROXY_IP:80; HAProxy $HAP_IP:443 -> $SRV_IP:80"
    echo "haproxy:    $HAP_DESC, nbthread 1, mode tcp, EC P-256 certificate (the appliance's lab certificate is P-256 too)"
    echo "machine:    $(nproc) cores, $CPU_MODEL, kernel $(uname -r); client, server and terminator share them"
    echo "runs:       per mode $REPS x (${FILE_MIB} MiB download, same upload, $HS_N TLS 1.3 + $HS_N TLS 1.2 handshakes at" \
        "concurrency $HS_C); $IDLE_N idle flows once"
    for t in "${KEYS[@]}"; do
        [ -s "$OUT/$t-tls.txt" ] && echo "negotiated: $t: $(tr '\n' ';' <"$OUT/$t-tls.txt" | sed 's/;$//; s/;/ | /g')"
    done
    echo
    echo "| measurement | appliance mode | appliance | HAProxy (nbthread 1) | appliance / HAProxy | mode / direct |"
    echo "|---|---|---|---|---|---|"
    for x in download upload; do
        rows "$x goodput, MB/s" "$x" 8 %.1f 1e6
        rows "$x, terminator CPU-s per ${FILE_MIB} MiB" "$x" 6 %.2f
        rows "**$x, MB per terminator CPU-s**" "$x" 9 %.0f 1e6
    done
    for x in hs1.3 hs1.2; do
        p="TLS ${x#hs}"
        rows "$p full handshakes/s (ab -c $HS_C)" "$x" 8 %.0f
        rows "**$p handshakes per terminator CPU-s**" "$x" 9 %.0f
    done
    if [ "$IDLE_N" -gt 0 ]; then
        h=$(idle_cell haproxy)
        for k in "${ROW_KEYS[@]}"; do
            echo "| idle TLS flows: VmRSS growth | $(mode_title "$k") | $(idle_cell "$k") | $h | | |"
            h=""
        done
        for k in "${ROW_KEYS[@]}"; do
            [ "$k" = none ] || echo "| idle TLS flows: Java heap in use after a full GC (jcmd GC.run) | $(mode_title "$k") | $(heap_cell "$k") | – | | |"
        done
        for k in "${ROW_KEYS[@]}"; do
            [ "$k" = none ] || echo "| idle TLS flows: the mode's flow state | $(mode_title "$k") | $(memory_cell "$k") | – | | |"
        done
        if [ -n "$ENTRY_BYTES" ]; then
            awk -v e="$ENTRY_BYTES" -v m="$MAX_FLOWS" -v n="$IDLE_N" 'BEGIN {
                printf "| appliance journal (off-heap, tmpfs): entry %d bytes | direct, load-balancing | budget %.1f MB for %d flows (%.1f MB for maxFlows %d) | – | | |\n",
                    e, e * n / 1e6, n, e * m / 1e6, m }'
        fi
    fi
    echo
    echo "Medians [min–max]. MB = 10^6 bytes, KB = 10^3 bytes. Terminator CPU = utime+stime of its process (java /"
    echo "haproxy) over the transfer or the ab run; the load-balancing daemon also runs its health checks (HTTP GET"
    echo "every 500 ms to each backend). Journal files = the full-entry file and the parked flows' file."
    echo "Other load: up to $(max_other) cores used by processes outside the lab during a run;"
    echo "$NOT_QUIET runs started with more than $QUIET_CORES cores busy (waited ${WAITED_S} s in all)."
    for t in "${KEYS[@]}"; do
        [ -z "${IDLE_CPU[$t]:-}" ] || echo "no traffic: $(mode_title "$t") uses ${IDLE_CPU[$t]} cores (included in its CPU figures)"
    done
    for t in appliance "${KEYS[@]}"; do [ -z "${NOTE[$t]:-}" ] || echo "note: $t: ${NOTE[$t]}"; done
    for t in "${KEYS[@]}"; do
        if [ -s "$OUT/stats-$t.txt" ]; then
            bad=$(awk 'NF >= 3 && $2 ~ /drop|fail|error|reset|refus|alert/ && $3 != 0 { printf "%s %s=%s ", $1, $2, $3 }' "$OUT/stats-$t.txt")
            echo "daemon counters at the end ($t): ${bad:-no drops, failures, errors, resets or alerts}"
        fi
        if [ -s "$OUT/appliance-$t.log" ]; then
            w=$(grep -cE 'WARN|SEVERE|ERROR|Exception' "$OUT/appliance-$t.log" || true)
            echo "daemon log ($t): $w WARN/SEVERE/ERROR/exception lines ($OUT/appliance-$t.log)"
        fi
    done
    [ "$FAILED_RUNS" = 0 ] || echo "failed runs: $FAILED_RUNS"
} >"$SUMMARY"

echo
echo "================================ bench-tls summary ================================"
cat "$SUMMARY"
echo "per-run rows:  $RESULTS, $IDLE_RESULTS"
echo "logs:          $OUT"
echo "wall time:     $(( $(date +%s) - T_START )) s"
echo "==================================================================================="
DONE=1
[ "$FAILED_RUNS" = 0 ] || exit 1
exit 0
