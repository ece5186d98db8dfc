#!/usr/bin/env bash
# scripts/lab.sh - the project's end-to-end lab and demo.
#
# Builds three network namespaces joined by two veth pairs:
#
#   [PREFIX-client]            [PREFIX-appl]                [PREFIX-server]
#   cli0 198.18.0.1/24 <---> out0  (bridge)  in0 <---> srv0 198.18.0.2/24
#                             no IP addresses              nginx :80
#
# bridges out0<->in0 with either the appliance daemon (default) or a Linux
# bridge (baseline), then runs checks (ping, ARP, 20 MiB download, 10 MiB PUT
# upload, IPv6 ping; with the appliance, HTTPS for every suite with curl and
# openssl s_client, resumed sessions, SIGKILL + restart, forged records, reloads
# and mode switches in flight (by file and through the Ansible role), load
# balancing, the full proxy) and prints a summary. See --help.
#
# All traffic stays inside the namespaces this script creates; only
# 198.18.0.0/24 (and fd00:198:18::/64) is used. The host's interfaces are
# never touched.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
LABDIR="$SCRIPT_DIR/lab"

PREFIX=${LAB_PREFIX:-itls}
NS_C="$PREFIX-client"
NS_A="$PREFIX-appl"
NS_S="$PREFIX-server"

CLI_IP=198.18.0.1
SRV_IP=198.18.0.2
CLI_IP6=fd00:198:18::1
SRV_IP6=fd00:198:18::2
# Fixed, locally administered MACs so captures are reproducible.
MAC_CLI=02:00:c6:12:00:01
MAC_SRV=02:00:c6:12:00:02
MAC_OUT=02:00:c6:12:00:a0
MAC_IN=02:00:c6:12:00:a1
# Load balancing (the LB section): two backends on the server namespace, each its
# own nginx, behind four virtual addresses (one per algorithm; the appliance
# answers ARP for them); health checks from the appliance's own inside address.
LB_BACKENDS=(198.18.0.4 198.18.0.5)
LB_VIP_RR=198.18.0.10    # round-robin
LB_VIP_SH=198.18.0.11    # source-hash
LB_VIP_W=198.18.0.13     # weighted, weights LB_WEIGHTS
LB_VIP_LC=198.18.0.14    # least-connections
LB_VIP_CK=198.18.0.15    # cookie persistence (delayed binding: the full-proxy engine), backends' port LB_COOKIE_PORT
LB_VIP_PP=198.18.0.16    # PROXY protocol v2 (delayed binding), backend b0's port LB_PP_PORT
LB_COOKIE_PORT=8081      # the backends' nginx there set their own cookie: Set-Cookie: SERVERID=b<i>
LB_PP_PORT=8082          # the backends' nginx there listen with proxy_protocol and answer /pp with its address
LB_WEIGHTS=(3 1)
LB_CONNECTIONS=200       # connections per algorithm in the distribution checks
# Client addresses (added to cli0): source-hash's 20 clients, and one each for the
# weighted and least-connections checks (round-robin's is CLI_IP). The appliance does
# not translate client addresses, so one client ip:port cannot have flows through two
# virtual addresses to the same backend at once (the backend could not tell them
# apart; the appliance answers such a SYN with a RST, counted as syn_reset_conflict):
# checks that run at the same time, or close together, connect from different addresses.
LB_CLIENTS_SH=$(seq -f '198.18.0.%g' 101 120)
LB_CLIENT_W=198.18.0.121
LB_CLIENT_LC=198.18.0.122
LB_APPL_IP=198.18.0.254  # the appliance's inside address (health checks)
LB_INTERVAL_MS=500
LB_TIMEOUT_MS=400
LB_FALL=2
# Full proxy (the full-proxy section): a service on an address of its own on the
# server side, transparent (its backend is the same address, port 80: one more
# nginx serving the same files and uploads as the main one).
PROXY_IP=198.18.0.12

CURL_MAX_TIME=${LAB_CURL_MAX_TIME:-180}   # seconds, per check transfer
TINY_RUNS=${LAB_TINY_RUNS:-1}             # downloads of the tiny-window check
HTTPS_MIB_DOWN=${LAB_HTTPS_MIB_DOWN:-50}  # MiB, per suite and client, HTTPS download
HTTPS_MIB_UP=${LAB_HTTPS_MIB_UP:-20}      # MiB, per suite and client, HTTPS upload
BENCH_MIB=${LAB_BENCH_MIB:-200}
BENCH_MAX_TIME=${LAB_BENCH_MAX_TIME:-600}
START_TIMEOUT=${LAB_START_TIMEOUT:-60}
STOP_TIMEOUT=${LAB_STOP_TIMEOUT:-20}
APPLIANCE=${LAB_APPLIANCE:-$ROOT/scripts/appliance}   # the daemon's launcher

BRIDGE=appliance
THREADING=shared
DRIVER=${LAB_IO:-ring}
XDP_REDIRECT=${LAB_XDP_REDIRECT:-intercepted}
XDP_ATTACH=${LAB_XDP_ATTACH:-auto}
FAULTS=0
BENCH=0
KEEP=0
CAPTURE=""
IPV6=1
LB=1
LB_SERVICES=""
LB_DESC=""
PROXY=1
PROXY_SERVICE=""
BUILD=1
DOWN_ONLY=0
QUICK=0

usage() {
    cat <<EOF
Usage: sudo scripts/lab.sh [options]

Builds a 3-namespace lab (client -- bridge -- server), runs end-to-end checks
and prints a summary. Last line: "lab: N passed, M failed"; exit 1 on failure.

Options:
  --bridge appliance   bridge with the appliance daemon (default): builds the
                       project (mvn package), runs scripts/appliance in the
                       appliance namespace, stops it with SIGTERM at the end
                       and shows the counters it prints
  --bridge kernel      bridge with a Linux bridge br0 (baseline)
  --faults             make the appliance inject loss/reorder (5%/5%, seeds
                       11/12); only with --bridge appliance
  --threading MODE     the daemon's threading mode: shared (default) or
                       dedicated (bridge and conductor on their own threads)
  --driver DRIVER      the daemon's packet I/O (also LAB_IO=DRIVER): ring
                       (default; AF_PACKET TPACKET_V3 ring + sendmmsg), pcap
                       (pcap4j) or xdp (an XDP program hands the services'
                       flows to the daemon's AF_XDP sockets; out0 and in0 are
                       made ports of a Linux bridge br0 that forwards the rest;
                       the load-balancing section is skipped: the daemon
                       refuses xdp for load-balanced services; check io-driver
                       fails when the daemon fell back to the ring)
  --bench              after the checks, download ${BENCH_MIB} MiB and report Mbit/s
                       (and, for the appliance, its CPU seconds, CPU s/GB and
                       frames/s)
  --capture FILE       capture a 64 KiB HTTP download on cli0 (tcpdump,
                       classic pcap, microsecond timestamps) into FILE
  --no-ipv6            skip the IPv6 ping check
  --no-lb              skip the load-balancing section (virtual addresses
                       $LB_VIP_RR round-robin, $LB_VIP_SH source-hash, $LB_VIP_W
                       weighted, $LB_VIP_LC least-connections over two backends;
                       appliance only)
  --no-proxy           skip the full-proxy section (HTTPS through a full-proxy
                       service on $PROXY_IP; appliance only)
  --no-build           do not run mvn package (use the existing build)
  --quick              only ping, one 20 MiB HTTPS download (sha256 checked)
                       and the operator commands (appliance stats / flows
                       against the running daemon); implies --no-lb,
                       --no-ipv6 and LAB_EXPORTS=0; only with --bridge
                       appliance (scripts/test.sh runs it on the unpacked
                       Debian package with LAB_APPLIANCE)
  --keep               leave the lab running afterwards (for poking around);
                       remove it later with: scripts/lab.sh --down
  --down               tear down a lab left by --keep (or a crashed run); exit
  -h, --help           this help

Environment:
  LAB_PREFIX           namespace prefix (default itls): PREFIX-client,
                       PREFIX-appl, PREFIX-server
  LAB_CURL_MAX_TIME    curl --max-time per check transfer (default 180)
  LAB_HTTPS_MIB_DOWN   HTTPS download per suite and client in MiB (default 50)
  LAB_HTTPS_MIB_UP     HTTPS upload per suite and client in MiB (default 20)
  LAB_BENCH_MIB        size of the --bench download in MiB (default 200)
  LAB_START_TIMEOUT    seconds to wait for "appliance started" (default 60)
  LAB_STOP_TIMEOUT     seconds to wait for the daemon to exit on SIGTERM (20)
  LAB_APPLIANCE        the daemon launcher (default scripts/appliance), e.g.
                       usr/bin/appliance of a package unpacked with dpkg -x;
                       it also runs 'appliance stats' and 'appliance flows'
  LAB_EXPORTS          1 (default): the appliance exports its key log and the
                       servers' plaintext (checked by keylog-decrypt and
                       plaintext-export); 0: neither (benchmarks: the plaintext
                       export copies and writes every server-side frame)
  LAB_IO               the daemon's packet I/O, as --driver (ring, pcap, xdp)
  LAB_XDP_REDIRECT     with xdp: intercepted (default: the services' flows go
                       through the daemon, the rest through br0) or all (every
                       frame through the daemon; no bridge)
  LAB_XDP_ATTACH       with xdp: io.xdp.attach, auto (default), driver or generic
  LAB_ONLY             run only these check sections (space or comma separated;
                       default: all): plain (ARP, HTTP download/upload), ipv6,
                       https, metrics, tiny-window, operator, lb, proxy; ping
                       and the daemon's shutdown always run. E.g. repeat the
                       tiny-window check under faults:
                       LAB_ONLY=tiny-window scripts/lab.sh --faults
  LAB_TINY_RUNS        downloads of the tiny-window check, each its own check
                       (default 1; https-tiny-window-N when more)
  LAB_KEYLOG           the NSS key log the appliance exports every handshake's
                       secrets to (default /dev/shm/PREFIX-lab-keys.log, removed
                       at the end)
                       file (export.keyLog; scripts/capture-replay.sh)

Needs root. Installs iproute2, ethtool, nginx-light, curl, iputils-ping
(and tcpdump for --capture; maven + JDK 17, clang, llvm, libbpf-dev, python3,
tcpdump and tshark for the appliance) when missing.
EOF
}

die() { echo "lab.sh: error: $*" >&2; exit 2; }
# A failure of the thing under test before the checks could run (build, daemon
# start): reported like a failed check so the closing line is always there.
setup_fail() {
    echo "FAIL $1: $2"
    [ -z "${WORK:-}" ] || echo "logs kept in:    $WORK"
    SUMMARY_DONE=1
    echo "lab: 0 passed, 1 failed"
    exit 1
}
log() { echo "[lab] $*"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --bridge) [ $# -ge 2 ] || die "--bridge needs a value (appliance|kernel)"; BRIDGE=$2; shift 2 ;;
        --bridge=*) BRIDGE=${1#*=}; shift ;;
        --faults) FAULTS=1; shift ;;
        --threading) [ $# -ge 2 ] || die "--threading needs a value (shared|dedicated)"; THREADING=$2; shift 2 ;;
        --threading=*) THREADING=${1#*=}; shift ;;
        --driver) [ $# -ge 2 ] || die "--driver needs a value (ring|pcap|xdp)"; DRIVER=$2; shift 2 ;;
        --driver=*) DRIVER=${1#*=}; shift ;;
        --bench) BENCH=1; shift ;;
        --capture) [ $# -ge 2 ] || die "--capture needs a file name"; CAPTURE=$2; shift 2 ;;
        --capture=*) CAPTURE=${1#*=}; shift ;;
        --no-ipv6) IPV6=0; shift ;;
        --no-lb) LB=0; shift ;;
        --no-proxy) PROXY=0; shift ;;
        --no-build) BUILD=0; shift ;;
        --quick) QUICK=1; shift ;;
        --keep) KEEP=1; shift ;;
        --down) DOWN_ONLY=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
done

case "$BRIDGE" in appliance|kernel) ;; *) die "--bridge must be 'appliance' or 'kernel', not '$BRIDGE'" ;; esac
case "$THREADING" in shared|dedicated) ;; *) die "--threading must be 'shared' or 'dedicated', not '$THREADING'" ;; esac
case "$DRIVER" in ring|pcap|xdp) ;; *) die "--driver (LAB_IO) must be 'ring', 'pcap' or 'xdp', not '$DRIVER'" ;; esac
case "$XDP_REDIRECT" in intercepted|all) ;; *) die "LAB_XDP_REDIRECT must be 'intercepted' or 'all', not '$XDP_REDIRECT'" ;; esac
case "$XDP_ATTACH" in auto|driver|generic) ;; *) die "LAB_XDP_ATTACH must be 'auto', 'driver' or 'generic', not '$XDP_ATTACH'" ;; esac
XDP_SETTINGS=""   # the io.xdp settings other than the defaults
[ "$XDP_REDIRECT" = intercepted ] || XDP_SETTINGS="redirect: $XDP_REDIRECT"
[ "$XDP_ATTACH" = auto ] || XDP_SETTINGS="${XDP_SETTINGS:+$XDP_SETTINGS, }attach: $XDP_ATTACH"
# the daemon's io section (also the Ansible role's, which must write the same)
IO_YAML="{driver: $DRIVER}"
[ "$DRIVER" != xdp ] || [ -z "$XDP_SETTINGS" ] || IO_YAML="{driver: xdp, xdp: {$XDP_SETTINGS}}"
if [ "$FAULTS" = 1 ] && [ "$BRIDGE" = kernel ]; then
    die "--faults needs --bridge appliance (faults are injected by the appliance; this kernel has no netem)"
fi
if [ "$QUICK" = 1 ]; then
    [ "$BRIDGE" = appliance ] || die "--quick checks the appliance: it needs --bridge appliance"
    LB=0
    PROXY=0
    IPV6=0
    LAB_EXPORTS=${LAB_EXPORTS:-0}
fi
LAB_ONLY=${LAB_ONLY:-}
LAB_SECTIONS="plain ipv6 https metrics tiny-window operator lb proxy"
for sec in ${LAB_ONLY//,/ }; do
    [[ " $LAB_SECTIONS " == *" $sec "* ]] || die "LAB_ONLY: unknown section '$sec' (known: $LAB_SECTIONS)"
done
# section NAME: whether the checks of section NAME run (LAB_ONLY unset or naming it)
section() { [ -z "$LAB_ONLY" ] || [[ " ${LAB_ONLY//,/ } " == *" $1 "* ]]; }
section lb || LB=0
section proxy || PROXY=0
section ipv6 || IPV6=0
[[ "$TINY_RUNS" =~ ^[1-9][0-9]?$ ]] || die "LAB_TINY_RUNS must be a whole number from 1 to 99, not '$TINY_RUNS'"
for v in HTTPS_MIB_DOWN HTTPS_MIB_UP; do
    [[ "${!v}" =~ ^[1-9][0-9]{0,4}$ ]] || die "LAB_$v must be a whole number of MiB from 1, not '${!v}'"
done
[[ "$PREFIX" =~ ^[A-Za-z0-9_.-]{1,20}$ ]] || die "LAB_PREFIX must be 1-20 characters of [A-Za-z0-9_.-]"
if [ -n "$CAPTURE" ]; then
    case "$CAPTURE" in /*) ;; *) CAPTURE="$PWD/$CAPTURE" ;; esac
    [ -d "$(dirname "$CAPTURE")" ] || die "--capture: directory $(dirname "$CAPTURE") does not exist"
fi
if [ "$(id -u)" != 0 ]; then
    die "must run as root (it creates network namespaces): sudo $0 $*"
fi

# ---------------------------------------------------------------- tools ----
APT_UPDATED=0
ensure_pkgs() {  # ensure_pkgs CMD:PKG ...  installs PKG when CMD is missing (CMD may be an absolute file path)
    local want=() spec probe
    for spec in "$@"; do
        probe=${spec%%:*}
        if [[ "$probe" == /* ]]; then [ -e "$probe" ] || want+=("${spec#*:}")
        else command -v "$probe" >/dev/null 2>&1 || want+=("${spec#*:}"); fi
    done
    [ ${#want[@]} -gt 0 ] || return 0
    log "installing missing tools: ${want[*]}"
    command -v apt-get >/dev/null || die "missing ${want[*]} and no apt-get to install them"
    if [ "$APT_UPDATED" = 0 ]; then
        apt-get update -qq >/dev/null || die "apt-get update failed"
        APT_UPDATED=1
    fi
    # Keep Debian's nginx package from starting a system nginx on the host
    # during installation (only if no policy is in place already).
    local policy_added=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_added=1
    fi
    local rc=0
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${want[@]}" >/dev/null || rc=$?
    [ "$policy_added" = 0 ] || rm -f /usr/sbin/policy-rc.d
    [ "$rc" = 0 ] || die "apt-get install ${want[*]} failed"
}

# ------------------------------------------------------------- teardown ----
ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx -- "$1"; }

kill_ns_procs() {  # kill whatever still runs inside one of *our* namespaces
    local ns=$1 pids
    pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ') || true
    [ -n "${pids// /}" ] || return 0
    # shellcheck disable=SC2086
    kill -TERM $pids 2>/dev/null || true
    local i
    for i in $(seq 1 30); do
        pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ') || true
        [ -n "${pids// /}" ] || return 0
        sleep 0.1
    done
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.2
}

KEPT_STATE="/tmp/$PREFIX-lab.kept"   # holds the temp dir of a lab left by --keep
delete_lab_namespaces() {
    local ns kept
    for ns in "$NS_C" "$NS_A" "$NS_S"; do
        if ns_exists "$ns"; then
            kill_ns_procs "$ns"
            ip netns del "$ns" 2>/dev/null || true
        fi
    done
    # the journal (and its parked flows), session cache and key log a kept lab left on tmpfs (they hold session keys)
    rm -f "/dev/shm/$PREFIX-lab-journal.dat" "/dev/shm/$PREFIX-lab-journal.dat.lock" \
        "/dev/shm/$PREFIX-lab-journal-parked.dat" \
        "/dev/shm/$PREFIX-lab-sessions.dat" "/dev/shm/$PREFIX-lab-sessions.dat.lock" \
        "/dev/shm/$PREFIX-lab-keys.log" "/dev/shm/$PREFIX-lab-keys.log.1"
    if [ -f "$KEPT_STATE" ]; then
        kept=$(cat "$KEPT_STATE")
        case "$kept" in "/tmp/$PREFIX-lab."??????) rm -rf "$kept" ;; esac
        rm -f "$KEPT_STATE"
    fi
}

# One run per prefix at a time. Taken before the EXIT trap is set, so a run
# that loses the race exits without touching the winner's namespaces.
LOCKFILE="/tmp/$PREFIX-lab.lock"
[ -d /run/lock ] && LOCKFILE="/run/lock/$PREFIX-lab.lock"
exec 9>"$LOCKFILE"
flock -n 9 || die "another lab.sh run with prefix '$PREFIX' is in progress (set LAB_PREFIX to run one beside it)"

if [ "$DOWN_ONLY" = 1 ]; then
    delete_lab_namespaces
    log "namespaces $NS_C, $NS_A, $NS_S removed (if they existed)"
    exit 0
fi

WORK=""
DAEMON_PID=""
NGINX_PID=""
CAP_PID=""
FAILED_ANY=0
SUMMARY_DONE=0

proc_tree() {  # PID and all its descendants, from /proc (no procps needed)
    local root=$1 f s pid
    local -A kids=()
    for f in /proc/[0-9]*/stat; do
        { read -r s <"$f"; } 2>/dev/null || continue
        pid=${s%% *}
        s=${s##*) }
        # shellcheck disable=SC2086
        set -- $s
        kids[$2]+="$pid "
    done
    local queue=("$root") found=()
    while [ ${#queue[@]} -gt 0 ]; do
        pid=${queue[0]}; queue=("${queue[@]:1}")
        [ -d "/proc/$pid" ] || continue
        found+=("$pid")
        # shellcheck disable=SC2206
        [ -z "${kids[$pid]:-}" ] || queue+=(${kids[$pid]})
    done
    echo "${found[*]}"
}

tree_alive() {  # true while any of the PIDs runs (zombies count as gone)
    local p s
    for p in "$@"; do
        { read -r s <"/proc/$p/stat"; } 2>/dev/null || continue
        s=${s##*) }
        [ "${s:0:1}" = Z ] || return 0
    done
    return 1
}

stop_pid_tree() {  # stop_pid_tree PID SIGNAL TIMEOUT -> 0 if exited in time
    local pid=$1 sig=$2 timeout=$3 tree i
    tree=$(proc_tree "$pid")
    [ -n "$tree" ] || return 0
    # shellcheck disable=SC2086
    kill -"$sig" $tree 2>/dev/null || true
    for i in $(seq 1 $((timeout * 10))); do
        # shellcheck disable=SC2086
        tree_alive $tree || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    return 1
}

# shellcheck disable=SC2317  # invoked from the EXIT trap
teardown() {
    local rc=$?
    set +e
    trap - EXIT INT TERM
    if [ "$KEEP" = 1 ]; then
        [ -z "$WORK" ] || echo "$WORK" > "$KEPT_STATE"
        exit "$rc"
    fi
    if [ -n "$CAP_PID" ]; then stop_pid_tree "$CAP_PID" INT 3 || stop_pid_tree "$CAP_PID" KILL 2; fi
    # (an aborted run: the orderly stop with its counters comes before the summary)
    if [ -n "$DAEMON_PID" ]; then stop_pid_tree "$DAEMON_PID" TERM 5 || stop_pid_tree "$DAEMON_PID" KILL 2; fi
    if [ -n "$NGINX_PID" ]; then stop_pid_tree "$NGINX_PID" TERM 5 || stop_pid_tree "$NGINX_PID" KILL 2; fi
    delete_lab_namespaces
    local journal=${JOURNAL:-}   # (unset when the build failed)
    for f in "$journal" "${journal%.dat}-parked.dat" "${SESSIONS:-}"; do
        case "$f" in /dev/shm/"$PREFIX"-lab-*.dat) rm -f "$f" "$f.lock" ;; esac
    done
    case "${KEYLOG:-}" in /dev/shm/"$PREFIX"-lab-keys.log) rm -f "$KEYLOG" "$KEYLOG.1" ;; esac
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        if { [ "$rc" = 0 ] && [ "$FAILED_ANY" = 0 ]; } || [ "$rc" = 130 ]; then
            rm -rf "$WORK"
        else
            # keep the logs for a post-mortem, drop the bulky payloads
            find "$WORK" -name '*.bin' -delete 2>/dev/null
            [ "$SUMMARY_DONE" = 1 ] || echo "[lab] logs kept in $WORK" >&2
        fi
    fi
    exit "$rc"
}
trap teardown EXIT
trap 'echo "[lab] interrupted, tearing down" >&2; exit 130' INT TERM

# ------------------------------------------------------------ preflight ----
ensure_pkgs ip:iproute2 ethtool:ethtool nginx:nginx-light curl:curl ping:iputils-ping sha256sum:coreutils \
    openssl:openssl
[ -n "$CAPTURE" ] && ensure_pkgs tcpdump:tcpdump
[ "$BRIDGE" = appliance ] && [ "$BUILD" = 1 ] && ensure_pkgs java:openjdk-17-jdk-headless mvn:maven
# the XDP program's toolchain
[ "$BRIDGE" = appliance ] && [ "$BUILD" = 1 ] && ensure_pkgs clang:clang llc:llvm \
    /usr/include/bpf/bpf_helpers.h:libbpf-dev
[ "$BRIDGE" = appliance ] && ensure_pkgs python3:python3 tcpdump:tcpdump   # the HTTPS forgery checks
[ "$BRIDGE" = appliance ] && ensure_pkgs tshark:tshark   # reads the plaintext export as HTTP
[ "$BRIDGE" = appliance ] && [ "$QUICK" = 0 ] && ensure_pkgs ansible-playbook:ansible   # ansible-mode-switch
[ "$BRIDGE" = appliance ] && ensure_pkgs promtool:prometheus   # `promtool check metrics` on /metrics (no service started)
nginx -V 2>&1 | grep -q -- --with-http_dav_module || die "this nginx lacks the DAV module (install nginx-light or nginx)"


WORK=$(mktemp -d "/tmp/$PREFIX-lab.XXXXXX")
chmod 755 "$WORK"
mkdir -p "$WORK/server/www" "$WORK/server/upload" "$WORK/client" "$WORK/nginx"/{body,proxy,fastcgi,uwsgi,scgi}

T_START=$(date +%s)
BUILT_DESC="nothing (kernel bridge)"

# ---------------------------------------------------------------- build ----
if [ "$BRIDGE" = appliance ]; then
    rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "no commit")
    if [ -n "$(git -C "$ROOT" status --porcelain 2>/dev/null | head -1)" ]; then rev="$rev, dirty tree"; fi
    if [ "$BUILD" = 1 ]; then
        log "building the appliance: mvn -q -B -DskipTests package (log: $WORK/build.log)"
        t0=$(date +%s)
        if ! (cd "$ROOT" && mvn -q -B -DskipTests package) >"$WORK/build.log" 2>&1; then
            echo "---- tail of $WORK/build.log ----" >&2
            tail -n 40 "$WORK/build.log" | sed "s/\x1b\[[0-9;]*m//g" >&2
            setup_fail build "mvn -q -B -DskipTests package failed in $ROOT (log: $WORK/build.log)"
        fi
        BUILT_DESC="appliance from $ROOT ($rev), mvn package in $(( $(date +%s) - t0 )) s"
    else
        BUILT_DESC="appliance from $ROOT ($rev), not rebuilt (--no-build)"
    fi
    [ -z "${LAB_APPLIANCE:-}" ] || BUILT_DESC="$BUILT_DESC; daemon run by LAB_APPLIANCE=$LAB_APPLIANCE"
    [ -x "$APPLIANCE" ] || setup_fail appliance-start "$APPLIANCE is missing or not executable (the kernel baseline: --bridge kernel)"
fi

# -------------------------------------------------------------- network ----
delete_lab_namespaces   # stale ones from an earlier run with the same prefix

log "creating namespaces $NS_C, $NS_A, $NS_S"
for ns in "$NS_C" "$NS_A" "$NS_S"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
done
# The appliance namespace must not speak on the wire: no IPv6 (no link-local
# addresses, no router/neighbour solicitations) and no IPv4 addresses (except,
# with the LB section, $LB_APPL_IP on in0: the health checks' source).
ip netns exec "$NS_A" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
# Create the pairs from inside the appliance namespace; each peer goes
# straight into its own namespace, so the host namespace is never involved.
ip netns exec "$NS_A" ip link add out0 address "$MAC_OUT" type veth peer name cli0 address "$MAC_CLI" netns "$NS_C"
ip netns exec "$NS_A" ip link add in0 address "$MAC_IN" type veth peer name srv0 address "$MAC_SRV" netns "$NS_S"

offloads_off() {  # offloads_off NS DEV
    ip netns exec "$1" ethtool -K "$2" gro off gso off tso off tx off >/dev/null
    ip netns exec "$1" ethtool -K "$2" lro off >/dev/null 2>&1 || true   # often fixed off on veth
}
offloads_off "$NS_C" cli0
offloads_off "$NS_A" out0
offloads_off "$NS_A" in0
offloads_off "$NS_S" srv0

for pair in "$NS_C:cli0" "$NS_S:srv0"; do
    ns=${pair%%:*} dev=${pair#*:}
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=$((1 - IPV6))"
    if [ "$IPV6" = 1 ]; then
        ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$dev.accept_ra=0" "net.ipv6.conf.$dev.router_solicitations=0"
    fi
done
ip -n "$NS_C" addr add "$CLI_IP/24" dev cli0
ip -n "$NS_S" addr add "$SRV_IP/24" dev srv0
if [ "$IPV6" = 1 ]; then
    ip -n "$NS_C" addr add "$CLI_IP6/64" dev cli0 nodad
    ip -n "$NS_S" addr add "$SRV_IP6/64" dev srv0 nodad
fi
ip -n "$NS_A" link set out0 up
ip -n "$NS_A" link set in0 up

# the kernel baseline, and the daemon on XDP (io.xdp.redirect: intercepted): the bridge forwards what the XDP
# program does not hand the daemon; it has no address (the appliance namespace stays silent)
if [ "$BRIDGE" = kernel ] || { [ "$DRIVER" = xdp ] && [ "$XDP_REDIRECT" = intercepted ]; }; then
    ip -n "$NS_A" link add br0 type bridge stp_state 0 forward_delay 0
    ip -n "$NS_A" link set out0 master br0
    ip -n "$NS_A" link set in0 master br0
    ip -n "$NS_A" link set br0 up
fi
ip -n "$NS_C" link set cli0 up
ip -n "$NS_S" link set srv0 up

# --------------------------------------------------------------- server ----
log "generating payloads"
head -c $((20 * 1024 * 1024)) /dev/urandom > "$WORK/server/www/file-20m.bin"
# 64 KiB, deterministic and self-describing: line n (8 bytes) is "%07d\n" of n,
# so the byte at offset o belongs to line o/8. Used by --capture.
seq -f '%07g' 0 8191 > "$WORK/server/www/file-64k.bin"
head -c $((10 * 1024 * 1024)) /dev/urandom > "$WORK/client/upload-10m.bin"
SHA_DL=$(sha256sum "$WORK/server/www/file-20m.bin" | cut -d' ' -f1)
SHA_UP=$(sha256sum "$WORK/client/upload-10m.bin" | cut -d' ' -f1)

listen6=""
[ "$IPV6" = 1 ] && listen6="listen [$SRV_IP6]:80;"
sed -e "s|@WORK@|$WORK|g" -e "s|@LISTEN6@|$listen6|" "$LABDIR/nginx.conf.in" > "$WORK/nginx/nginx.conf"
ip netns exec "$NS_S" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" -t -q \
    >"$WORK/nginx/configtest.log" 2>&1 || { cat "$WORK/nginx/configtest.log" >&2; die "nginx config test failed"; }
ip netns exec "$NS_S" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" \
    >"$WORK/nginx/stdout.log" 2>&1 9>&- &
NGINX_PID=$!
nginx_up=0
for i in $(seq 1 100); do
    if ip netns exec "$NS_S" bash -c "exec 3<>/dev/tcp/$SRV_IP/80" 2>/dev/null; then nginx_up=1; break; fi
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.1
done
if [ "$nginx_up" = 0 ]; then
    cat "$WORK/nginx/error.log" "$WORK/nginx/stdout.log" >&2 2>/dev/null || true
    die "nginx did not come up on $SRV_IP:80 in $NS_S"
fi
log "nginx (pid $NGINX_PID) listening on $SRV_IP:80 in $NS_S"

# ------------------------------------------------- load balancing: setup ----
# Two more addresses on srv0, each with an nginx of its own serving whoami.txt
# (its name) and the same 2 MiB file; the appliance gets an inside address to
# check them from. Skipped with --no-lb and with the kernel bridge.
[ "$BRIDGE" = appliance ] || LB=0
if [ "$DRIVER" = xdp ] && [ "$LB" = 1 ]; then
    log "load-balancing section skipped: io.driver xdp refuses load-balanced services (ARP for the virtual addresses and the health checks' answers must not be taken from the kernel); run it on the ring"
    LB=0
fi
declare -a LB_NGINX_PIDS=()
lb_nginx_start() {  # lb_nginx_start INDEX: (re)starts backend INDEX's nginx, waits until it listens
    local i=$1 ip=${LB_BACKENDS[$1]} dir="$WORK/lb/b$1" n
    ip netns exec "$NS_S" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 9>&- &
    LB_NGINX_PIDS[$i]=$!
    for n in $(seq 1 100); do
        ip netns exec "$NS_S" bash -c "exec 3<>/dev/tcp/$ip/80" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
if [ "$LB" = 1 ]; then
    ip -n "$NS_A" addr add "$LB_APPL_IP/24" dev in0
    head -c $((2 * 1024 * 1024)) /dev/urandom > "$WORK/lb-2m.bin"
    SHA_LB=$(sha256sum "$WORK/lb-2m.bin" | cut -d' ' -f1)
    for i in "${!LB_BACKENDS[@]}"; do
        ip -n "$NS_S" addr add "${LB_BACKENDS[$i]}/24" dev srv0
        dir="$WORK/lb/b$i"
        mkdir -p "$dir/www" "$dir"/{body,proxy,fastcgi,uwsgi,scgi}
        echo "b$i" > "$dir/www/whoami.txt"
        cp "$WORK/lb-2m.bin" "$dir/www/lb-2m.bin"
        cat > "$dir/nginx.conf" <<NGINX
daemon off;
master_process on;
worker_processes 1;
user root;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    default_type application/octet-stream;
    keepalive_timeout 300;   # the least-connections check holds connections open
    server { listen ${LB_BACKENDS[$i]}:80; root $dir/www; }
    server { listen ${LB_BACKENDS[$i]}:$LB_COOKIE_PORT; root $dir/www; add_header Set-Cookie "SERVERID=b$i; Path=/" always; }
    server {
        listen ${LB_BACKENDS[$i]}:$LB_PP_PORT proxy_protocol;
        location = /pp { default_type text/plain; return 200 "\$proxy_protocol_addr\n"; }
    }
}
NGINX
        lb_nginx_start "$i" || die "the LB backend nginx did not come up on ${LB_BACKENDS[$i]}:80"
    done
    log "LB backends ${LB_BACKENDS[*]} (nginx pids ${LB_NGINX_PIDS[*]}), appliance inside address $LB_APPL_IP"
    lb_service() {  # lb_service NAME VIP ALGORITHM [WEIGHT...]: one line of the services list
        local backends="" i
        for i in "${!LB_BACKENDS[@]}"; do
            backends+="${backends:+, }{address: ${LB_BACKENDS[$i]}${4:+, weight: ${LB_WEIGHTS[$i]}}}"
        done
        echo "  - {name: $1, mode: load-balancing, listen: '$2:443', algorithm: $3, backends: [$backends], healthCheck: {type: http, path: /whoami.txt, intervalMs: $LB_INTERVAL_MS, timeoutMs: $LB_TIMEOUT_MS, rise: 2, fall: $LB_FALL, sourceAddress: $LB_APPL_IP}}"
    }
    LB_SERVICES="$(lb_service shop "$LB_VIP_RR" round-robin)
$(lb_service shop-sh "$LB_VIP_SH" source-hash)
$(lb_service shop-w "$LB_VIP_W" weighted weights)
$(lb_service shop-lc "$LB_VIP_LC" least-connections)
  - {name: shop-cookie, mode: load-balancing, listen: '$LB_VIP_CK:443', algorithm: round-robin, backends: [{address: ${LB_BACKENDS[0]}, port: $LB_COOKIE_PORT, cookie: b0}, {address: ${LB_BACKENDS[1]}, port: $LB_COOKIE_PORT, cookie: b1}], persistence: {type: cookie, cookieName: SERVERID}, healthCheck: {type: http, path: /whoami.txt, intervalMs: $LB_INTERVAL_MS, timeoutMs: $LB_TIMEOUT_MS, rise: 2, fall: $LB_FALL, sourceAddress: $LB_APPL_IP}}
  - {name: shop-pp, mode: load-balancing, listen: '$LB_VIP_PP:443', backends: [{address: ${LB_BACKENDS[0]}, port: $LB_PP_PORT}], proxyProtocol: v2, healthCheck: {type: tcp, intervalMs: $LB_INTERVAL_MS, timeoutMs: $LB_TIMEOUT_MS, rise: 2, fall: $LB_FALL, sourceAddress: $LB_APPL_IP}}"
fi

# ----------------------------------------------------- full proxy: setup ----
# $PROXY_IP on srv0 with an nginx of its own (the lab's nginx.conf.in on that
# address: the same files and upload directory); the full-proxy service in front
# of it, written on one line so that the reload checks' line edits of the direct
# service leave it alone (a reload that changes a full-proxy service is
# rejected). Skipped with --no-proxy and with the kernel bridge.
[ "$BRIDGE" = appliance ] || PROXY=0
PROXY_NGINX_PID=""
if [ "$PROXY" = 1 ]; then
    ip -n "$NS_S" addr add "$PROXY_IP/24" dev srv0
    dir="$WORK/proxy/nginx"
    mkdir -p "$dir"/{body,proxy,fastcgi,uwsgi,scgi}
    sed -e "s|@WORK@/nginx/|$dir/|g" -e "s|@WORK@|$WORK|g" -e "s|listen $SRV_IP:80;|listen $PROXY_IP:80;|" \
        -e "s|@LISTEN6@||" "$LABDIR/nginx.conf.in" > "$dir/nginx.conf"
    grep -q "listen $PROXY_IP:80;" "$dir/nginx.conf" || die "nginx.conf.in no longer has 'listen $SRV_IP:80;'"
    ip netns exec "$NS_S" nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 9>&- &
    PROXY_NGINX_PID=$!
    up=0
    for _ in $(seq 1 100); do
        if ip netns exec "$NS_S" bash -c "exec 3<>/dev/tcp/$PROXY_IP/80" 2>/dev/null; then up=1; break; fi
        sleep 0.1
    done
    [ "$up" = 1 ] || die "the full-proxy backend nginx did not come up on $PROXY_IP:80"
    log "full-proxy backend nginx (pid $PROXY_NGINX_PID) on $PROXY_IP:80"
    PROXY_SERVICE="  - {name: proxied, mode: full-proxy, listen: '$PROXY_IP:443', backendPort: 80}"
fi

# start_daemon LOG: starts the appliance in its namespace and waits for
# "appliance started" (a setup failure otherwise); sets DAEMON_PID.
start_daemon() {
    local logfile=$1 t0 drc
    log "starting: ip netns exec $NS_A ${APPLIANCE#"$ROOT"/} run --config $CFG (log: $logfile)"
    ip netns exec "$NS_A" "$APPLIANCE" run --config "$CFG" </dev/null >"$logfile" 2>&1 9>&- &
    DAEMON_PID=$!
    t0=$(date +%s)
    while ! grep -q 'appliance started' "$logfile" 2>/dev/null; do
        if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
            wait "$DAEMON_PID" 2>/dev/null && drc=0 || drc=$?
            DAEMON_PID=""
            echo "---- $logfile ----" >&2; tail -n 40 "$logfile" >&2
            setup_fail appliance-start "the daemon exited (status $drc) before logging 'appliance started' (log: $logfile)"
        fi
        if [ $(( $(date +%s) - t0 )) -ge "$START_TIMEOUT" ]; then
            echo "---- $logfile ----" >&2; tail -n 40 "$logfile" >&2
            setup_fail appliance-start "no 'appliance started' in $logfile after ${START_TIMEOUT} s"
        fi
        sleep 0.2
    done
    log "appliance started (pid $DAEMON_PID) after $(( $(date +%s) - t0 )) s"
}

# ------------------------------------------------------------ appliance ----
CFG=""
JOURNAL=""
SESSIONS=""
DAEMON_LOG=""
METRICS_PORT=9400
KEYLOG=""
if [ "$BRIDGE" = appliance ]; then
    # in a folder of its own: the Ansible check's role owns it (mode 0750); the old path still reads it
    mkdir -p "$WORK/etc"
    CFG="$WORK/etc/appliance.yaml"
    ln -s etc/appliance.yaml "$WORK/appliance.yaml"
    sed -e "s/^  mode: shared$/  mode: $THREADING/" -e "s/^  driver: ring$/  driver: $DRIVER/" \
        "$LABDIR/appliance.yaml" > "$CFG"
    if [ "$DRIVER" = xdp ] && [ -n "$XDP_SETTINGS" ]; then
        sed -i "s/^  driver: xdp$/  driver: xdp\n  xdp: {$XDP_SETTINGS}/" "$CFG"
    fi
    [ "$FAULTS" = 1 ] && cat "$LABDIR/faults.yaml" >> "$CFG"
    # Our own runtime directory (counters file for `appliance stats`), so that
    # the lab never collides with another daemon on the machine.
    mkdir -p "$WORK/run"
    printf 'runtime:\n  directory: %s\n' "$WORK/run" >> "$CFG"
    # The protected web server: nginx answers plain HTTP on :80 and the
    # appliance terminates TLS for 443 in front of it (direct mode). A
    # throw-away self-signed P-256 certificate, made for this run.
    mkdir -p "$WORK/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" -subj "/CN=server.lab" \
        -addext "subjectAltName=DNS:server.lab,IP:$SRV_IP" >"$WORK/tls/openssl.log" 2>&1 ||
        setup_fail tls-certificate "openssl could not make the lab certificate (see $WORK/tls/openssl.log)"
    chmod 600 "$WORK/tls/key.pem"
    JOURNAL="/dev/shm/$PREFIX-lab-journal.dat"
    SESSIONS="/dev/shm/$PREFIX-lab-sessions.dat"
    rm -f "$JOURNAL" "$JOURNAL.lock" "$SESSIONS" "$SESSIONS.lock"
    cat >> "$CFG" <<YAML
tls:
  sessionCache:
    path: $SESSIONS
certificates:
  - chain: $WORK/tls/cert.pem
    key: $WORK/tls/key.pem
services:
  - name: web
    mode: direct
    listen: $SRV_IP:443
    backendPort: 80
${LB_SERVICES:+$LB_SERVICES
}${PROXY_SERVICE:+$PROXY_SERVICE
}journal:
  path: $JOURNAL
  maxFlows: 1024
  ringCapacity: 256
YAML
    # The management endpoint (checked by metrics-export) and the opt-in exports: the plaintext pcap the
    # servers' side sees (small rotation: the HTTPS matrix moves ~1 GB), and the key log when asked
    # (scripts/capture-replay.sh records the replay test's captures with it).
    printf 'metrics:\n  address: "127.0.0.1:%s"\n' "$METRICS_PORT" >> "$CFG"
    if [ "${LAB_EXPORTS:-1}" = 1 ]; then
        printf 'export:\n  plaintextPcap: %s\n  plaintextPcapMaxBytes: 16777216\n' "$WORK/plain.pcap" >> "$CFG"
        KEYLOG=${LAB_KEYLOG:-/dev/shm/$PREFIX-lab-keys.log}   # throw-away lab keys, on tmpfs; checked by keylog-decrypt
        rm -f "/dev/shm/$PREFIX-lab-keys.log" "/dev/shm/$PREFIX-lab-keys.log.1"
        printf '  keyLog: %s\n' "$KEYLOG" >> "$CFG"
    elif [ -n "${LAB_KEYLOG:-}" ]; then
        KEYLOG=$LAB_KEYLOG
        printf 'export:\n  keyLog: %s\n' "$KEYLOG" >> "$CFG"
    fi
    DAEMON_LOG="$WORK/appliance.log"
    start_daemon "$DAEMON_LOG"
fi

# --------------------------------------------------------------- checks ----
declare -a CHECK_NAMES=() CHECK_RESULTS=()
NPASS=0
NFAIL=0
pass() { CHECK_NAMES+=("$1"); CHECK_RESULTS+=("PASS${2:+  ($2)}"); NPASS=$((NPASS + 1)); echo "PASS $1${2:+  ($2)}"; }
fail() { CHECK_NAMES+=("$1"); CHECK_RESULTS+=("FAIL: $2"); NFAIL=$((NFAIL + 1)); FAILED_ANY=1; echo "FAIL $1: $2"; }

human_speed() {  # bytes/s -> "12.3 MiB/s (103.2 Mbit/s)"
    awk -v b="$1" 'BEGIN { printf "%.1f MiB/s (%.1f Mbit/s)", b / 1048576, b * 8 / 1e6 }'
}

CURL=(ip netns exec "$NS_C" curl -sS -4 --noproxy '*' --connect-timeout 10 --max-time "$CURL_MAX_TIME")
SPEED_DL="-"
SPEED_UP="-"

# (1) ping
if pout=$(ip netns exec "$NS_C" ping -c 3 -i 0.2 -W 2 -w 15 "$SRV_IP" 2>&1); then :; fi
recv=$(echo "$pout" | sed -n 's/.* \([0-9]\+\) received.*/\1/p')
sent=$(echo "$pout" | sed -n 's/^\([0-9]\+\) packets transmitted.*/\1/p')
rtt=$(echo "$pout" | sed -n 's|^rtt .* = [0-9.]*/\([0-9.]*\)/.*|\1|p')
recv=${recv:-0}
if [ "$recv" -ge 3 ] || { [ "$FAULTS" = 1 ] && [ "$recv" -ge 1 ]; }; then
    pass ping "${sent:-?} sent, $recv received, avg rtt ${rtt:-?} ms"
else
    fail ping "${sent:-?} sent, $recv received from $SRV_IP"
fi

# the daemon runs on the driver asked for (a fallback, e.g. xdp -> ring, would pass the other checks unseen)
if [ "$BRIDGE" = appliance ] && [ -n "$DAEMON_LOG" ] && [ "$DRIVER" != ring ]; then
    started=$(grep -o 'appliance started: .*' "$DAEMON_LOG" | tail -1)
    if [[ "$started" == *"($THREADING threading, $DRIVER I/O"* ]]; then
        started=${started#*threading, }
        pass io-driver "${started%)}"
    else
        fail io-driver "asked for $DRIVER, the daemon says '${started:-nothing}': $(grep -o 'falling back to .*' "$DAEMON_LOG" | head -2 | tr '\n' ' ')"
    fi
fi

# (2)-(4) ARP, plain HTTP download and upload (not with --quick)
if [ "$QUICK" = 0 ] && section plain; then
    # (2) ARP
    srv_mac=$(ip -n "$NS_S" -o link show srv0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
    neigh=$(ip -n "$NS_C" neigh show "$SRV_IP" dev cli0 2>/dev/null || true)
    n_mac=$(echo "$neigh" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
    n_state=$(echo "$neigh" | awk '{print $NF}')
    case "$n_state" in
        REACHABLE|STALE|DELAY)
            if [ "$n_mac" = "$srv_mac" ]; then pass arp "$SRV_IP is $n_mac, $n_state"
            else fail arp "neighbour $SRV_IP is '$n_mac', server srv0 is $srv_mac"; fi ;;
        *) fail arp "neighbour entry for $SRV_IP: '${neigh:-none}'" ;;
    esac

    # (3) download
    dl="$WORK/client/file-20m.bin"
    if w=$("${CURL[@]}" -o "$dl" -w '%{http_code} %{speed_download} %{size_download}' "http://$SRV_IP/file-20m.bin" 2>"$WORK/client/curl-dl.err"); then
        read -r code speed size <<<"$w"
        sha=$(sha256sum "$dl" | cut -d' ' -f1)
        if [ "$code" = 200 ] && [ "$sha" = "$SHA_DL" ]; then
            SPEED_DL=$(human_speed "$speed"); pass download-20MiB "$SPEED_DL"
        else
            fail download-20MiB "HTTP $code, $size bytes, sha256 ${sha:0:16}... != server ${SHA_DL:0:16}..."
        fi
    else
        fail download-20MiB "$(tr '\n' ' ' <"$WORK/client/curl-dl.err")"
    fi
    rm -f "$dl"

    # (4) upload
    if w=$("${CURL[@]}" -H 'Expect:' -T "$WORK/client/upload-10m.bin" -o /dev/null -w '%{http_code} %{speed_upload} %{size_upload}' "http://$SRV_IP/upload/upload-10m.bin" 2>"$WORK/client/curl-up.err"); then
        read -r code speed size <<<"$w"
        sha=$(sha256sum "$WORK/server/upload/upload-10m.bin" 2>/dev/null | cut -d' ' -f1 || true)
        if { [ "$code" = 201 ] || [ "$code" = 204 ]; } && [ "$sha" = "$SHA_UP" ]; then
            SPEED_UP=$(human_speed "$speed"); pass upload-10MiB "$SPEED_UP"
        else
            fail upload-10MiB "HTTP $code, $size bytes sent, server sha256 '${sha:0:16}...' != client ${SHA_UP:0:16}..."
        fi
    else
        fail upload-10MiB "$(tr '\n' ' ' <"$WORK/client/curl-up.err")"
    fi
    rm -f "$WORK/server/upload/upload-10m.bin"
fi

# (5) IPv6 ping
if [ "$IPV6" = 1 ]; then
    if pout=$(ip netns exec "$NS_C" ping -6 -c 3 -i 0.2 -W 2 -w 15 "$SRV_IP6" 2>&1); then :; fi
    recv=$(echo "$pout" | sed -n 's/.* \([0-9]\+\) received.*/\1/p')
    sent=$(echo "$pout" | sed -n 's/^\([0-9]\+\) packets transmitted.*/\1/p')
    recv=${recv:-0}
    if [ "$recv" -ge 3 ] || { [ "$FAULTS" = 1 ] && [ "$recv" -ge 1 ]; }; then
        pass ping6 "${sent:-?} sent, $recv received"
    else
        fail ping6 "${sent:-?} sent, $recv received from $SRV_IP6"
    fi
fi

# ------------------------------------------------------------- HTTPS ----
# Through the appliance in direct mode: the client speaks TLS to the server's
# own address on 443, nginx sees plain HTTP on 80. --quick: one download.
if [ "$BRIDGE" = appliance ] && [ "$QUICK" = 1 ]; then
    dl="$WORK/client/file-20m-https.bin"
    if w=$("${CURL[@]}" -k -o "$dl" -w '%{http_code} %{speed_download} %{size_download}' "https://$SRV_IP/file-20m.bin" 2>"$WORK/client/curl-https.err"); then
        read -r code speed size <<<"$w"
        sha=$(sha256sum "$dl" | cut -d' ' -f1)
        if [ "$code" = 200 ] && [ "$sha" = "$SHA_DL" ]; then
            pass https-download-20MiB "$(human_speed "$speed"), sha256 ok"
        else
            fail https-download-20MiB "HTTP $code, $size bytes, sha256 ${sha:0:16}... != server ${SHA_DL:0:16}..."
        fi
    else
        fail https-download-20MiB "$(tr '\n' ' ' <"$WORK/client/curl-https.err")"
    fi
    rm -f "$dl"
fi
if [ "$BRIDGE" = appliance ] && [ "$QUICK" = 0 ] && section https; then
    # Every AEAD suite the lab certificate (EC P-256) allows, each negotiated
    # alone, with curl and with openssl s_client: a download and a PUT upload
    # each, sha256 compared (sizes: LAB_HTTPS_MIB_DOWN / LAB_HTTPS_MIB_UP).
    log "HTTPS: generating ${HTTPS_MIB_DOWN} MiB to download, ${HTTPS_MIB_UP} MiB to upload"
    head -c $((HTTPS_MIB_DOWN * 1048576)) /dev/urandom > "$WORK/server/www/file-https.bin"
    head -c $((HTTPS_MIB_UP * 1048576)) /dev/urandom > "$WORK/client/upload-https.bin"
    SHA_HTTPS_DL=$(sha256sum "$WORK/server/www/file-https.bin" | cut -d' ' -f1)
    SHA_HTTPS_UP=$(sha256sum "$WORK/client/upload-https.bin" | cut -d' ' -f1)
    mib_per_s() {  # mib_per_s BYTES SECONDS
        awk -v b="$1" -v t="$2" 'BEGIN { if (t <= 0) t = 0.001; printf "%.1f MiB/s", b / t / 1048576 }'
    }
    seconds_since() {  # seconds_since T0 (from date +%s.%N)
        awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { print b - a }'
    }
    # the server's copy of an upload, checked and removed: upload_result NAME CODE -> "" or what is wrong
    upload_result() {
        local f="$WORK/server/upload/$1" sha
        sha=$(sha256sum "$f" 2>/dev/null | cut -d' ' -f1 || true)
        rm -f "$f"
        if { [ "$2" = 201 ] || [ "$2" = 204 ]; } && [ "$sha" = "$SHA_HTTPS_UP" ]; then return 0; fi
        echo "upload: HTTP $2, server sha256 '${sha:0:16}' != client ${SHA_HTTPS_UP:0:16}"
        return 1
    }

    https_curl() {  # https_curl CHECK HOST SUITE CURL-TLS-OPTIONS...
        local check=$1 host=$2 suite=$3 w code speed size sha bad="" down="" up="" err="$WORK/client/curl-$1.err"
        local dl="$WORK/client/https-dl.bin"
        shift 3
        if w=$("${CURL[@]}" -k "$@" -o "$dl" -w '%{http_code} %{speed_download} %{size_download}' \
                "https://$host/file-https.bin" 2>"$err"); then
            read -r code speed size <<<"$w"
            sha=$(sha256sum "$dl" | cut -d' ' -f1)
            if [ "$code" = 200 ] && [ "$sha" = "$SHA_HTTPS_DL" ]; then
                down="down ${HTTPS_MIB_DOWN} MiB $(mib_per_s "$speed" 1)"
            else bad="download: HTTP $code, $size bytes, sha256 ${sha:0:16} != server ${SHA_HTTPS_DL:0:16}; "; fi
        else
            bad="download: $(tr '\n' ' ' <"$err"); "
        fi
        rm -f "$dl"
        if w=$("${CURL[@]}" -k "$@" -H 'Expect:' -T "$WORK/client/upload-https.bin" -o /dev/null \
                -w '%{http_code} %{speed_upload}' "https://$host/upload/$check.bin" 2>"$err"); then
            read -r code speed <<<"$w"
            if w=$(upload_result "$check.bin" "$code"); then up="up ${HTTPS_MIB_UP} MiB $(mib_per_s "$speed" 1)"
            else bad+="$w"; fi
        else
            bad+="upload: $(tr '\n' ' ' <"$err")"
            rm -f "$WORK/server/upload/$check.bin"
        fi
        if [ -z "$bad" ]; then pass "$check" "$suite: $down, $up"; else fail "$check" "$suite: $bad"; fi
    }

    # openssl s_client -quiet: no commands on stdin, stdin's end does not close the connection; the server
    # closes it (Connection: close). http_sha256.py strips the response header and hashes the body.
    s_client_errors() {  # what s_client said, without its certificate chatter
        grep -v -e '^depth=' -e '^verify ' -e 'SSL_get_servername' "$1" | tr '\n' ' ' || true
    }
    https_s_client() {  # https_s_client CHECK HOST SUITE S_CLIENT-TLS-OPTIONS...
        local check=$1 host=$2 suite=$3 r t0 t1 code size sha bad="" down="" up="" err="$WORK/client/s_client-$1.err"
        shift 3
        t0=$(date +%s.%N)
        r=$(printf 'GET /file-https.bin HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" |
            ip netns exec "$NS_C" timeout "$CURL_MAX_TIME" openssl s_client -quiet -connect "$host:443" "$@" \
                2>"$err" | python3 "$LABDIR/http_sha256.py") || true
        t1=$(seconds_since "$t0")
        read -r code size sha <<<"${r:-000 0 -}"
        if [ "$code" = 200 ] && [ "$sha" = "$SHA_HTTPS_DL" ]; then
            down="down ${HTTPS_MIB_DOWN} MiB $(mib_per_s "$size" "$t1")"
        else
            bad="download: HTTP $code, $size bytes, sha256 ${sha:0:16} != server ${SHA_HTTPS_DL:0:16} ($(
                s_client_errors "$err")); "
        fi
        size=$(stat -c %s "$WORK/client/upload-https.bin")
        t0=$(date +%s.%N)
        r=$({ printf 'PUT /upload/%s.bin HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n' \
                "$check" "$host" "$size"; cat "$WORK/client/upload-https.bin"; } |
            ip netns exec "$NS_C" timeout "$CURL_MAX_TIME" openssl s_client -quiet -connect "$host:443" "$@" \
                2>"$err" | python3 "$LABDIR/http_sha256.py") || true
        t1=$(seconds_since "$t0")
        read -r code _ <<<"${r:-000}"
        if r=$(upload_result "$check.bin" "$code"); then
            up="up ${HTTPS_MIB_UP} MiB $(mib_per_s "$size" "$t1")"
        else
            bad+="$r ($(s_client_errors "$err"))"
        fi
        if [ -z "$bad" ]; then pass "$check" "$suite: $down, $up"; else fail "$check" "$suite: $bad"; fi
    }

    # https_matrix PREFIX HOST VERSION:SUITE:SHORT...: each suite alone, with curl and with openssl s_client
    # (checks PREFIX-curl-VERSION-SHORT and PREFIX-s_client-VERSION-SHORT)
    https_matrix() {
        local prefix=$1 host=$2 spec ver name short
        shift 2
        for spec in "$@"; do
            IFS=: read -r ver name short <<<"$spec"
            if [ "$ver" = tls13 ]; then
                https_curl "$prefix-curl-$ver-$short" "$host" "$name" --tlsv1.3 --tls13-ciphers "$name"
                https_s_client "$prefix-s_client-$ver-$short" "$host" "$name" -tls1_3 -ciphersuites "$name"
            else
                https_curl "$prefix-curl-$ver-$short" "$host" "$name" --tlsv1.2 --tls-max 1.2 --ciphers "$name"
                https_s_client "$prefix-s_client-$ver-$short" "$host" "$name" -tls1_2 -cipher "$name"
            fi
        done
    }
    t_matrix=$(date +%s)
    https_matrix https "$SRV_IP" tls13:TLS_AES_128_GCM_SHA256:aes128-gcm tls13:TLS_AES_256_GCM_SHA384:aes256-gcm \
        tls13:TLS_CHACHA20_POLY1305_SHA256:chacha20 tls12:ECDHE-ECDSA-AES128-GCM-SHA256:aes128-gcm \
        tls12:ECDHE-ECDSA-AES256-GCM-SHA384:aes256-gcm tls12:ECDHE-ECDSA-CHACHA20-POLY1305:chacha20
    # (the payloads stay for the full-proxy section; removed after it)
    log "HTTPS: 6 suites x 2 clients x (${HTTPS_MIB_DOWN} MiB down + ${HTTPS_MIB_UP} MiB up)" \
        "in $(( $(date +%s) - t_matrix )) s"

    # A TLS 1.2 session resumed through the appliance (session id cache): tls12_resumed CHECK HOST
    tls12_resumed() {
        local check=$1 host=$2 sess="$WORK/client/$1.session" r1 r2
        r1=$(echo | ip netns exec "$NS_C" timeout 20 openssl s_client -connect "$host:443" -tls1_2 \
            -sess_out "$sess" 2>&1 </dev/null | grep -E '^(New|Reused),' | head -1 || true)
        r2=$(echo | ip netns exec "$NS_C" timeout 20 openssl s_client -connect "$host:443" -tls1_2 \
            -sess_in "$sess" 2>&1 </dev/null | grep -E '^(New|Reused),' | head -1 || true)
        if [ "${r1%%,*}" = New ] && [ "${r2%%,*}" = Reused ]; then pass "$check" "$r2"
        else fail "$check" "first: '${r1:-no handshake}', second: '${r2:-no handshake}'"; fi
    }
    tls12_resumed tls12-resumed "$SRV_IP"

    # TLS 1.3: the appliance issues the ticket itself after the hand-over and answers the PSK handshake.
    # The ticket comes after the handshake: the first client stays 2 s for it (it may need a retransmission under
    # --faults); a client that still got none tries once more, as a browser would. tls13_resumed CHECK HOST
    tls13_resumed() {
        local check=$1 host=$2 sess="$WORK/client/$1.session" r1 r2 attempt
        for attempt in 1 2; do
            rm -f "$sess"
            r1=$(sleep 2 | ip netns exec "$NS_C" timeout 20 openssl s_client -connect "$host:443" -tls1_3 \
                -sess_out "$sess" 2>&1 | grep -E '^(New|Reused),' | head -1 || true)
            [ -s "$sess" ] && break
        done
        r2=$(echo | ip netns exec "$NS_C" timeout 20 openssl s_client -connect "$host:443" -tls1_3 \
            -sess_in "$sess" 2>&1 </dev/null | grep -E '^(New|Reused),' | head -1 || true)
        if [ "${r1%%,*}" = New ] && [ "${r2%%,*}" = Reused ]; then pass "$check" "$r2"
        else fail "$check" "first: '${r1:-no handshake}', second: '${r2:-no handshake}' (session file: $(
            [ -s "$sess" ] && echo saved || echo none), attempts: $attempt)"; fi
    }
    tls13_resumed tls13-resumed "$SRV_IP"

    # SIGKILL during a download, start again: the flow continues from the
    # journal and the file arrives whole.
    dl="$WORK/client/restart-20m.bin"
    ip netns exec "$NS_C" curl -sS -4 -k --noproxy '*' --connect-timeout 10 --max-time "$CURL_MAX_TIME" \
        --limit-rate 4M -o "$dl" -w '%{http_code} %{size_download}' "https://$SRV_IP/file-20m.bin" \
        >"$WORK/client/restart.out" 2>"$WORK/client/restart.err" 9>&- &
    rcurl=$!
    # Kill once the download runs (1 MiB in): a handshake in flight cannot survive a restart (its key exchange
    # is never persisted), and under --faults the handshake alone may take seconds.
    for _ in $(seq 1 300); do
        [ "$(stat -c %s "$dl" 2>/dev/null || echo 0)" -ge 1048576 ] && break
        kill -0 "$rcurl" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$DAEMON_PID" 2>/dev/null || true
    wait "$DAEMON_PID" 2>/dev/null || true
    start_daemon "$WORK/appliance-restarted.log"
    wait "$rcurl" 2>/dev/null || true
    read -r code size <"$WORK/client/restart.out" || true
    sha=$(sha256sum "$dl" 2>/dev/null | cut -d' ' -f1 || true)
    if [ "${code:-}" = 200 ] && [ "$sha" = "$SHA_DL" ]; then
        pass https-sigkill-restart "20 MiB whole after SIGKILL + restart mid-download"
    else
        fail https-sigkill-restart "HTTP ${code:-?}, ${size:-?} bytes, sha256 ${sha:0:16}...: $(tr '\n' ' ' <"$WORK/client/restart.err")"
    fi
    rm -f "$dl"
    DAEMON_LOG="$WORK/appliance-restarted.log"

    # A forged record: a client (forge_record.py) completes a real handshake, sends a PUT whose body spans
    # records, one bit flipped in the middle of one record's ciphertext, nothing after it. The client must
    # get a bad_record_mac alert, and the server (tcpdump on srv0, read by pcap_flow.py) a RST before that
    # record's last plaintext bytes; nginx must not store the upload. Runs on the restarted daemon, whose
    # auth_failed counter is checked when it stops (https-forged-counted). Under --faults a RST the fault
    # injector drops is never sent again (RSTs are not retransmitted), so one failed attempt may be repeated,
    # and the check line says so. The injector also reorders: a data segment sent before the RST may reach the
    # server after it, so under --faults only bytes past the RST's sequence number count as sent after it.
    FAULTS_REORDER=""
    [ "$FAULTS" = 1 ] && grep -q 'reorderPercent: *[1-9]' "$LABDIR/faults.yaml" && FAULTS_REORDER=1
    forge_check() {  # forge_check CHECK TLS-VERSION SUITE
        local check=$1 tls=$2 suite=$3 pcap="$WORK/$1.pcap" out crc facts prc port end result attempt first=""
        local why
        for attempt in 1 2; do
            rm -f "$pcap"
            ip netns exec "$NS_S" tcpdump -i srv0 -n -Z root -s 128 -U -w "$pcap" "tcp port 80" \
                >"$WORK/$check.tcpdump.log" 2>&1 9>&- &
            CAP_PID=$!
            for _ in $(seq 1 50); do
                grep -q 'listening on' "$WORK/$check.tcpdump.log" 2>/dev/null && break
                sleep 0.1
            done
            out=$(ip netns exec "$NS_C" timeout 90 python3 "$LABDIR/forge_record.py" --connect "$SRV_IP:443" \
                --tls "$tls" --cipher "$suite" --path "/upload/$check.bin" --timeout-s 30 2>&1) && crc=0 || crc=$?
            sleep 1   # the RST to the server, and anything after it, into the capture
            stop_pid_tree "$CAP_PID" INT 5 || stop_pid_tree "$CAP_PID" KILL 2
            CAP_PID=""
            echo "$out" >"$WORK/$check.client.log"
            port=$(sed -n 's/^local_port=//p' <<<"$out")
            end=$(sed -n 's/^forged_plain_end=//p' <<<"$out")
            result=$(sed -n 's/^result=//p' <<<"$out")
            [ "$crc" = 0 ] && FORGERIES_DETECTED=$((FORGERIES_DETECTED + 1))
            facts="no capture analysis (no connection or no forged record)"
            prc=2
            if [ -n "$port" ] && [ -n "$end" ]; then
                facts=$(python3 "$LABDIR/pcap_flow.py" "$pcap" --client-port "$port" --max-bytes "$end" \
                    ${FAULTS_REORDER:+--reordering} 2>&1) &&
                    prc=0 || prc=$?
            fi
            why=""
            [ "$crc" = 0 ] || why="client: ${result:-$(tr '\n' ' ' <<<"$out")}; "
            [ "$prc" = 0 ] || why+="server leg (forged record ends at byte ${end:-?}): $facts; "
            [ ! -e "$WORK/server/upload/$check.bin" ] || why+="nginx stored the forged upload; "
            rm -f "$WORK/server/upload/$check.bin"
            if [ -z "$why" ]; then
                why="$(sed -n 's/^cipher=//p' <<<"$out"): alert bad_record_mac; server got $(
                    sed -n 's/.*received_bytes=\([0-9]*\).*/\1/p' <<<"$facts") of ${end} bytes, then RST"
                pass "$check" "$why${first:+; attempt 2, attempt 1 failed: $first}"
                return
            fi
            if [ "$FAULTS" = 1 ] && [ "$attempt" = 1 ]; then first=$why; continue; fi
            fail "$check" "$why${first:+ (attempt 1: $first)}"
            return
        done
    }
    FORGERIES_DETECTED=0
    forge_check https-forged-record-tls13 1.3 TLS_AES_256_GCM_SHA384
    forge_check https-forged-record-tls12 1.2 ECDHE-ECDSA-CHACHA20-POLY1305

    # Reload while a download runs: the file renamed into place (a service added, the web service's settings
    # changed), a broken file rejected with its line, SIGHUP; the download finishes whole on the service it started
    # with. Then the web service removed: 443 is bridged to nginx (which does not listen there); then restored.
    await_log() {  # await_log TEXT: wait up to 20 s for TEXT in the daemon's log
        for _ in $(seq 1 200); do grep -qF -- "$1" "$DAEMON_LOG" 2>/dev/null && return 0; sleep 0.1; done
        return 1
    }
    # Mode switch while a download runs: the web service turns full-proxy (the file renamed into place) during a
    # 20 MiB download it carries in direct mode; the download finishes whole, and the next connection is the full
    # proxy's (its flows_opened counter moves, direct's does not); then back to direct the same way, proven again.
    mode_counters() {  # "DIRECT_OPENED PROXY_OPENED" from /metrics (published once a second)
        ip netns exec "$NS_A" curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" 2>/dev/null |
            python3 "$LABDIR/metrics_check.py" inline_tls_direct_flows_opened_total \
                inline_tls_full_proxy_flows_opened_total 2>/dev/null || echo "x x"
    }
    reloads_logged() { grep -c 'config reloaded (file changed)' "$DAEMON_LOG" 2>/dev/null || true; }
    # shellcheck disable=SC2317 # run by mode_switch_leg
    switch_by_file() {  # switch_by_file FROM TO BASE: BASE with web's mode FROM -> TO renamed into place
        local n0
        n0=$(reloads_logged)
        sed -e "/^  - name: web$/,/^    backendPort: 80$/s/^    mode: $1$/    mode: $2/" "$3" \
            >"$CFG.new" && mv "$CFG.new" "$CFG"
        for _ in $(seq 1 200); do [ "$(reloads_logged)" -gt "$n0" ] && break; sleep 0.1; done
        SWITCH_NOTES=()
        [ "$(reloads_logged)" -gt "$n0" ] || SWITCH_NOTES+=("no reload logged")
    }
    # mode_switch_leg FROM TO RATE SWITCH...: a 20 MiB download (curl --limit-rate RATE) in FROM mode; at 1 MiB the
    # command SWITCH... turns web to TO (it sets SWITCH_NOTES); the download must end whole after the switch, and
    # the next connection is TO's (counters)
    mode_switch_leg() {
        local to=$2 rate=$3 dl="$WORK/client/modeswitch-$1.bin" rc got d1 p1 d2 p2 code size sha notes=()
        shift 3
        ip netns exec "$NS_C" curl -sS -4 -k --noproxy '*' --connect-timeout 10 --max-time "$CURL_MAX_TIME" \
            --limit-rate "$rate" -o "$dl" -w '%{http_code} %{size_download}' "https://$SRV_IP/file-20m.bin" \
            >"$WORK/client/modeswitch.out" 2>"$WORK/client/modeswitch.err" 9>&- &
        rc=$!
        for _ in $(seq 1 300); do
            [ "$(stat -c %s "$dl" 2>/dev/null || echo 0)" -ge 1048576 ] && break
            kill -0 "$rc" 2>/dev/null || break
            sleep 0.1
        done
        "$@"
        got=$(stat -c %s "$dl" 2>/dev/null || echo 0)
        notes+=("${SWITCH_NOTES[@]}")
        [ "$got" -lt 20971520 ] || notes+=("the download ended before the switch applied")
        wait "$rc" 2>/dev/null || true
        read -r code size <"$WORK/client/modeswitch.out" || true
        sha=$(sha256sum "$dl" 2>/dev/null | cut -d' ' -f1 || true)
        rm -f "$dl"
        [ "${code:-}" = 200 ] && [ "$sha" = "$SHA_DL" ] ||
            notes+=("download in flight: HTTP ${code:-?}, ${size:-?} bytes, sha256 ${sha:0:16}...: $(tr '\n' ' ' <"$WORK/client/modeswitch.err")")
        sleep 1.2
        read -r d1 p1 <<<"$(mode_counters)"
        "${CURL[@]}" -k -o /dev/null "https://$SRV_IP/file-64k.bin" 2>>"$WORK/client/modeswitch.err" ||
            notes+=("next connection failed: $(tail -n 1 "$WORK/client/modeswitch.err")")
        sleep 1.2
        read -r d2 p2 <<<"$(mode_counters)"
        if ! [[ "$d1$p1$d2$p2" =~ ^[0-9]+$ ]]; then
            notes+=("counters unreadable: '$d1 $p1' '$d2 $p2'")
        elif [ "$to" = full-proxy ] && ! (( p2 == p1 + 1 && d2 == d1 )); then
            notes+=("next connection not carried by the full proxy: direct flows_opened $d1 -> $d2, full_proxy $p1 -> $p2")
        elif [ "$to" = direct ] && ! (( d2 == d1 + 1 && p2 == p1 )); then
            notes+=("next connection not carried by the direct mode: direct flows_opened $d1 -> $d2, full_proxy $p1 -> $p2")
        fi
        MODE_SWITCH_FACTS="switched at $((got >> 20)) MiB of 20; next connection: direct flows_opened $d1 -> $d2, full_proxy flows_opened $p1 -> $p2"
        MODE_SWITCH_NOTES=("${notes[@]}")
    }
    mode_switch_check() {
        local facts n0
        sed -e "/^  - name: web$/,/^    backendPort: 80$/s/^    mode: direct$/    mode: full-proxy/" \
            "$WORK/appliance.yaml.orig" >"$WORK/appliance.yaml.proxy"
        mode_switch_leg direct full-proxy 2M switch_by_file direct full-proxy "$WORK/appliance.yaml.orig"
        facts="to full-proxy: $MODE_SWITCH_FACTS"
        if [ ${#MODE_SWITCH_NOTES[@]} -eq 0 ]; then
            # back to the file the lab started with
            mode_switch_leg full-proxy direct 2M switch_by_file full-proxy direct "$WORK/appliance.yaml.proxy"
            facts+="; back to direct: $MODE_SWITCH_FACTS"
        else
            n0=$(reloads_logged)
            cp "$WORK/appliance.yaml.orig" "$CFG.new" && mv "$CFG.new" "$CFG"
            for _ in $(seq 1 200); do [ "$(reloads_logged)" -gt "$n0" ] && break; sleep 0.1; done
        fi
        if [ ${#MODE_SWITCH_NOTES[@]} -eq 0 ]; then
            pass mode-switch-in-flight "20 MiB whole across each switch; $facts"
        else
            fail mode-switch-in-flight "${MODE_SWITCH_NOTES[*]} ($facts)"
        fi
    }
    # Mode switch through Ansible: the role scripts/ansible/roles/inline_tls (local connection; no package, no
    # systemd: its handler reloads the lab's daemon with inline_tls_reload_command, kill -HUP) writes the lab's
    # config file, describing the same lab; then, during a 20 MiB download, it is applied again with web's mode
    # variable full-proxy, and back to direct the same way; each time the download finishes whole and the next
    # connection is the new mode's (counters). Everything Ansible writes stays in $WORK/ansible and $WORK/etc.
    # The download's rate is chosen from how long the first run took, so that each run ends while it is in flight.
    hups_logged() { grep -c 'config reloaded (SIGHUP)' "$DAEMON_LOG" 2>/dev/null || true; }
    restarts_logged() { grep -c 'needs a restart\|reload rejected' "$DAEMON_LOG" 2>/dev/null || true; }
    web_mode() {  # web's mode in the lab's config file
        python3 -c 'import sys, yaml
print(*[s.get("mode", "direct") for s in yaml.safe_load(open(sys.argv[1]))["services"] if s["name"] == "web"])' \
            "$CFG" 2>/dev/null || true
    }
    role_vars() {  # role_vars MODE: the role's variables for the lab, web in MODE
        cat <<VARS
inline_tls_install_package: false
inline_tls_manage_service: false
inline_tls_offloads_unit: false
inline_tls_user: root
inline_tls_group: root
inline_tls_config_dir: $(dirname "$CFG")
inline_tls_check_config_command: $APPLIANCE check-config
inline_tls_reload_command: [/bin/kill, -HUP, "$DAEMON_PID"]
inline_tls_interfaces: {outside: out0, inside: in0}
inline_tls_io: $IO_YAML
inline_tls_threading: {mode: $THREADING}
inline_tls_runtime_directory: $WORK/run
inline_tls_tls: {sessionCache: {path: $SESSIONS}}
inline_tls_journal: {path: $JOURNAL, maxFlows: 1024, ringCapacity: 256}
inline_tls_metrics: {address: "127.0.0.1:$METRICS_PORT"}
inline_tls_certificates:
  - {name: lab, chain_src: $WORK/tls/cert.pem, key_src: $WORK/tls/key.pem}
inline_tls_services:
  - {name: web, mode: $1, listen: "$SRV_IP:443", backendPort: 80}
${LB_SERVICES:+$LB_SERVICES
}${PROXY_SERVICE:+$PROXY_SERVICE
}
VARS
        if [ "${LAB_EXPORTS:-1}" = 1 ]; then
            printf 'inline_tls_export: {plaintextPcap: %s, plaintextPcapMaxBytes: 16777216, keyLog: %s}\n' \
                "$WORK/plain.pcap" "$KEYLOG"
        elif [ -n "${LAB_KEYLOG:-}" ]; then
            printf 'inline_tls_export: {keyLog: %s}\n' "$KEYLOG"
        fi
        if [ "$FAULTS" = 1 ]; then echo "inline_tls_extra_config:"; sed 's/^/  /' "$LABDIR/faults.yaml"; fi
    }
    role_apply() {  # role_apply MODE: runs the role (log: $WORK/ansible/MODE.log); sets ROLE_NOTES, ROLE_SECONDS
        local a="$WORK/ansible" t0 rc=0 n0 r0 changed failed
        mkdir -p "$a"
        role_vars "$1" >"$a/vars.yml"
        n0=$(hups_logged) r0=$(restarts_logged) t0=$SECONDS
        (cd "$ROOT/scripts/ansible" &&
            ANSIBLE_CONFIG="$ROOT/scripts/ansible/ansible.cfg" ANSIBLE_HOME="$a/home" ANSIBLE_LOCAL_TEMP="$a/tmp" \
            ANSIBLE_REMOTE_TEMP="$a/tmp" XDG_CACHE_HOME="$a/cache" XDG_CONFIG_HOME="$a/config" ANSIBLE_NOCOLOR=1 \
            ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_GATHERING=explicit \
            ansible-playbook -i "$a/inventory.yml" site.yml -e "@$a/vars.yml") >"$a/$1.log" 2>&1 </dev/null 9>&- || rc=$?
        ROLE_SECONDS=$((SECONDS - t0))
        for _ in $(seq 1 50); do [ "$(hups_logged)" -gt "$n0" ] && break; sleep 0.1; done
        changed=$(sed -n 's/^lab-appliance *: .*changed=\([0-9]*\).*/\1/p' "$a/$1.log" | tail -1)
        failed=$(sed -n 's/^lab-appliance *: .*failed=\([0-9]*\).*/\1/p' "$a/$1.log" | tail -1)
        ROLE_NOTES=()
        [ "$rc" = 0 ] && [ "${failed:-}" = 0 ] && [ "${changed:-0}" -gt 0 ] ||
            ROLE_NOTES+=("ansible-playbook (web $1): exit $rc, changed=${changed:-?} failed=${failed:-?} (log: $a/$1.log)")
        [ "$(web_mode)" = "$1" ] && grep -q 'written by the Ansible role inline_tls' "$CFG" ||
            ROLE_NOTES+=("$CFG is not the role's with web in $1")
        [ "$(hups_logged)" -gt "$n0" ] || ROLE_NOTES+=("the role's handler did not reach the daemon (no SIGHUP reload)")
        [ "$(restarts_logged)" = "$r0" ] ||
            ROLE_NOTES+=("the daemon rejected the role's file or found a restart-only setting changed (see $DAEMON_LOG)")
    }
    # shellcheck disable=SC2317 # run by mode_switch_leg
    switch_by_role() { role_apply "$1"; SWITCH_NOTES=("${ROLE_NOTES[@]}"); }
    ansible_mode_switch_check() {
        local facts="" notes=() rate n0 t0=$SECONDS
        mkdir -p "$WORK/ansible"
        printf 'inline_tls:\n  hosts:\n    lab-appliance:\n      ansible_connection: local\n      ansible_python_interpreter: /usr/bin/python3\n' \
            >"$WORK/ansible/inventory.yml"
        role_apply direct   # the lab's config, written by the role
        notes+=("${ROLE_NOTES[@]}")
        facts="the role wrote the lab's config in $ROLE_SECONDS s"
        # each leg's download lasts about twice a run of the role plus 20 s (from 20 to 150 s)
        rate=$(( 20971520 / ( ROLE_SECONDS * 2 + 20 > 150 ? 150 : ROLE_SECONDS * 2 + 20 ) ))
        if [ ${#notes[@]} -eq 0 ]; then
            mode_switch_leg direct full-proxy "$rate" switch_by_role full-proxy
            facts+="; to full-proxy in $ROLE_SECONDS s: $MODE_SWITCH_FACTS"
            notes+=("${MODE_SWITCH_NOTES[@]}")
        fi
        if [ ${#notes[@]} -eq 0 ]; then
            mode_switch_leg full-proxy direct "$rate" switch_by_role direct
            facts+="; back to direct in $ROLE_SECONDS s: $MODE_SWITCH_FACTS"
            notes+=("${MODE_SWITCH_NOTES[@]}")
        fi
        # the rest of the lab runs on the file it started with
        n0=$(reloads_logged)
        cp "$WORK/appliance.yaml.orig" "$CFG.new" && mv "$CFG.new" "$CFG"
        for _ in $(seq 1 200); do [ "$(reloads_logged)" -gt "$n0" ] && break; sleep 0.1; done
        facts+="; downloads at $((rate >> 10)) KiB/s; check $((SECONDS - t0)) s"
        if [ ${#notes[@]} -eq 0 ]; then
            pass ansible-mode-switch "20 MiB whole across each role run; $facts"
        else
            fail ansible-mode-switch "${notes[*]} ($facts)"
        fi
    }
    cp "$CFG" "$WORK/appliance.yaml.orig"
    dl="$WORK/client/reload-20m.bin"
    ip netns exec "$NS_C" curl -sS -4 -k --noproxy '*' --connect-timeout 10 --max-time "$CURL_MAX_TIME" \
        --limit-rate 4M -o "$dl" -w '%{http_code} %{size_download}' "https://$SRV_IP/file-20m.bin" \
        >"$WORK/client/reload.out" 2>"$WORK/client/reload.err" 9>&- &
    rcurl=$!
    for _ in $(seq 1 300); do
        [ "$(stat -c %s "$dl" 2>/dev/null || echo 0)" -ge 1048576 ] && break
        kill -0 "$rcurl" 2>/dev/null || break
        sleep 0.1
    done
    reload_notes=()
    sed -e 's/^    backendPort: 80$/    backendPort: 80\n    onNonTls: pass/' \
        -e "s/^services:$/services:\n  - {name: other, listen: 198.18.0.3:443}/" "$WORK/appliance.yaml.orig" \
        >"$CFG.new" && mv "$CFG.new" "$CFG"
    await_log "config reloaded (file changed): services +other ~web" || reload_notes+=("no reload on rename")
    printf 'services:\n  - {name: web, listen: %s:443, backendPort: 0}\n' "$SRV_IP" >>"$CFG"
    await_log "reload rejected: $CFG:" || reload_notes+=("broken file not rejected")
    head -n -2 "$CFG" >"$CFG.new" && mv "$CFG.new" "$CFG"   # both lines in one step: no half-edited file
    kill -HUP "$DAEMON_PID" 2>/dev/null || true
    await_log "config reloaded (SIGHUP): nothing" || reload_notes+=("no reload on SIGHUP")
    wait "$rcurl" 2>/dev/null || true
    read -r code size <"$WORK/client/reload.out" || true
    sha=$(sha256sum "$dl" 2>/dev/null | cut -d' ' -f1 || true)
    if [ "${code:-}" = 200 ] && [ "$sha" = "$SHA_DL" ] && [ ${#reload_notes[@]} -eq 0 ]; then
        pass https-reload-in-flight "20 MiB whole across a rename-into-place reload, a rejected file and SIGHUP"
    else
        fail https-reload-in-flight "HTTP ${code:-?}, ${size:-?} bytes, sha256 ${sha:0:16}...; ${reload_notes[*]:-}: $(tr '\n' ' ' <"$WORK/client/reload.err")"
    fi
    rm -f "$dl"
    grep -v "^  - name: web$\|^    mode: direct$\|^    listen: $SRV_IP:443$\|^    backendPort: 80$" \
        "$WORK/appliance.yaml.orig" | sed -e "s/^services:$/services:\n  - {name: other, listen: 198.18.0.3:443}/" \
        >"$CFG.new" && mv "$CFG.new" "$CFG"
    if await_log "services -web"; then
        if "${CURL[@]}" -k -o /dev/null "https://$SRV_IP/file-64k.bin" 2>"$WORK/client/curl-removed.err"; then
            fail https-service-removed "HTTPS still answered after the service was removed"
        else
            pass https-service-removed "443 bridged: $(tr '\n' ' ' <"$WORK/client/curl-removed.err")"
        fi
    else
        fail https-service-removed "no reload removing the service in $DAEMON_LOG"
    fi
    cp "$WORK/appliance.yaml.orig" "$CFG.new" && mv "$CFG.new" "$CFG"
    if await_log "services +web" && "${CURL[@]}" -k -o /dev/null "https://$SRV_IP/file-64k.bin" \
            2>"$WORK/client/curl-restored.err"; then
        pass https-service-restored "intercepted again after the reload"
    else
        fail https-service-restored "$(tr '\n' ' ' <"$WORK/client/curl-restored.err")"
    fi
    mode_switch_check
    ansible_mode_switch_check
fi

# ----------------------------------------------------- metrics + export ----
# /metrics is valid Prometheus text (the lab's own checker, and `promtool check metrics` from Debian's
# prometheus package: parse errors and lint problems both fail) and its counters, and the frame-latency
# histogram's count, move with traffic; /healthz answers 200; the plaintext export reads as HTTP (tshark when
# installed, else a small pcap reader).
if [ "$BRIDGE" = appliance ] && [ -n "$DAEMON_PID" ] && [ "$QUICK" = 0 ] && section metrics; then
    MET=(ip netns exec "$NS_A" curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT")
    want=(inline_tls_direct_flows_opened_total 'inline_tls_port_frames_in_total{side="outside"}'
        inline_tls_frame_processing_seconds_count)
    "${MET[@]}/metrics" >"$WORK/metrics-before.txt" 2>"$WORK/metrics.err" || true
    before=$(python3 "$LABDIR/metrics_check.py" "${want[@]}" <"$WORK/metrics-before.txt" 2>>"$WORK/metrics.err" || true)
    "${CURL[@]}" -k -o /dev/null "https://$SRV_IP/file-64k.bin" 2>>"$WORK/metrics.err" || true
    sleep 1.5   # the direct mode publishes its counters once a second
    "${MET[@]}/metrics" >"$WORK/metrics-after.txt" 2>>"$WORK/metrics.err" || true
    after=$(python3 "$LABDIR/metrics_check.py" "${want[@]}" <"$WORK/metrics-after.txt" 2>>"$WORK/metrics.err" || true)
    promtool_rc=0
    promtool check metrics <"$WORK/metrics-after.txt" >"$WORK/promtool.out" 2>&1 || promtool_rc=$?
    health=$("${MET[@]}/healthz" -o /dev/null -w '%{http_code}' 2>>"$WORK/metrics.err" || true)
    read -r f0 p0 l0 <<<"${before:-x x x}"
    read -r f1 p1 l1 <<<"${after:-x x x}"
    if [[ "$f0" =~ ^[0-9]+$ && "$f1" =~ ^[0-9]+$ ]] && (( f1 > f0 && p1 > p0 && l1 > l0 )) &&
            [ "$promtool_rc" = 0 ] && [ "$health" = 200 ] &&
            grep -q '^inline_tls_flows{mode="direct",state="cut_through"} [0-9]' "$WORK/metrics-after.txt" &&
            grep -q '^inline_tls_handshake_failures_total{mode="direct",' "$WORK/metrics-after.txt"; then
        pass metrics "valid Prometheus text (own check + promtool); flows_opened $f0 -> $f1, outside frames_in $p0 -> $p1, frames timed $l0 -> $l1; flows by mode and state, failed handshakes by alert; /healthz 200"
    else
        fail metrics "before '$before', after '$after' (flows_opened, frames_in, frames timed), promtool status $promtool_rc: $(head -c 300 "$WORK/promtool.out" | tr '\n' ' '), /healthz '$health', by-state lines: $(grep -c '^inline_tls_flows{' "$WORK/metrics-after.txt" || true): $(tr '\n' ' ' <"$WORK/metrics.err")"
    fi
    sleep 0.5   # the export writer flushes when idle
    if [ "${LAB_EXPORTS:-1}" != 1 ]; then
        :   # exports off (LAB_EXPORTS=0): nothing to read
    elif command -v tshark >/dev/null 2>&1; then
        got=$(tshark -r "$WORK/plain.pcap" -Y 'http.request.uri == "/file-64k.bin"' -T fields -e http.request.uri \
            2>"$WORK/tshark.err" | wc -l || true)
        resp=$(tshark -r "$WORK/plain.pcap" -Y 'http.response.code == 200' -T fields -e http.response.code \
            2>>"$WORK/tshark.err" | wc -l || true)
        if [ "${got:-0}" -ge 1 ] && [ "${resp:-0}" -ge 1 ]; then
            pass plaintext-export "tshark reads $got GET /file-64k.bin and $resp HTTP 200 in $(basename "$WORK/plain.pcap")"
        else
            fail plaintext-export "tshark: $got requests, $resp responses ($(head -c 300 "$WORK/tshark.err" | tr '\n' ' '))"
        fi
    elif out=$(python3 "$LABDIR/plain_http.py" "$WORK/plain.pcap" /file-64k.bin 2>&1); then
        pass plaintext-export "HTTP in clear in the export: $out"
    else
        fail plaintext-export "$out"
    fi
    # A client-side capture of one HTTPS request, decrypted by tshark with the exported key log. tshark reassembles
    # out-of-order segments; under --faults a capture where even so it cannot follow the TLS stream (a handshake
    # flight lost before the client and resent: seen once) is taken again, up to 3 requests, each in a capture of
    # its own: the check is about the key log, not about tshark's reassembly under loss.
    if [ "${LAB_EXPORTS:-1}" = 1 ] && command -v tshark >/dev/null 2>&1; then
        attempts=0
        got=0
        plain=0
        while [ "$attempts" -lt $(( FAULTS == 1 ? 3 : 1 )) ] && [ "${got:-0}" -lt 1 ]; do
            attempts=$((attempts + 1))
            cap="$WORK/client-https-$attempts.pcap"
            ip netns exec "$NS_C" tcpdump -i cli0 -n -Z root -s 0 -U -w "$cap" "tcp port 443" \
                >"$WORK/keylog-tcpdump.log" 2>&1 9>&- &
            kpid=$!
            for _ in $(seq 1 50); do grep -q 'listening on' "$WORK/keylog-tcpdump.log" 2>/dev/null && break; sleep 0.1; done
            "${CURL[@]}" -k --tlsv1.3 -o /dev/null "https://$SRV_IP/file-64k.bin" 2>>"$WORK/keylog-tcpdump.log" || true
            sleep 1   # the FIN exchange lands in the capture; the key log writer flushes
            stop_pid_tree "$kpid" INT 5 || stop_pid_tree "$kpid" KILL 2
            got=$(tshark -r "$cap" -o "tls.keylog_file:$KEYLOG" -o tcp.reassemble_out_of_order:TRUE \
                -Y 'http.request.uri == "/file-64k.bin"' -T fields -e http.request.uri 2>"$WORK/keylog-tshark.err" |
                wc -l || true)
            plain=$(tshark -r "$cap" -o tcp.reassemble_out_of_order:TRUE -Y 'http.request' -T fields \
                -e http.request.uri 2>/dev/null | wc -l || true)
            [ "${plain:-0}" = 0 ] || break   # plaintext without the key log: a failure no retry hides
        done
        if [ "${got:-0}" -ge 1 ] && [ "${plain:-0}" = 0 ]; then
            pass keylog-decrypt "tshark decrypts the client's capture with the exported key log ($got request; none without it; capture $attempts)"
        else
            fail keylog-decrypt "with the key log: $got requests, without: $plain ($(head -c 300 "$WORK/keylog-tshark.err" | tr '\n' ' '))"
        fi
    fi
fi

# ---------------------------------------------- tiny client window: switch ----
# A client whose receive buffer is the smallest Linux allows (it advertises ~576-byte windows, less than a
# segment plus a record's overhead) downloads through the direct service: the appliance must switch the
# flow's server->client direction to proxy handling (counter switches_to_proxy_small_window on /metrics),
# carry the download there byte-exact, and switch back for the close (switches_to_cut_through).
# Under --faults too: there a lost record once stalled the flow before it could switch (one run in three): the
# window offered to the server followed the client's ACKs, whose windows shrink while its application has not read,
# so the right edge moved back below data already sent; Linux resends only up to the edge it is offered now, the
# appliance can only keep such a piece (the interval's record number covers all of it), and the client, holding
# nothing newer, sent no more ACKs (reproduced in DirectSwitchingSimulationTest with Linux's retransmission rule).
# The edge offered in cut-through no longer moves back (counter server_window_shrink_avoided;
# server_retransmissions_partial counts pieces kept). LAB_ONLY=tiny-window LAB_TINY_RUNS=N repeats it alone.
if [ "$BRIDGE" = appliance ] && [ -n "$DAEMON_PID" ] && [ "$QUICK" = 0 ] && section tiny-window; then
    tiny_kib=1024
    head -c $((tiny_kib * 1024)) /dev/urandom > "$WORK/server/www/file-tiny.bin"
    tiny_sha=$(sha256sum "$WORK/server/www/file-tiny.bin" | cut -d' ' -f1)
    for tiny_run in $(seq 1 "$TINY_RUNS"); do
        tiny_name=https-tiny-window
        [ "$TINY_RUNS" = 1 ] || tiny_name="https-tiny-window-$tiny_run"
        MET=(ip netns exec "$NS_A" curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT")
        want=(inline_tls_direct_switches_to_proxy_small_window_total inline_tls_direct_switches_to_cut_through_total
            inline_tls_direct_server_retransmissions_partial_total inline_tls_direct_server_window_shrink_avoided_total)
        before=$("${MET[@]}/metrics" 2>"$WORK/tiny.err" | python3 "$LABDIR/metrics_check.py" "${want[@]}" 2>>"$WORK/tiny.err" || true)
        t0=$(date +%s.%N)
        got=$(ip netns exec "$NS_C" timeout 120 python3 "$LABDIR/tiny_window_client.py" --connect "$SRV_IP:443" \
            --path /file-tiny.bin 2>>"$WORK/tiny.err" | python3 "$LABDIR/http_sha256.py") || true
        secs=$(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(date +%s.%N)")
        sleep 1.5   # the direct mode publishes its counters once a second
        after=$("${MET[@]}/metrics" 2>>"$WORK/tiny.err" | python3 "$LABDIR/metrics_check.py" "${want[@]}" 2>>"$WORK/tiny.err" || true)
        read -r status bytes sha <<<"${got:-000 0 -}"
        read -r in0 out0 part0 kept0 <<<"${before:-x x x x}"
        read -r in1 out1 part1 kept1 <<<"${after:-x x x x}"
        if [ "$status" = 200 ] && [ "$sha" = "$tiny_sha" ] && [[ "$in0" =~ ^[0-9]+$ && "$in1" =~ ^[0-9]+$ ]] &&
            (( in1 > in0 && out1 > out0 )); then
            pass "$tiny_name" "$tiny_kib KiB sha256 ok in ${secs} s at $(grep -o 'rcvbuf=[0-9]*' "$WORK/tiny.err" | head -1); switches to proxy $in0 -> $in1, back to cut-through $out0 -> $out1; partial server retransmissions $part0 -> $part1, edges kept $kept0 -> $kept1"
        else
            fail "$tiny_name" "HTTP $status, $bytes bytes, sha ${sha:0:12} (want ${tiny_sha:0:12}); switches to proxy '$in0' -> '$in1', back '$out0' -> '$out1'; partial server retransmissions '$part0' -> '$part1', edges kept '$kept0' -> '$kept1'; $(tr '\n' ' ' <"$WORK/tiny.err" | head -c 300)"
        fi
    done
fi

# ---------------------------------------------------- operator commands ----
# While a slow HTTPS download runs: `appliance flows` (the same launcher, reading the daemon's journal) lists
# its flow in cut-through with its suite, and `appliance stats` (reading the daemon's counters file) says the
# daemon runs and shows frames in and the frame-latency summary.
if [ "$BRIDGE" = appliance ] && [ -n "$DAEMON_PID" ] && section operator; then
    ip netns exec "$NS_C" curl -sS -4 --noproxy '*' -k --connect-timeout 10 --max-time 60 --limit-rate 1M \
        --local-port 45000-45099 -o "$WORK/client/cli-slow.bin" "https://$SRV_IP/file-20m.bin" \
        2>"$WORK/client/cli-slow.err" 9>&- &
    slow_pid=$!
    for _ in $(seq 1 100); do   # past the handshake: the client has data (up to 20 s, under --faults too)
        [ "$(stat -c %s "$WORK/client/cli-slow.bin" 2>/dev/null || echo 0)" -ge 65536 ] && break
        kill -0 "$slow_pid" 2>/dev/null || break
        sleep 0.2
    done
    # a loaded box may list the journal before the download's flow shows (or while it moves between the active
    # and the parked file): listed again, up to three times, while the download still runs
    flow=""
    for _ in 1 2 3; do
        timeout 60 "$APPLIANCE" flows --config "$CFG" >"$WORK/flows.txt" 2>&1 </dev/null 9>&- || true
        flow=$(grep -E "^$CLI_IP:450[0-9][0-9] +-> $SRV_IP:443 " "$WORK/flows.txt" | head -1 || true)
        [ -n "$flow" ] || ! kill -0 "$slow_pid" 2>/dev/null && break
        sleep 2
    done
    timeout 60 "$APPLIANCE" stats --runtime-dir "$WORK/run" >"$WORK/stats.txt" 2>&1 </dev/null 9>&- || true
    slow_state="running"
    kill -0 "$slow_pid" 2>/dev/null || slow_state="ended: $(tail -c 200 "$WORK/client/cli-slow.err" | tr '\n' ' ')"
    kill "$slow_pid" 2>/dev/null || true
    wait "$slow_pid" 2>/dev/null || true
    slow_bytes=$(stat -c %s "$WORK/client/cli-slow.bin" 2>/dev/null || echo 0)
    rm -f "$WORK/client/cli-slow.bin"
    frames_in=$(awk '$1 == "outside" && $2 == "frames_in" { print $3 }' "$WORK/stats.txt")
    timed=$(sed -n 's/^  latency [a-z0-9-]* summary *\([0-9]*\) frames.*/\1/p' "$WORK/stats.txt" | head -1)
    if [[ "$flow" =~ " cut-through " && "$flow" =~ TLS ]] && grep -q '^daemon pid [0-9]* (running)' "$WORK/stats.txt" &&
            [[ "${frames_in:-0}" =~ ^[0-9]+$ ]] && (( ${frames_in:-0} > 0 && ${timed:-0} > 0 )); then
        pass cli-stats-flows "flows: $(awk '{ print $1, $4, $6 }' <<<"$flow"); stats: outside frames_in $frames_in, $timed frames timed"
    else
        fail cli-stats-flows "flows line '${flow:-none}' ($(grep -v ' INFO ' "$WORK/flows.txt" | head -c 400 | tr '\n' ' ')), download $slow_bytes B ($slow_state), stats frames_in '${frames_in:-}', timed '${timed:-}' ($(head -c 200 "$WORK/stats.txt" | tr '\n' ' '))"
    fi
fi

# ------------------------------------------------ load balancing: checks ----
# HTTPS through a virtual address (sha256); then the spread of $LB_CONNECTIONS
# new connections per algorithm, each held to what the algorithm guarantees:
#  * least-connections, first and alone (it waits on the appliance's count of
#    open NAT mappings, which every virtual address shares): hold N/2 connections
#    open: exactly N/4 on each backend (ties go round robin); close those on b0
#    and wait until the appliance has ended their flows; hold N/2 more: the first
#    N/4 picks all see b0 with fewer open flows, the rest tie again and alternate,
#    so exactly 3N/8 on b0 and N/8 on b1 (round-robin would give N/4 each);
#  * round-robin, weighted and source-hash at the same time (pools of their own),
#    each virtual address's connections one after another, from client addresses
#    of their own (see LB_CLIENT_W):
#    round-robin exactly N/2 each, strictly alternating; weighted 3:1 exactly
#    3N/4 and N/4 (smooth weighted round robin, as nginx: every run of 4 picks
#    gives 3 and 1), b1 never twice in a row, b0 at most 3 times in a row;
#    source-hash from 20 client addresses x N/20 connections: every client always
#    on one backend, and both backends get at least 3 clients.
# Then one backend's nginx stopped: taken out within intervalMs x fall (+ one
# timeout), new connections all reach the other without a client error; then
# brought back. N ($LB_CONNECTIONS) must be a multiple of 40.
if [ "$LB" = 1 ]; then
    t_lb=$(date +%s)
    LB_CURL=(ip netns exec "$NS_C" curl -sS -4 -k --http1.1 --noproxy '*' --connect-timeout 10 --max-time "$CURL_MAX_TIME")
    lb_whoami() {  # lb_whoami VIP COUNT [SOURCE]: COUNT new connections, one whoami.txt each; prints the bodies
        local urls=() n
        for n in $(seq 1 "$2"); do urls+=("https://$1/whoami.txt"); done
        "${LB_CURL[@]}" ${3:+--interface "$3"} -H 'Connection: close' "${urls[@]}"
    }
    lb_count() { grep -c "^$1\$" <<<"$2" || true; }   # lb_count NAME BODIES
    lb_longest_run() {  # lb_longest_run NAME BODIES: the most NAME answers in a row
        awk -v n="$1" '$0 == n { r++; if (r > m) m = r; next } { r = 0 } END { print m + 0 }' <<<"$2"
    }
    lb_err() { tr '\n' ' ' 2>/dev/null <"$1" | head -c 300 || true; }   # lb_err FILE: its first 300 characters
    for a in $LB_CLIENTS_SH "$LB_CLIENT_W" "$LB_CLIENT_LC"; do
        ip -n "$NS_C" addr add "$a/24" dev cli0 2>/dev/null || true
    done

    dl="$WORK/client/lb-2m.bin"
    if w=$("${LB_CURL[@]}" -o "$dl" -w '%{http_code}' "https://$LB_VIP_RR/lb-2m.bin" 2>"$WORK/client/lb.err") &&
        [ "$w" = 200 ] && [ "$(sha256sum "$dl" | cut -d' ' -f1)" = "$SHA_LB" ]; then
        pass lb-https "2 MiB through $LB_VIP_RR, sha256 ok"
    else
        fail lb-https "HTTP ${w:-?}: $(lb_err "$WORK/client/lb.err")"
    fi

    # Delayed binding (the full-proxy engine carries these VIPs; the backend is chosen after the TLS handshake).
    # Cookie persistence: the first request has no cookie, goes where round robin sends it, and that backend's nginx
    # sets SERVERID=b<i>; then 50 requests, each on a new connection, with curl's cookie jar: all must reach the
    # backend the cookie names (round robin alone would alternate). PROXY v2: b0's nginx listening with
    # proxy_protocol answers /pp with the client address the header carried: the client namespace's own.
    t_ck=$(date +%s.%N)
    ck_err="$WORK/client/lb-cookie.err"
    jar="$WORK/client/lb-cookie.jar"
    rm -f "$jar"
    first=$("${LB_CURL[@]}" --interface "$CLI_IP" -c "$jar" "https://$LB_VIP_CK/whoami.txt" 2>"$ck_err" || true)
    named=$(awk '$6 == "SERVERID" { v = $7 } END { print v }' "$jar" 2>/dev/null || true)
    ck_urls=()
    for n in $(seq 1 50); do ck_urls+=("https://$LB_VIP_CK/whoami.txt"); done
    out=$("${LB_CURL[@]}" --interface "$CLI_IP" -b "$jar" -c "$jar" -H 'Connection: close' "${ck_urls[@]}" \
        2>>"$ck_err" || true)
    same=$(lb_count "$named" "$out")
    answered=$(grep -c . <<<"$out" || true)
    if [ -n "$named" ] && [ "$first" = "$named" ] && [ "$same" = 50 ]; then
        pass lb-cookie "first answer $first set SERVERID=$named; 50 of 50 new connections with the cookie reached $named"
    else
        fail lb-cookie "first answer '${first:-none}', cookie '${named:-none}', $same of $answered answers (of 50) from it: $(lb_err "$ck_err")"
    fi
    pp=$("${LB_CURL[@]}" --interface "$CLI_IP" "https://$LB_VIP_PP/pp" 2>"$WORK/client/lb-pp.err" || true)
    if [ "$pp" = "$CLI_IP" ]; then
        pass lb-proxy-protocol "nginx behind $LB_VIP_PP read the client $pp from the PROXY v2 header"
    else
        fail lb-proxy-protocol "nginx answered '${pp:-nothing}', want $CLI_IP: $(lb_err "$WORK/client/lb-pp.err")"
    fi
    t_ck=$(awk -v a="$t_ck" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')

    # least-connections: connections held by lb_hold.py (a coprocess: one command a line, one answer a line)
    t_lc=$(date +%s)
    q=$((LB_CONNECTIONS / 4))
    lc_err="$WORK/client/lb-lc.err"
    lb_open_mappings() {  # the NAT mappings the appliance holds (the lb mappings gauge on /metrics), or nothing
        ip netns exec "$NS_A" curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" 2>>"$lc_err.metrics" |
            python3 "$LABDIR/metrics_check.py" inline_tls_lb_mappings 2>>"$lc_err.metrics" || true
    }
    coproc LB_HOLD { ip netns exec "$NS_C" python3 "$LABDIR/lb_hold.py" --source "$LB_CLIENT_LC" "$LB_VIP_LC" \
        2>"$lc_err" 9>&-; }
    lb_hold() {  # lb_hold COMMAND: one command to lb_hold.py; prints its answer (nothing when it has none)
        local line=""   # always in $(...): a write to a coprocess that died must not SIGPIPE the lab itself
        [ -n "${LB_HOLD[1]:-}" ] || return 0
        echo "$1" >&"${LB_HOLD[1]}" 2>/dev/null || return 0
        IFS= read -r -t 300 line <&"${LB_HOLD[0]}" 2>/dev/null || true
        echo "$line"
    }
    first=$(lb_hold "open $((2 * q))")
    a0=$(tr ' ' '\n' <<<"$first" | grep -c '^b0$' || true); a1=$(tr ' ' '\n' <<<"$first" | grep -c '^b1$' || true)
    closed=$(lb_hold "close b0")
    t0=$(date +%s.%N); open_now=""
    for _ in $(seq 1 100); do   # up to ~20 s: FIN linger (2 s), the engine's sweep and the 1 s counters publication
        open_now=$(lb_open_mappings)
        # exactly b1's: a value published before the opens (counters go out once a second) reads 0 and must not do
        [ "$open_now" = "$a1" ] && break
        sleep 0.2
    done
    settled=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    second=$(lb_hold "open $((2 * q))")
    c0=$(tr ' ' '\n' <<<"$second" | grep -c '^b0$' || true); c1=$(tr ' ' '\n' <<<"$second" | grep -c '^b1$' || true)
    : "$(lb_hold quit)"
    [ -n "${LB_HOLD_PID:-}" ] && { wait "$LB_HOLD_PID" 2>/dev/null || true; }
    t_lc=$(( $(date +%s) - t_lc ))
    lc_facts="$((2 * q)) held: b0 $a0, b1 $a1; b0's $closed closed, ${open_now:-?} mappings left after $settled s; $((2 * q)) more held: b0 $c0, b1 $c1"
    if [ "$a0" = "$q" ] && [ "$a1" = "$q" ] && [ "$closed" = "$q" ] && [ "$open_now" = "$q" ] &&
            [ "$c0" = $((q + q / 2)) ] && [ "$c1" = $((q / 2)) ]; then
        pass lb-least-connections "$lc_facts (want $q/$q, then $((q + q / 2))/$((q / 2)); round-robin: $q/$q)"
    else
        fail lb-least-connections "$lc_facts; want $q/$q, then $((q + q / 2))/$((q / 2)): $(lb_err "$lc_err") $(lb_err "$lc_err.metrics")"
    fi

    # round-robin, weighted and source-hash at once (source-hash in 4 lanes of 5 client addresses)
    t_par=$(date +%s)
    per_client=$((LB_CONNECTIONS / 20))
    rm -f "$WORK/client/lb-sh.err"
    lb_whoami "$LB_VIP_RR" "$LB_CONNECTIONS" >"$WORK/client/lb-rr.out" 2>"$WORK/client/lb-rr.err" 9>&- &
    lb_pids=($!)
    lb_whoami "$LB_VIP_W" "$LB_CONNECTIONS" "$LB_CLIENT_W" >"$WORK/client/lb-w.out" 2>"$WORK/client/lb-w.err" 9>&- &
    lb_pids+=($!)
    read -r -a sh_clients <<<"$(echo $LB_CLIENTS_SH)"
    for lane in 0 1 2 3; do
        for a in "${sh_clients[@]:$((5 * lane)):5}"; do
            lb_whoami "$LB_VIP_SH" "$per_client" "$a" >"$WORK/client/lb-sh-$a.out" 2>>"$WORK/client/lb-sh.err" || true
        done 9>&- &
        lb_pids+=($!)
    done
    for p in "${lb_pids[@]}"; do wait "$p" 2>/dev/null || true; done
    t_par=$(( $(date +%s) - t_par ))

    out=$(cat "$WORK/client/lb-rr.out" 2>/dev/null || true)
    b0=$(lb_count b0 "$out"); b1=$(lb_count b1 "$out")
    r0=$(lb_longest_run b0 "$out"); r1=$(lb_longest_run b1 "$out")
    if [ "$b0" = $((LB_CONNECTIONS / 2)) ] && [ "$b1" = $((LB_CONNECTIONS / 2)) ] && [ "$r0" = 1 ] && [ "$r1" = 1 ]; then
        pass lb-round-robin "$LB_CONNECTIONS connections: b0 $b0, b1 $b1, strictly alternating"
    else
        fail lb-round-robin "b0 $b0, b1 $b1 of $LB_CONNECTIONS, longest runs b0 $r0 b1 $r1 (want $((LB_CONNECTIONS / 2)) each, alternating): $(lb_err "$WORK/client/lb-rr.err")"
    fi

    out=$(cat "$WORK/client/lb-w.out" 2>/dev/null || true)
    b0=$(lb_count b0 "$out"); b1=$(lb_count b1 "$out")
    r0=$(lb_longest_run b0 "$out"); r1=$(lb_longest_run b1 "$out")
    if [ "$b0" = $((LB_CONNECTIONS * 3 / 4)) ] && [ "$b1" = $((LB_CONNECTIONS / 4)) ] && [ "$r0" -le 3 ] && [ "$r1" = 1 ]; then
        pass lb-weighted "$LB_CONNECTIONS connections, weights ${LB_WEIGHTS[0]}:${LB_WEIGHTS[1]}: b0 $b0, b1 $b1; longest runs b0 $r0, b1 $r1"
    else
        fail lb-weighted "b0 $b0, b1 $b1 of $LB_CONNECTIONS, longest runs b0 $r0 b1 $r1 (want $((LB_CONNECTIONS * 3 / 4))/$((LB_CONNECTIONS / 4)), runs <= 3 and 1): $(lb_err "$WORK/client/lb-w.err")"
    fi

    sticky=0; total=0; c0=0; c1=0
    for a in $LB_CLIENTS_SH; do
        out=$(cat "$WORK/client/lb-sh-$a.out" 2>/dev/null || true)
        x0=$(lb_count b0 "$out"); x1=$(lb_count b1 "$out")
        total=$((total + x0 + x1))
        if [ "$x0" = "$per_client" ]; then sticky=$((sticky + 1)); c0=$((c0 + 1)); fi
        if [ "$x1" = "$per_client" ]; then sticky=$((sticky + 1)); c1=$((c1 + 1)); fi
    done
    if [ "$total" = "$LB_CONNECTIONS" ] && [ "$sticky" = 20 ] && [ "$c0" -ge 3 ] && [ "$c1" -ge 3 ]; then
        pass lb-source-hash "20 clients x $per_client connections, each client on one backend; clients b0 $c0, b1 $c1"
    else
        fail lb-source-hash "$total of $LB_CONNECTIONS answered, $sticky of 20 clients on one backend, clients b0 $c0 b1 $c1: $(lb_err "$WORK/client/lb-sh.err")"
    fi
    if grep -q 'backend .* is DOWN' "$DAEMON_LOG" 2>/dev/null; then   # a flap would explain an uneven spread
        log "load balancing: backend DOWN before the backend-down check: $(grep 'backend .* is DOWN' "$DAEMON_LOG" | head -3 | tr '\n' ' ')"
    fi
    log "load balancing: least-connections in $t_lc s, round-robin + weighted + source-hash ($((3 * LB_CONNECTIONS)) connections at once) in $t_par s"

    lb_await_log() {  # lb_await_log TEXT SECONDS: wait for TEXT in the daemon's log
        local n
        for n in $(seq 1 $(($2 * 20))); do grep -qF -- "$1" "$DAEMON_LOG" 2>/dev/null && return 0; sleep 0.05; done
        return 1
    }
    dead="${LB_BACKENDS[1]}:80"
    t0=$(date +%s.%N)
    stop_pid_tree "${LB_NGINX_PIDS[1]}" TERM 5 || stop_pid_tree "${LB_NGINX_PIDS[1]}" KILL 2 || true
    if lb_await_log "service shop: backend $dead is DOWN" 10; then
        el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
        limit=$(awk -v i="$LB_INTERVAL_MS" -v f="$LB_FALL" -v t="$LB_TIMEOUT_MS" 'BEGIN { printf "%.2f", (i * f + t) / 1000 + 0.5 }')
        out=$(lb_whoami "$LB_VIP_RR" 20 2>"$WORK/client/lb-down.err") && crc=0 || crc=$?
        b0=$(lb_count b0 "$out")
        if awk -v e="$el" -v l="$limit" 'BEGIN { exit !(e <= l) }' && [ "$crc" = 0 ] && [ "$b0" = 20 ]; then
            pass lb-backend-down "taken out after $el s (limit $limit s), then 20 of 20 connections to b0"
        else
            fail lb-backend-down "out after $el s (limit $limit s), curl status $crc, b0 answered $b0 of 20: $(tr '\n' ' ' <"$WORK/client/lb-down.err" | head -c 300)"
        fi
    else
        fail lb-backend-down "no 'backend $dead is DOWN' in $DAEMON_LOG within 10 s"
    fi
    if lb_nginx_start 1 && lb_await_log "service shop: backend $dead is UP" 10; then
        out=$(lb_whoami "$LB_VIP_RR" 10 2>"$WORK/client/lb-up.err") || true
        b1=$(lb_count b1 "$out")
        if [ "$b1" -ge 4 ]; then pass lb-backend-back "back in the pool: b1 answered $b1 of 10"
        else fail lb-backend-back "b1 answered $b1 of 10: $(tr '\n' ' ' <"$WORK/client/lb-up.err" | head -c 300)"; fi
    else
        fail lb-backend-back "backend $dead did not come back UP within 10 s"
    fi
    LB_DESC="$LB_VIP_RR round-robin, $LB_VIP_W weighted ${LB_WEIGHTS[0]}:${LB_WEIGHTS[1]}, $LB_VIP_LC least-connections, $LB_VIP_SH source-hash -> ${LB_BACKENDS[*]} :80, $LB_VIP_CK cookie -> :$LB_COOKIE_PORT and $LB_VIP_PP PROXY v2 -> :$LB_PP_PORT (delayed binding, $t_ck s), checked from $LB_APPL_IP; section $(( $(date +%s) - t_lb )) s (least-connections $t_lc s, the other three at once $t_par s)"
fi

# ---------------------------------------------------- full proxy: checks ----
# HTTPS through the full-proxy service (the appliance terminates TCP on both legs
# and TLS on the client's): the direct mode's helpers (https_matrix, *_resumed)
# pointed at $PROXY_IP, for TLS 1.3 AES-128-GCM and TLS 1.2 ECDHE-ECDSA-CHACHA20-
# POLY1305 with curl and openssl s_client (the same payloads, sha256 compared);
# TLS 1.2 and 1.3 resumption; then the engine's own counters from /metrics, once
# its flows are let go (TIME-WAIT): flows opened and closed, bytes both ways,
# resumed sessions, and under --faults retransmissions on both legs.
PROXY_DESC=""
if [ "$PROXY" = 1 ]; then
    t_proxy=$(date +%s)
    proxy_metrics() {  # proxy_metrics: the full-proxy counters (see names below), space separated, or nothing
        ip netns exec "$NS_A" curl -sS --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" \
                2>>"$WORK/proxy/metrics.err" |
            python3 "$LABDIR/metrics_check.py" inline_tls_full_proxy_flows_opened_total \
                inline_tls_full_proxy_flows_closed_total inline_tls_full_proxy_flows_reset_total \
                inline_tls_full_proxy_flows_resumed_total inline_tls_full_proxy_bytes_from_clients_total \
                inline_tls_full_proxy_bytes_to_clients_total inline_tls_full_proxy_client_retransmissions_total \
                inline_tls_full_proxy_backend_retransmissions_total inline_tls_full_proxy_flows \
                2>>"$WORK/proxy/metrics.err" || true
    }
    proxy_before=$(proxy_metrics)
    if [ "$FAULTS" = 1 ]; then
        # under 5% loss + reordering the proxy's own TCP carries ~1 MiB/s (no RACK/TLP/DSACK undo yet): one client
        # per suite (curl for TLS 1.3, s_client for TLS 1.2) keeps the section near three minutes
        proxy_transfers=2
        https_curl proxy-https-curl-tls13-aes128-gcm "$PROXY_IP" TLS_AES_128_GCM_SHA256 --tlsv1.3 \
            --tls13-ciphers TLS_AES_128_GCM_SHA256
        https_s_client proxy-https-s_client-tls12-chacha20 "$PROXY_IP" ECDHE-ECDSA-CHACHA20-POLY1305 -tls1_2 \
            -cipher ECDHE-ECDSA-CHACHA20-POLY1305
    else
        proxy_transfers=4
        https_matrix proxy-https "$PROXY_IP" tls13:TLS_AES_128_GCM_SHA256:aes128-gcm \
            tls12:ECDHE-ECDSA-CHACHA20-POLY1305:chacha20
    fi
    tls12_resumed proxy-tls12-resumed "$PROXY_IP"
    tls13_resumed proxy-tls13-resumed "$PROXY_IP"
    # every flow let go (TIME-WAIT is 2 s), its retransmissions added, the counters published (once a second)
    for _ in $(seq 1 100); do
        proxy_after=$(proxy_metrics)
        [ "${proxy_after##* }" = 0 ] && break
        sleep 0.2
    done
    read -r o0 c0 x0 r0 bi0 bo0 rc0 rb0 _ <<<"${proxy_before:-x}"
    read -r o1 c1 x1 r1 bi1 bo1 rc1 rb1 held <<<"${proxy_after:-x}"
    if [[ "$o0" =~ ^[0-9]+$ && "$o1" =~ ^[0-9]+$ ]]; then
        opened=$((o1 - o0)) closed=$((c1 - c0)) reset=$((x1 - x0)) resumed=$((r1 - r0))
        up=$((bi1 - bi0)) down=$((bo1 - bo0)) rtx_c=$((rc1 - rc0)) rtx_b=$((rb1 - rb0))
        facts="flows opened $opened, closed $closed, reset $reset, resumed $resumed, held $held;"
        facts+=" plaintext from clients $up B, to clients $down B;"
        facts+=" retransmissions client leg $rtx_c, backend leg $rtx_b"
        why=""
        # 4 (2 under --faults) transfers each way, 2 x 2 resumption handshakes (one more for a TLS 1.3 ticket that
        # came late); every flow let go: closed cleanly, or reset (curl closes without waiting for the server's
        # close_notify, and its kernel answers that with a RST)
        (( opened >= 2 * proxy_transfers + 4 )) || why+="fewer than $((2 * proxy_transfers + 4)) flows opened; "
        (( closed > 0 && closed + reset == opened && held == 0 )) || why+="not every flow let go, or none cleanly; "
        (( up >= proxy_transfers * HTTPS_MIB_UP * 1048576 )) ||
            why+="less than $proxy_transfers x $HTTPS_MIB_UP MiB from the clients; "
        (( down >= proxy_transfers * HTTPS_MIB_DOWN * 1048576 )) ||
            why+="less than $proxy_transfers x $HTTPS_MIB_DOWN MiB to the clients; "
        (( resumed >= 2 )) || why+="fewer than 2 resumed sessions; "
        if [ "$FAULTS" = 1 ]; then
            (( rtx_c > 0 && rtx_b > 0 )) || why+="no retransmissions on a leg under --faults; "
        fi
        if [ -z "$why" ]; then pass proxy-counters "$facts"; else fail proxy-counters "$why($facts)"; fi
    else
        fail proxy-counters "no full-proxy counters in /metrics: before '$proxy_before', after '$proxy_after' ($(
            head -c 300 "$WORK/proxy/metrics.err" | tr '\n' ' '))"
    fi
    PROXY_DESC="$PROXY_IP:443 -> $PROXY_IP:80 (full-proxy, transparent), section $(( $(date +%s) - t_proxy )) s"
    log "full proxy: $proxy_transfers transfers of ${HTTPS_MIB_DOWN} MiB down + ${HTTPS_MIB_UP} MiB up (2 suites)," \
        "resumption, counters in $(( $(date +%s) - t_proxy )) s"
fi
rm -f "$WORK/server/www/file-https.bin" "$WORK/client/upload-https.bin"   # (the HTTPS payloads, when made)

# -------------------------------------------------------------- capture ----
CAPTURE_DESC=""
if [ -n "$CAPTURE" ]; then
    log "capturing a 64 KiB download on $NS_C/cli0 -> $CAPTURE"
    rm -f "$CAPTURE"
    ip netns exec "$NS_C" tcpdump -i cli0 -n -Z root -s 0 -U --time-stamp-precision=micro -w "$CAPTURE" "tcp port 80" \
        >"$WORK/tcpdump.log" 2>&1 9>&- &
    CAP_PID=$!
    for i in $(seq 1 50); do grep -q 'listening on' "$WORK/tcpdump.log" 2>/dev/null && break; sleep 0.1; done
    sleep 0.3
    cap_ok=1
    "${CURL[@]}" -o "$WORK/client/file-64k.bin" "http://$SRV_IP/file-64k.bin" 2>"$WORK/client/curl-cap.err" || cap_ok=0
    sleep 1   # let the FIN/ACK exchange land in the capture
    stop_pid_tree "$CAP_PID" INT 5 || stop_pid_tree "$CAP_PID" KILL 2
    CAP_PID=""
    if [ "$cap_ok" = 1 ] && cmp -s "$WORK/client/file-64k.bin" "$WORK/server/www/file-64k.bin" && [ -s "$CAPTURE" ]; then
        pkts=$(grep -o '^[0-9]* packets captured' "$WORK/tcpdump.log" | cut -d' ' -f1 || true)
        CAPTURE_DESC="$CAPTURE (${pkts:-?} packets, $(stat -c %s "$CAPTURE") bytes)"
        pass capture "$CAPTURE_DESC"
    else
        CAPTURE_DESC="FAILED (see $WORK/tcpdump.log, $WORK/client/curl-cap.err)"
        fail capture "$(cat "$WORK/client/curl-cap.err" "$WORK/tcpdump.log" 2>/dev/null | tr '\n' ' ')"
    fi
fi

# ---------------------------------------------------------------- bench ----
proc_cpu_ticks() {  # sum of utime+stime over a process tree
    local t=0 p s
    for p in $(proc_tree "$1"); do
        { read -r s <"/proc/$p/stat"; } 2>/dev/null || continue
        s=${s##*) }
        # shellcheck disable=SC2086
        set -- $s
        t=$((t + ${12} + ${13}))
    done
    echo "$t"
}
bridge_rx_frames() {  # frames that entered the bridge (both ports)
    ip netns exec "$NS_A" cat /sys/class/net/out0/statistics/rx_packets /sys/class/net/in0/statistics/rx_packets |
        awk '{ s += $1 } END { print s }'
}
# The daemon's own count of frames it received (both sides), read live with
# `scripts/appliance stats` from the counters file in the lab's runtime
# directory; empty when unavailable (kernel bridge, or the command fails).
daemon_frames() {
    [ -n "$DAEMON_PID" ] || return 0
    timeout 60 "$APPLIANCE" stats --runtime-dir "$WORK/run" 2>/dev/null </dev/null 9>&- |
        awk '$2 == "frames_in" { s += $3; n++ } END { if (n) print s }' || true
}

BENCH_LINES=()
if [ "$BENCH" = 1 ]; then
    log "bench: generating ${BENCH_MIB} MiB on the server"
    head -c $((BENCH_MIB * 1024 * 1024)) /dev/urandom > "$WORK/server/www/bench.bin"
    log "bench: downloading ${BENCH_MIB} MiB through the $BRIDGE bridge"
    clk=$(getconf CLK_TCK)
    f0=$(bridge_rx_frames)
    d0=$(daemon_frames)
    c0=""
    [ -n "$DAEMON_PID" ] && c0=$(proc_cpu_ticks "$DAEMON_PID")
    t0=$(date +%s.%N)
    w=$(ip netns exec "$NS_C" curl -sS -4 --noproxy '*' --connect-timeout 10 --max-time "$BENCH_MAX_TIME" -o /dev/null \
            -w '%{http_code} %{speed_download} %{size_download} %{time_total}' \
            "http://$SRV_IP/bench.bin" 2>"$WORK/client/curl-bench.err") || true
    t1=$(date +%s.%N)
    c1=""
    [ -n "$DAEMON_PID" ] && c1=$(proc_cpu_ticks "$DAEMON_PID")
    f1=$(bridge_rx_frames)
    d1=$(daemon_frames)
    read -r code speed size ttotal <<<"${w:-000 0 0 0}"
    if [ "$code" = 200 ] && [ "$size" = $((BENCH_MIB * 1024 * 1024)) ]; then
        pass bench "${BENCH_MIB} MiB at $(awk -v b="$speed" 'BEGIN { printf "%.1f Mbit/s", b * 8 / 1e6 }')"
        el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        BENCH_LINES+=("bench download:  ${BENCH_MIB} MiB in $(printf "%.2f" "$ttotal") s = $(awk -v b="$speed" 'BEGIN { printf "%.1f Mbit/s", b * 8 / 1e6 }')")
        BENCH_LINES+=("bridge frames:   $((f1 - f0)) in (out0+in0 rx) = $(awk -v f=$((f1 - f0)) -v t="$el" 'BEGIN { printf "%.0f frames/s", f / t }')")
        if [ -n "$c0" ] && [ -n "$c1" ]; then
            BENCH_LINES+=("appliance CPU:   $(awk -v c=$((c1 - c0)) -v k="$clk" -v s="$size" -v t="$el" 'BEGIN { cs = c / k; printf "%.2f CPU-s during the transfer (%.0f%% of one core), %.2f CPU-s/GB", cs, 100 * cs / t, cs / (s / 1e9) }')")
        else
            BENCH_LINES+=("appliance CPU:   n/a (kernel bridge: forwarding runs in softirq, not attributable)")
        fi
        if [ -n "$d0" ] && [ -n "$d1" ]; then
            BENCH_LINES+=("daemon frames:   $((d1 - d0)) frames_in (appliance counters) = $(awk -v f=$((d1 - d0)) -v t="$el" 'BEGIN { printf "%.0f frames/s", f / t }')")
        fi
    else
        fail bench "HTTP $code, $size of $((BENCH_MIB * 1024 * 1024)) bytes: $(tr '\n' ' ' <"$WORK/client/curl-bench.err")"
    fi
    rm -f "$WORK/server/www/bench.bin"
fi

# ------------------------------------------------------ stop the daemon ----
DAEMON_DESC=""
COUNTERS=""
if [ -n "$DAEMON_PID" ] && [ "$KEEP" = 0 ]; then
    if ! kill -0 "$DAEMON_PID" 2>/dev/null; then
        wait "$DAEMON_PID" 2>/dev/null && drc=0 || drc=$?
        DAEMON_PID=""
        fail appliance-shutdown "the daemon had already exited (status $drc) before SIGTERM; see $DAEMON_LOG"
        DAEMON_DESC="died during the run (status $drc)"
    else
        lines_before=$(wc -l <"$DAEMON_LOG")
        log "stopping the appliance (SIGTERM to pid $DAEMON_PID)"
        t0=$(date +%s.%N)
        if stop_pid_tree "$DAEMON_PID" TERM "$STOP_TIMEOUT"; then
            wait "$DAEMON_PID" 2>/dev/null && drc=0 || drc=$?
            el=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
            DAEMON_PID=""
            DAEMON_DESC="stopped by SIGTERM in $el s, exit status $drc"
            # 143 = killed by SIGTERM without a handler; a clean shutdown returns 0
            if [ "$drc" = 0 ] || [ "$drc" = 143 ]; then pass appliance-shutdown "exit $drc in $el s"
            else fail appliance-shutdown "exit status $drc after SIGTERM"; fi
        else
            stop_pid_tree "$DAEMON_PID" KILL 2 || true
            DAEMON_PID=""
            DAEMON_DESC="did not exit within ${STOP_TIMEOUT} s of SIGTERM; killed"
            fail appliance-shutdown "still running ${STOP_TIMEOUT} s after SIGTERM (killed)"
        fi
        COUNTERS=$(tail -n +"$((lines_before + 1))" "$DAEMON_LOG")
    fi
    echo
    echo "---- appliance exit counters (from $DAEMON_LOG) ----"
    if [ -n "$COUNTERS" ]; then echo "$COUNTERS"; else echo "(the daemon printed nothing after SIGTERM)"; fi
    # The forged records the clients saw rejected, counted by the daemon that ran them (the direct mode's
    # counters are in its exit log only: `appliance stats` shows the port counters).
    if [ "${FORGERIES_DETECTED:-0}" -gt 0 ]; then
        auth=$(awk '$1 == "auth_failed" { gsub(",", "", $2); n = $2 } END { print n + 0 }' <<<"$COUNTERS")
        if [ "$auth" -ge "$FORGERIES_DETECTED" ]; then
            pass https-forged-counted "auth_failed $auth (forged records rejected: $FORGERIES_DETECTED)"
        else
            fail https-forged-counted \
                "auth_failed $auth in the exit counters, forged records rejected: $FORGERIES_DETECTED"
        fi
    fi
fi

# -------------------------------------------------------------- summary ----
fault_desc="none"
[ "$FAULTS" = 1 ] && fault_desc="$(sed -n 's/^  \([a-z]*\): *{ seed: \([0-9]*\), lossPercent: \([0-9.]*\), reorderPercent: \([0-9.]*\).*/\1 loss \3%, reorder \4% (seed \2)/p' "$LABDIR/faults.yaml" | paste -sd ';' -)"
echo
echo "================================ lab summary ================================"
printf '%-16s %s\n' "built:" "$BUILT_DESC"
printf '%-16s %s\n' "bridge:" "$BRIDGE$([ "$BRIDGE" = kernel ] && echo " (Linux bridge br0 in $NS_A)" || echo " (${APPLIANCE#"$ROOT"/} in $NS_A, $(grep -o 'started: .*' "$DAEMON_LOG" 2>/dev/null | grep -o '[a-z]* I/O' || echo "$DRIVER driver"), $THREADING threading)")"
printf '%-16s %s\n' "faults:" "$fault_desc"
printf '%-16s %s\n' "topology:" "$NS_C cli0 $CLI_IP <-> out0 [$NS_A] in0 <-> srv0 $SRV_IP $NS_S"
[ -n "$PROXY_DESC" ] && printf '%-16s %s\n' "full proxy:" "$PROXY_DESC"
[ -n "$LB_DESC" ] && printf '%-16s %s\n' "load balancing:" "$LB_DESC"
[ -n "$DAEMON_DESC" ] && printf '%-16s %s\n' "appliance:" "$DAEMON_DESC"
for i in "${!CHECK_NAMES[@]}"; do
    printf '  %-32s %s\n' "${CHECK_NAMES[$i]}" "${CHECK_RESULTS[$i]}"
done
printf '%-16s %s\n' "download speed:" "$SPEED_DL"
printf '%-16s %s\n' "upload speed:" "$SPEED_UP"
for l in "${BENCH_LINES[@]}"; do echo "$l"; done
[ -n "$CAPTURE_DESC" ] && printf '%-16s %s\n' "capture:" "$CAPTURE_DESC"
printf '%-16s %s s\n' "wall time:" "$(( $(date +%s) - T_START ))"
if [ "$KEEP" = 1 ]; then
    echo "kept running:    namespaces $NS_C $NS_A $NS_S, nginx pid $NGINX_PID${DAEMON_PID:+, appliance pid $DAEMON_PID}, files in $WORK"
    echo "                 e.g. ip netns exec $NS_C curl -o /dev/null http://$SRV_IP/file-20m.bin"
    echo "                 remove with: $0 --down"
fi
if [ -n "$DAEMON_LOG" ] && [ "$KEEP" = 1 ]; then echo "appliance log:   $DAEMON_LOG"; fi
if [ "$NFAIL" != 0 ] && [ "$KEEP" = 0 ]; then echo "logs kept in:    $WORK"; fi
SUMMARY_DONE=1
echo "============================================================================="
echo "lab: $NPASS passed, $NFAIL failed"
[ "$NFAIL" = 0 ] || exit 1
exit 0
