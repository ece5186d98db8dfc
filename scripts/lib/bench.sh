# shellcheck shell=bash
# Shared by the lab benchmarks (bench-io.sh, bench-tls.sh): the CPU accounting of processes and of the rest of
# the machine, and the wait for other work to settle before a measured run. Sourced; expects the caller's
# NS_C/NS_A/NS_S (namespaces), LAB_NETNS (from lab_netns_ids), OUT (work directory), CLK_TCK, QUIET_WAIT, QUIET_CORES, WAITED_S, NOT_QUIET and a
# log function.

lab_netns_ids() {
    local ns
    for ns in "$NS_C" "$NS_A" "$NS_S"; do ip netns exec "$ns" readlink /proc/self/ns/net; done | tr '\n' ' '
}

other_snapshot() {  # other_snapshot FILE
    { find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/net' -printf '%h %l\n' 2>/dev/null || true; } |
        awk -v lab="$LAB_NETNS" '
            BEGIN { n = split(lab, ids, " "); for (i = 1; i <= n; i++) skip[ids[i]] = 1 }
            !($2 in skip) { sub(/\/ns$/, "/stat", $1); print $1 }' |
        { xargs cat 2>/dev/null || true; } |   # cat goes on past processes that exit meanwhile
        awk '{
            pid = $1; line = $0; sub(/.*\) /, "", line); split(line, a, " ")
            if (pid != 2 && a[2] != 2) print pid ":" a[20], a[12] + a[13]
        }' >"$1"
}

other_ticks_between() {  # other_ticks_between FILE0 FILE1
    awk 'NR == FNR { t0[$1] = $2; next } { d += ($1 in t0) ? $2 - t0[$1] : $2 } END { print d + 0 }' "$1" "$2"
}

pid_ticks() {  # utime+stime of a whole process (all its threads, live and exited)
    local s
    { read -r s <"/proc/$1/stat"; } 2>/dev/null || { echo 0; return 0; }
    s=${s##*) }
    # shellcheck disable=SC2086
    set -- $s
    echo $((${12} + ${13}))
}

wait_quiet() {  # wait (at most QUIET_WAIT s) until processes outside the lab use less than QUIET_CORES
    [ "$QUIET_WAIT" -gt 0 ] || return 0
    local start load t0 t1 said=0
    start=$(date +%s)
    while :; do
        other_snapshot "$OUT/.other0"; t0=$(date +%s.%N)
        sleep 1
        other_snapshot "$OUT/.other1"; t1=$(date +%s.%N)
        load=$(awk -v d="$(other_ticks_between "$OUT/.other0" "$OUT/.other1")" -v k="$CLK_TCK" -v a="$t0" -v b="$t1" \
            'BEGIN { printf "%.2f", d / k / (b - a) }')
        if awk -v l="$load" -v q="$QUIET_CORES" 'BEGIN { exit !(l < q) }'; then break; fi
        if [ $(( $(date +%s) - start )) -ge "$QUIET_WAIT" ]; then
            log "processes outside the lab still use $load cores after ${QUIET_WAIT} s; measuring anyway"
            NOT_QUIET=$((NOT_QUIET + 1))
            break
        fi
        [ "$said" = 1 ] || log "waiting for other work on the machine to settle ($load cores busy outside the lab)"
        said=1
    done
    WAITED_S=$((WAITED_S + $(date +%s) - start))
}
