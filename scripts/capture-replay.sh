#!/usr/bin/env bash
# scripts/capture-replay.sh - records the direct-mode replay captures of test-pcaps/ in the lab.
#
# Runs scripts/lab.sh --keep (all its checks) with the appliance's key log export on, then, in the kept lab,
# captures both legs in the appliance namespace while the client makes two HTTPS requests through the appliance:
#
#   OUT/https-direct-outside.pcap   tcpdump -i out0  (client frames in, the appliance's frames to the client out)
#   OUT/https-direct-inside.pcap    tcpdump -i in0   (server frames in, the appliance's plaintext to the server out)
#   OUT/https-direct.keylog         the key log lines of those two handshakes (NSS format, throw-away lab keys)
#
#   1. TLS 1.3: GET /replay-6k.bin        (6,144 bytes, seq -f '%07g' 0 767)
#   2. TLS 1.2: PUT /upload/replay-4k.bin (4,096 bytes, seq -f 'u%06g' 0 511)
#
# and tears the lab down. Usage: sudo scripts/capture-replay.sh [OUT-DIR] (default test-pcaps/).
# LAB_PREFIX (default replay) names the namespaces, as for lab.sh. CAPTURE_KIB_DOWN / CAPTURE_KIB_UP (default 6 / 4)
# size the two transfers, e.g. 8192 / 2048 for a bulk capture that bench-replay.sh times per data frame (keep those
# out of test-pcaps/: the files keep their names).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(cd "${1:-$ROOT/test-pcaps}" && pwd)
export LAB_PREFIX=${LAB_PREFIX:-replay}
NS_A="$LAB_PREFIX-appl"
NS_C="$LAB_PREFIX-client"
SRV_IP=198.18.0.2
KEYLOG="/dev/shm/$LAB_PREFIX-capture.keylog"
[ "$(id -u)" = 0 ] || { echo "capture-replay.sh: must run as root" >&2; exit 2; }

cleanup() {
    set +e
    [ -z "${PIDS:-}" ] || kill -INT $PIDS 2>/dev/null
    "$ROOT/scripts/lab.sh" --down >/dev/null 2>&1
    rm -f "$KEYLOG" "$KEYLOG.1"
}
trap cleanup EXIT
rm -f "$KEYLOG" "$KEYLOG.1"

echo "[capture] lab.sh --keep with the key log export on ($KEYLOG)"
LAB_KEYLOG="$KEYLOG" "$ROOT/scripts/lab.sh" --keep --no-ipv6 ${CAPTURE_LAB_ARGS:-} || { echo "[capture] lab failed" >&2; exit 1; }
WORK=$(cat "/tmp/$LAB_PREFIX-lab.kept")
KIB_DOWN=${CAPTURE_KIB_DOWN:-6}
KIB_UP=${CAPTURE_KIB_UP:-4}
[[ "$KIB_DOWN" =~ ^[1-9][0-9]*$ && "$KIB_UP" =~ ^[1-9][0-9]*$ ]] || { echo "[capture] sizes must be KiB" >&2; exit 2; }
seq -f '%07g' 0 $((KIB_DOWN * 128 - 1)) > "$WORK/server/www/replay-6k.bin"     # 8 bytes a line
seq -f 'u%06g' 0 $((KIB_UP * 128 - 1)) > "$WORK/client/replay-4k.bin"
sleep 1   # the key log writer has flushed the checks' handshakes
offset=$(stat -c %s "$KEYLOG")

PIDS=""
for leg in outside:out0 inside:in0; do
    ip netns exec "$NS_A" tcpdump -i "${leg#*:}" -n -Z root -s 0 -U --time-stamp-precision=micro \
        -w "$OUT/https-direct-${leg%%:*}.pcap" "tcp and host $SRV_IP" >"$WORK/tcpdump-${leg%%:*}.log" 2>&1 &
    PIDS="$PIDS $!"
done
for log in "$WORK"/tcpdump-*.log; do
    for _ in $(seq 1 50); do grep -q 'listening on' "$log" 2>/dev/null && break; sleep 0.1; done
done
sleep 0.3
CURL=(ip netns exec "$NS_C" curl -sS -4 -k --noproxy '*' --http1.1 --connect-timeout 10 --max-time 120)
"${CURL[@]}" --tlsv1.3 -o "$WORK/client/replay-6k.bin" "https://$SRV_IP/replay-6k.bin"
sleep 0.5
"${CURL[@]}" --tlsv1.2 --tls-max 1.2 -H 'Expect:' -T "$WORK/client/replay-4k.bin" -o /dev/null \
    "https://$SRV_IP/upload/replay-4k.bin"
sleep 1.5   # the FIN exchanges land in the capture, the key log writer flushes
kill -INT $PIDS
wait $PIDS 2>/dev/null || true
PIDS=""
cmp "$WORK/client/replay-6k.bin" "$WORK/server/www/replay-6k.bin"
cmp "$WORK/client/replay-4k.bin" "$WORK/server/upload/replay-4k.bin"
tail -c +"$((offset + 1))" "$KEYLOG" > "$OUT/https-direct.keylog"
cat "$WORK"/tcpdump-*.log
ls -l "$OUT"/https-direct*
echo "[capture] done: $(wc -l < "$OUT/https-direct.keylog") key log lines"
