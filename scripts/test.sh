#!/usr/bin/env bash
# Runs the whole test suite: every module's unit and integration tests (Maven), the deployment tests (Debian
# package, systemd unit, Ansible role: scripts/test-ansible.sh, ~1 min, nothing outside a scratch folder), the lab's
# analysis tools (scripts/lab/test_*.py), then the network-namespace lab three times: the Debian package the deployment
# tests built, unpacked with dpkg -x into a scratch folder, its installed launcher running the daemon (scripts/lab.sh
# --quick: ping, one HTTPS download, appliance stats/flows; ~20 s; namespaces PREFIX-deb-*), then clean in shared
# threading, and with 5% loss + 5% reordering on both legs (scripts/lab/faults.yaml) in dedicated threading; then,
# where the build bundles the XDP program and libbpf1 is installed, the I/O sections of the lab (plain, tiny-window)
# with the daemon on XDP + AF_XDP (LAB_IO=xdp), clean and with faults (~3 minutes).
# HTTPS sizes per suite and client (6 suites x curl and openssl s_client in direct mode; through the full proxy 2
# suites x both clients, under faults one client per suite): both labs use the lab's defaults, 50 MiB down and 20 MiB
# up (clean: ~1 min of transfers on 2 shared cores; under faults direct mode carries 6-40 MiB/s per transfer, the
# full proxy ~1 MiB/s: about 6 minutes); TEST_FAULTS_HTTPS_MIB_DOWN / TEST_FAULTS_HTTPS_MIB_UP shrink the faults run.
# Installs what it needs on a fresh Debian machine.
# Usage: scripts/test.sh [--no-lab]     (the lab needs root; CI runs as root)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
run_lab=1
[[ "${1:-}" == "--no-lab" ]] && run_lab=0

# shellcheck source=scripts/lib/install.sh
source "$root/scripts/lib/install.sh"
ensure_packages libpcap0.8:/usr/lib/x86_64-linux-gnu/libpcap.so.0.8 ethtool:ethtool iproute2:ip \
    iputils-ping:ping curl:curl nginx-light:nginx maven:mvn openssl:openssl prometheus:promtool \
    clang:clang llvm:llc libbpf-dev:/usr/include/bpf/bpf_helpers.h

status=0
echo "== unit and integration tests (mvn verify)"
mvn -B -ntp verify || status=1

read -r mvn_passed mvn_failed < <(python3 - "$root" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
passed = failed = 0
for f in glob.glob(sys.argv[1] + "/*/target/surefire-reports/TEST-*.xml"):
    t = ET.parse(f).getroot()
    n, fl, er, sk = (int(t.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    passed += n - fl - er - sk
    failed += fl + er
print(passed, failed)
PY
)
echo "== deployment: Debian package, systemd unit, Ansible role (scripts/test-ansible.sh)"
deploy_log=$(mktemp)
deb_dir=$(mktemp -d)   # the package test-ansible.sh builds, kept for the lab run of the installed daemon
trap 'rm -rf "$deb_dir"' EXIT
if ! DEPLOY_KEEP_DEB="$deb_dir" "$root/scripts/test-ansible.sh" 2>&1 | tee "$deploy_log"; then status=1; fi
if line=$(grep -E '^deploy: [0-9]+ passed, [0-9]+ failed' "$deploy_log" | tail -1); then
    read -r deploy_passed deploy_failed < <(sed -E 's/^deploy: ([0-9]+) passed, ([0-9]+) failed.*/\1 \2/' <<<"$line")
else
    deploy_passed=0; deploy_failed=1; status=1
fi
rm -f "$deploy_log"

echo "== lab tools (python3 -m unittest scripts/lab/test_*.py)"
tools_log=$(mktemp)
if ! python3 -m unittest discover -s "$root/scripts/lab" -p 'test_*.py' -v 2>&1 | tee "$tools_log"; then status=1; fi
tools_passed=$(grep -cE ' \.\.\. ok$' "$tools_log" || true)
tools_failed=$(grep -cE ' \.\.\. (FAIL|ERROR)$' "$tools_log" || true)
grep -qE '^OK' "$tools_log" || { (( tools_failed > 0 )) || tools_failed=1; status=1; }
rm -f "$tools_log"

lab_passed=0; lab_failed=0
# lab_run LOG: adds the "lab: N passed, M failed" line of LOG to the lab totals (a missing line counts as a failure)
lab_run() {
    local line
    if line=$(grep -E '^lab: [0-9]+ passed, [0-9]+ failed' "$1" | tail -1); then
        lab_passed=$(( lab_passed + $(sed -E 's/^lab: ([0-9]+) passed.*/\1/' <<<"$line") ))
        lab_failed=$(( lab_failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line") ))
    else
        lab_failed=$(( lab_failed + 1 )); status=1
    fi
}
if (( run_lab )); then
    echo "== lab --quick on the installed package (dpkg -x into a scratch folder, LAB_APPLIANCE=its usr/bin/appliance)"
    log=$(mktemp)
    deb=$(find "$deb_dir" -name 'inline-tls_*.deb' | head -1)
    if [[ -z "$deb" ]]; then
        deb=$("$root/scripts/build-deb.sh" --out "$deb_dir" | tail -1) || deb=""
    fi
    if [[ -n "$deb" ]] && dpkg-deb -x "$deb" "$deb_dir/root"; then
        if ! LAB_PREFIX="${LAB_PREFIX:-itls}-deb" LAB_APPLIANCE="$deb_dir/root/usr/bin/appliance" \
                "$root/scripts/lab.sh" --quick --no-build 2>&1 | tee "$log"; then status=1; fi
    else
        echo "lab: 0 passed, 1 failed (no package to unpack)" | tee "$log"; status=1
    fi
    lab_run "$log"
    rm -f "$log"
    faults_sizes=(LAB_HTTPS_MIB_DOWN="${TEST_FAULTS_HTTPS_MIB_DOWN:-50}"
        LAB_HTTPS_MIB_UP="${TEST_FAULTS_HTTPS_MIB_UP:-20}")
    for args in "" "--faults --threading dedicated"; do
        echo "== lab ${args:-(clean)}"
        sizes=()
        [[ -z "$args" ]] || sizes=("${faults_sizes[@]}")
        log=$(mktemp)
        # shellcheck disable=SC2086 # args is a list of options
        if ! env "${sizes[@]}" "$root/scripts/lab.sh" $args 2>&1 | tee "$log"; then status=1; fi
        lab_run "$log"
        rm -f "$log"
    done
    # The daemon on XDP + AF_XDP (LAB_IO=xdp: out0/in0 in a Linux bridge that forwards what is not intercepted),
    # clean and with faults, only the sections that matter for I/O: ping, the io-driver check (the daemon runs on
    # xdp, no fallback), ARP, plain HTTP 20 MiB down / 10 MiB up (sha256; direct mode intercepts the server's
    # plaintext port, so both directions go through AF_XDP and the engine) and an HTTPS download through the
    # engine (tiny-window); about 1.5 minutes each, from the build the labs above made; only where XDP can work.
    # shellcheck source=scripts/lib/xdp.sh
    source "$root/scripts/lib/xdp.sh"
    xdp_why=$(xdp_unavailable "$root")
    if [[ -n "$xdp_why" ]]; then
        echo "== lab on XDP skipped: $xdp_why"
    else
        for args in "" "--faults"; do
            echo "== lab on XDP ${args:-(clean)} (LAB_IO=xdp LAB_ONLY='plain tiny-window')"
            log=$(mktemp)
            # shellcheck disable=SC2086 # args is a list of options
            if ! LAB_IO=xdp LAB_ONLY="plain tiny-window" LAB_PREFIX="${LAB_PREFIX:-itls}-xdp" \
                    "$root/scripts/lab.sh" --no-build $args 2>&1 | tee "$log"; then status=1; fi
            lab_run "$log"
            rm -f "$log"
        done
    fi
fi
echo "== summary: maven ${mvn_passed} passed, ${mvn_failed} failed; deploy ${deploy_passed} passed," \
    "${deploy_failed} failed; lab tools ${tools_passed} passed, ${tools_failed} failed;" \
    "lab ${lab_passed} passed, ${lab_failed} failed"
(( mvn_failed + deploy_failed + tools_failed + lab_failed > 0 )) && status=1
echo "$(( mvn_passed + deploy_passed + tools_passed + lab_passed )) passed," \
    "$(( mvn_failed + deploy_failed + tools_failed + lab_failed )) failed"
exit $status
