#!/usr/bin/env bash
# Writes the man page appliance(8) to stdout, made from the command line's own --help (the main command's and each
# subcommand's), so the page never drifts from the code. Called by scripts/build-deb.sh.
# Usage: scripts/deb/make-man.sh LAUNCHER VERSION
set -euo pipefail
launcher=$1 version=$2
export APPLIANCE_JAVA_OPTS="${APPLIANCE_JAVA_OPTS:-} -XX:TieredStopAtLevel=1"
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)

# help text as a no-fill block; roff control characters at line starts and backslashes escaped
verbatim() {
    echo ".nf"
    sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"
    echo ".fi"
}

main_help=$(COLUMNS=100 "$launcher" --help)
mapfile -t commands < <(awk '/^Commands:/ {on=1; next} on && /^$/ {exit} on && /^  [a-z]/ {print $1}' \
    <<<"$main_help" | grep -vx help)
(( ${#commands[@]} > 0 )) || { echo "make-man: no subcommands found in --help" >&2; exit 1; }

cat <<ROFF
.TH APPLIANCE 8 "$date" "inline-tls $version" "System Administration"
.SH NAME
appliance \\- inline TLS accelerator: daemon, configuration check and inspection tools
.SH SYNOPSIS
.B appliance
.RI [ COMMAND ]
.RI [ OPTIONS ]
.br
.B appliance run \\-\\-config /etc/inline-tls/appliance.yaml
.br
.B appliance check-config
.I FILE
.SH DESCRIPTION
ROFF
verbatim <<<"$main_help"
echo ".SH COMMANDS"
for command in "${commands[@]}"; do
    echo ".SS $command"
    COLUMNS=100 "$launcher" "$command" --help | verbatim
done
cat <<'ROFF'
.SH FILES
.TP
.I /etc/inline-tls/appliance.yaml
The configuration; every setting is documented in it. Validate it with
.BR "appliance check-config" .
Private keys it names must be mode 0600 or 0400 and readable by the user
.BR inline-tls .
.TP
.I /run/inline-tls/
Runtime files on tmpfs (counters, per-flow journal, session cache); read the counters with
.BR "appliance stats \-\-runtime-dir /run/inline-tls" .
.TP
.I /lib/systemd/system/inline-tls.service
The systemd unit: runs the daemon as the system user
.B inline-tls
with CAP_NET_RAW and CAP_NET_ADMIN only.
.SH SIGNALS
SIGTERM and SIGINT stop the daemon cleanly (NICs restored); SIGHUP
.RB ( "systemctl reload inline-tls" )
reloads the configuration and the certificates; SIGUSR1 logs the counters.
.SH ENVIRONMENT
.TP
.B APPLIANCE_JAVA_HOME
The Java runtime to use instead of the newest one under /usr/lib/jvm (17 or later).
.TP
.B APPLIANCE_JAVA_OPTS
Extra JVM options.
.SH EXIT STATUS
0 ok, 1 runtime failure, 2 bad usage or invalid configuration.
.SH SEE ALSO
.BR systemctl (1),
.BR ethtool (8)
ROFF
