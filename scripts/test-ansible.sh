#!/usr/bin/env bash
# Deployment tests, no lab and nothing changed outside a scratch folder (removed at exit):
#  * the Debian package (scripts/build-deb.sh): its contents and dependencies; unpacked with dpkg -x, the installed
#    'appliance --help', '--version' (newest JDK and JDK 17) and 'check-config' of the installed default config run
#    from there; the man page; 'systemd-analyze verify' of its unit;
#  * the Ansible role (scripts/ansible): syntax check, ansible-lint, the role applied for real with a local
#    connection into a scratch root (inline_tls_root; package install and service management off), applied again
#    with changed=0 (its reload command, run by the handler, only after the change), and a broken service that
#    fails the play at the validate step with the old file kept.
# Installs ansible, ansible-lint (Debian) when missing. Uses appliance/target/appliance.jar (mvn package), or builds
# it.
# Usage: scripts/test-ansible.sh        Prints "deploy: N passed, M failed" last.
# DEPLOY_KEEP_DEB=DIR keeps a copy of the package it built in DIR (scripts/test.sh runs the lab on it).
# shellcheck disable=SC2016 # the checks are bash -c scripts that take their paths as $1, $2
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/install.sh
source "$root/scripts/lib/install.sh"
ensure_packages ansible:ansible-playbook ansible-lint:ansible-lint openssl:openssl ethtool:ethtool

scratch=$(mktemp -d /tmp/inline-tls-deploy.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
# every file ansible and ansible-lint write (temp files, caches, collections) stays in the scratch folder
export ANSIBLE_HOME="$scratch/ansible-home" ANSIBLE_LOCAL_TEMP="$scratch/ansible-tmp" \
    ANSIBLE_REMOTE_TEMP="$scratch/ansible-tmp" XDG_CACHE_HOME="$scratch/cache" XDG_CONFIG_HOME="$scratch/config" \
    ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0 \
    ANSIBLE_CONFIG="$root/scripts/ansible/ansible.cfg"

passed=0 failed=0
log="$scratch/last.log"
started=$SECONDS
ok() { echo "  ok    $1 ($((SECONDS - started)) s)"; passed=$((passed + 1)); started=$SECONDS; }
bad() { echo "  FAIL  $1"; sed 's/^/        /' "$log" | tail -25; failed=$((failed + 1)); started=$SECONDS; }
# check NAME COMMAND...: passes when the command exits 0 (its output is kept in $log)
check() {
    local name=$1; shift
    if "$@" >"$log" 2>&1; then ok "$name"; else bad "$name"; fi
}
contains() { grep -q -- "$2" "$1"; }

echo "== Debian package"
deb=""
if "$root/scripts/build-deb.sh" --out "$scratch" >"$log" 2>&1; then
    deb=$(tail -1 "$log"); ok "build-deb.sh builds $(basename "$deb")"
    [[ -z "${DEPLOY_KEEP_DEB:-}" ]] || cp "$deb" "$DEPLOY_KEEP_DEB/"
else
    bad "build-deb.sh"
fi
pkg="$scratch/pkg"
if [[ -n "$deb" ]]; then
    check "dpkg -x unpacks it into a scratch root" dpkg-deb -x "$deb" "$pkg"
    dpkg-deb -e "$deb" "$scratch/control"
    check "it holds launcher, daemon, default config (conffile), unit and man page" bash -c '
        d=$1; deb=$2
        test -x "$d/usr/bin/appliance" && test -f "$d/usr/share/inline-tls/appliance.jar" &&
        ls "$d"/usr/share/inline-tls/lib/picocli-*.jar && test -f "$d/usr/share/inline-tls/jvm-flags" &&
        test -f "$d/etc/inline-tls/appliance.yaml" && test -f "$d/lib/systemd/system/inline-tls.service" &&
        test -f "$d/usr/share/man/man8/appliance.8.gz" &&
        dpkg-deb -I "$deb" conffiles | grep -qx /etc/inline-tls/appliance.yaml' _ "$pkg" "$deb"
    check "its maintainer scripts parse (sh -n) and create the user inline-tls" bash -c '
        for script in postinst prerm postrm; do sh -n "$1/$script" || exit 1; done
        grep -q "adduser --system --group" "$1/postinst" && grep -q "getent passwd inline-tls" "$1/postinst"' \
        _ "$scratch/control"
    check "it depends on a Java runtime and libpcap" bash -c '
        deps=$(dpkg-deb -f "$1" Depends); echo "$deps"
        [[ "$deps" == *"default-jre-headless | java17-runtime-headless"* && "$deps" == *libpcap0.8* ]]' _ "$deb"
    check "installed 'appliance --help' runs" bash -c '
        "$1/usr/bin/appliance" --help > "$2" && grep -q "Usage: appliance" "$2" && grep -q check-config "$2" &&
        grep -q "man appliance" "$2"' _ "$pkg" "$scratch/help.txt"
    check "installed 'appliance --version' runs on the newest JDK" bash -c '
        "$1/usr/bin/appliance" --version | tee /dev/stderr | grep -q "^appliance 0\."' _ "$pkg"
    jdk17=""
    for dir in /usr/lib/jvm/java-17-openjdk-*/; do [[ -x "$dir/bin/java" ]] && jdk17=${dir%/} && break; done
    if [[ -n "$jdk17" ]]; then
        check "installed launcher runs on JDK 17 (APPLIANCE_JAVA_HOME)" bash -c '
            APPLIANCE_JAVA_HOME=$2 "$1/usr/bin/appliance" --version | grep -q "^Java 17"' _ "$pkg" "$jdk17"
    fi
    check "installed 'appliance check-config' accepts the installed default config (runtime in /run/inline-tls)" \
        bash -c '"$1/usr/bin/appliance" check-config "$1/etc/inline-tls/appliance.yaml" > "$2" &&
            grep -q "configuration OK" "$2" && grep -q "/run/inline-tls" "$2" && ! grep -q /dev/shm "$2"' \
        _ "$pkg" "$scratch/check.txt"
    check "the man page has its sections and every subcommand" bash -c '
        zcat "$1" > "$2"
        for s in NAME SYNOPSIS DESCRIPTION COMMANDS FILES SIGNALS "EXIT STATUS"; do grep -qx ".SH $s" "$2"; done
        for c in run check-config stats flows replay; do grep -qx ".SS $c" "$2"; done
        # one section per subcommand of --help (less "help"), no more
        (( $(grep -c "^\.SS " "$2") == $(sed -n "/^Commands:/,/^$/p" "$3" | grep -c "^  [a-z]") - 1 ))' \
        _ "$pkg/usr/share/man/man8/appliance.8.gz" "$scratch/appliance.8" "$scratch/help.txt"
    # the unit as installed, with ExecStart pointing into the unpacked package (the only change) and man finding
    # the package's man page for Documentation=
    mkdir -p "$scratch/units"
    sed "s#/usr/bin/appliance#$pkg/usr/bin/appliance#g" "$pkg/lib/systemd/system/inline-tls.service" \
        > "$scratch/units/inline-tls.service"
    check "systemd-analyze verify passes on the unit (and finds its man page)" \
        env MANPATH="$pkg/usr/share/man" systemd-analyze verify "$scratch/units/inline-tls.service"
    check "the unit runs the daemon confined as asked" bash -c '
        u=$1
        for line in "User=inline-tls" "AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN" \
            "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN" "ProtectSystem=strict" "ProtectHome=yes" \
            "PrivateTmp=yes" "NoNewPrivileges=yes" "RuntimeDirectory=inline-tls" "RuntimeDirectoryMode=0700" \
            "LimitMEMLOCK=infinity" "Restart=on-failure" "ExecReload=/bin/kill -HUP \$MAINPID" \
            "ExecStart=/usr/bin/appliance run --config /etc/inline-tls/appliance.yaml"; do
            grep -qxF -- "$line" "$u" || { echo "missing: $line"; exit 1; }
        done' _ "$pkg/lib/systemd/system/inline-tls.service"
    # a real 'dpkg -i' on this machine's own system, seen through a throwaway overlay in a private mount namespace:
    # every write (dpkg database, /etc/passwd, /etc/inline-tls) lands in the scratch folder and vanishes with it
    if command -v unshare >/dev/null && [[ $(id -u) == 0 ]]; then
        ov="$scratch/overlay"
        mkdir -p "$ov/upper" "$ov/work" "$ov/merged"
        cp "$deb" "$scratch/inline-tls.deb"
        check "dpkg -i in a throwaway overlay of /: user, modes, working 'appliance', man page; then purge" \
            timeout 120 unshare -m --propagation private bash -c '
            set -e
            ov=$1
            mount -t overlay overlay -o "lowerdir=/,upperdir=$ov/upper,workdir=$ov/work" "$ov/merged"
            for fs in proc dev sys; do mount --rbind "/$fs" "$ov/merged/$fs"; done
            mount -t tmpfs tmpfs "$ov/merged/run"; mount -t tmpfs tmpfs "$ov/merged/tmp"
            cp "$2" "$ov/merged/tmp/inline-tls.deb"
            chroot "$ov/merged" bash -c "
                set -ex
                cd /
                rm -f /var/lib/man-db/auto-update    # no man-db index rebuild on install and purge: slow, unneeded
                dpkg -i /tmp/inline-tls.deb
                getent passwd inline-tls | grep -q :/nonexistent:
                [[ \$(stat -c %U:%G:%a /etc/inline-tls) == root:inline-tls:750 ]]
                [[ \$(stat -c %U:%G:%a /etc/inline-tls/appliance.yaml) == root:inline-tls:640 ]]
                command -v appliance
                appliance --version
                man -w appliance
                setpriv --reuid=inline-tls --regid=inline-tls --clear-groups \
                    appliance check-config /etc/inline-tls/appliance.yaml | grep -q \"configuration OK\"
                dpkg --purge inline-tls
                [[ ! -e /usr/bin/appliance && ! -e /etc/inline-tls ]]"' _ "$ov" "$scratch/inline-tls.deb"
    fi
    # the unit's privilege model, run by hand: user nobody with only the two ambient capabilities, on a veth pair in
    # a private network namespace (gone with the process) and runtime files in a scratch folder on tmpfs
    if command -v unshare >/dev/null && command -v setpriv >/dev/null && [[ $(id -u) == 0 ]]; then
        shm=$(mktemp -d /dev/shm/inline-tls-deploy.XXXXXX)
        chown nobody "$shm"
        chmod 0755 "$scratch"
        printf '%s\n' "interfaces: {outside: vout, inside: vin}" "runtime: {directory: $shm}" \
            "journal: {path: $shm/journal.dat}" "tls: {sessionCache: {path: $shm/sessions.dat}}" > "$scratch/run.yaml"
        chmod 0644 "$scratch/run.yaml"
        check "the installed daemon runs as an unprivileged user with CAP_NET_RAW+CAP_NET_ADMIN, stops on SIGTERM" \
            timeout 60 unshare -n bash -c '
            set -e
            ip link add vout type veth peer name vout-p; ip link add vin type veth peer name vin-p
            for nic in vout vout-p vin vin-p; do ip link set "$nic" up; done
            setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=+net_raw,+net_admin \
                --ambient-caps=+net_raw,+net_admin "$1/usr/bin/appliance" run --config "$2" > "$3" 2>&1 &
            pid=$!
            for _ in $(seq 1 100); do grep -q "appliance started" "$3" && break; sleep 0.3; done
            ethtool -k vout | grep -qx "generic-receive-offload: off"
            ethtool -k vin | grep -qx "tcp-segmentation-offload: off"
            kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?
            cat "$3"; echo "exit $rc"
            [[ $rc == 143 ]] && grep -q "appliance stopped" "$3" && [[ $(stat -c %U "$4/counters.dat") == nobody ]]' \
            _ "$pkg" "$scratch/run.yaml" "$scratch/run.log" "$shm"
        rm -rf "$shm"
    fi
fi

echo "== Ansible role"
cd "$root/scripts/ansible"
check "ansible-playbook --syntax-check site.yml" ansible-playbook -i inventory/hosts.example.yml --syntax-check site.yml
check "ansible-lint is clean" ansible-lint --offline -q site.yml roles/inline_tls

if [[ -x "$pkg/usr/bin/appliance" ]]; then
    stage="$scratch/root"
    mkdir -p "$scratch/files" "$stage"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=www.example.test \
        -addext subjectAltName=DNS:www.example.test -keyout "$scratch/files/www.key.pem" \
        -out "$scratch/files/www.chain.pem" >/dev/null 2>&1
    chmod 0600 "$scratch/files/www.key.pem"
    cat > "$scratch/inventory.yml" <<INV
inline_tls:
  hosts:
    appliance-under-test:
      ansible_connection: local
      ansible_python_interpreter: /usr/bin/python3
INV
    cat > "$scratch/vars.yml" <<VARS
inline_tls_root: "$stage"
inline_tls_install_package: false
inline_tls_manage_service: false
inline_tls_user: root
inline_tls_group: root
inline_tls_check_config_command: "$pkg/usr/bin/appliance check-config"
inline_tls_reload_command: [/usr/bin/touch, "$scratch/reloaded"]
inline_tls_interfaces: {outside: veth-out0, inside: veth-in0}
inline_tls_threading: {mode: dedicated, idle: backoff}
inline_tls_certificates:
  - {name: www, chain_src: "$scratch/files/www.chain.pem", key_src: "$scratch/files/www.key.pem", default: true}
inline_tls_services:
  - {name: www, mode: direct, listen: "198.51.100.10:443", backendPort: 80, onNonTls: reset}
VARS
    cat > "$scratch/broken.yml" <<VARS
inline_tls_services:
  - {name: www, mode: teleport, listen: "198.51.100.10:443", backendPort: 80}
VARS
    playbook=(ansible-playbook -i "$scratch/inventory.yml" site.yml -e "@$scratch/vars.yml")
    # recap_changed: the changed= count of the play recap in $log
    recap() { sed -n "s/^appliance-under-test *: .*$1=\([0-9]*\).*/\1/p" "$log" | tail -1; }
    conf="$stage/etc/inline-tls/appliance.yaml"

    if "${playbook[@]}" >"$log" 2>&1 && [[ "$(recap failed)" == 0 && "$(recap changed)" -gt 0 ]]; then
        ok "the role applies into a scratch root (changed=$(recap changed))"
    else
        bad "the role applies into a scratch root"
    fi
    check "it wrote a config that check-config accepts, with the service and the certificate" bash -c '
        "$1" check-config "$2" | tee /dev/stderr | grep -q "configuration OK" &&
        grep -q "mode: direct" "$2" && grep -q "veth-out0" "$2" && grep -q "$3/etc/inline-tls/certs/www.key.pem" "$2"' \
        _ "$pkg/usr/bin/appliance" "$conf" "$stage"
    check "modes: config 0640, key 0600, certs folder 0750" bash -c '
        [[ $(stat -c %a "$1/etc/inline-tls/appliance.yaml") == 640 &&
           $(stat -c %a "$1/etc/inline-tls/certs/www.key.pem") == 600 &&
           $(stat -c %a "$1/etc/inline-tls/certs") == 750 ]]' _ "$stage"
    check "the offloads unit turns the offloads off on both NICs and verifies" bash -c '
        u=$1/etc/systemd/system/inline-tls-offloads.service; cat "$u"
        grep -qx "ExecStart=/usr/sbin/ethtool -K veth-out0 gro off gso off tso off lro off" "$u" &&
        grep -qx "ExecStart=/usr/sbin/ethtool -K veth-in0 gro off gso off tso off lro off" "$u" &&
        grep -q "sys-subsystem-net-devices-veth\\\\x2dout0.device" "$u" &&
        systemd-analyze verify "$u"' _ "$stage"
    check "its handler ran inline_tls_reload_command (no systemd) after the change" test -e "$scratch/reloaded"
    rm -f "$scratch/reloaded"
    if "${playbook[@]}" >"$log" 2>&1 && [[ "$(recap failed)" == 0 && "$(recap changed)" == 0 ]]; then
        ok "applied again: changed=0"
    else
        bad "applied again: changed=0 (was changed=$(recap changed))"
    fi
    before=$(sha256sum "$conf")
    if ! "${playbook[@]}" -e "@$scratch/broken.yml" >"$log" 2>&1 && contains "$log" "failed to validate" &&
        contains "$log" "mode" && [[ "$(recap failed)" == 1 && "$(sha256sum "$conf")" == "$before" ]]; then
        ok "a broken service fails the play at the validate step; the old config stays"
    else
        bad "a broken service fails the play at the validate step; the old config stays"
    fi
    check "neither the unchanged run nor the broken one ran the reload command" test ! -e "$scratch/reloaded"
else
    bad "the role's tests need the unpacked package (see above)"
fi

echo "deploy: $passed passed, $failed failed"
(( failed == 0 ))
