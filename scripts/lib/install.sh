# Installs Debian packages only when what they provide is missing, so repeated runs stay fast.
# ensure_packages PACKAGE:COMMAND_OR_PATH ...
ensure_packages() {
    local missing=() spec pkg probe
    for spec in "$@"; do
        pkg=${spec%%:*}; probe=${spec#*:}
        if [[ "$probe" == /* ]]; then [[ -e "$probe" ]] && continue
        else command -v "$probe" >/dev/null 2>&1 && continue; fi
        missing+=("$pkg")
    done
    (( ${#missing[@]} == 0 )) && return 0
    if [[ $(id -u) -ne 0 ]]; then
        echo "missing packages: ${missing[*]} (run as root, or apt-get install them)" >&2
        return 1
    fi
    echo "installing: ${missing[*]}" >&2
    apt-get update -q >/dev/null
    # no service of a package starts during the install (prometheus for promtool, nginx): a policy that denies it,
    # unless one is in place already, removed afterwards
    local policy_added=0 rc=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_added=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null || rc=$?
    (( policy_added == 0 )) || rm -f /usr/sbin/policy-rc.d
    return "$rc"
}
