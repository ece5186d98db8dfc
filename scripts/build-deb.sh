#!/usr/bin/env bash
# Builds the Debian package inline-tls_VERSION_all.deb from the appliance module's jar and lib/ (dpkg-deb; the
# jdeb Maven plugin is not available offline here). The package holds:
#   /usr/bin/appliance                     the launcher (newest JDK >= 17 found, the JVM flags of scripts/jvm-flags)
#   /usr/share/inline-tls/                 appliance.jar, lib/*.jar, jvm-flags
#   /etc/inline-tls/appliance.yaml         config/appliance.yaml with its runtime paths in /run/inline-tls (conffile)
#   /lib/systemd/system/inline-tls.service the unit (scripts/deb/inline-tls.service)
#   /usr/share/man/man8/appliance.8.gz     man page made from the command line's --help
# Usage: scripts/build-deb.sh [--no-build] [--out DIR]     (DIR defaults to target/ at the top of the repo)
#   --no-build   use the jar already built (fails when there is none) instead of running mvn package when stale
# Prints the path of the .deb on its last line. DEB_VERSION overrides the version taken from pom.xml.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=1
out="$root/target"
while (( $# )); do
    case "$1" in
        --no-build) build=0 ;;
        --out) out=$2; shift ;;
        -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build-deb: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

jar="$root/appliance/target/appliance.jar"
lib="$root/appliance/target/lib"
stale() {
    [[ ! -f "$jar" || ! -d "$lib" ]] && return 0
    [[ -n "$(find "$root" -path "$root/*/target" -prune -o \( -name '*.java' -o -name 'pom.xml' -o -name '*.xml' \) \
        -newer "$jar" -print -quit 2>/dev/null)" ]]
}
if stale; then
    if (( ! build )); then echo "build-deb: $jar is missing or stale (run mvn package)" >&2; exit 1; fi
    echo "build-deb: building (mvn package)..." >&2
    (cd "$root" && mvn -q -B -DskipTests -pl appliance -am package) >&2
fi

pom_version=$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$root/pom.xml")
version=${DEB_VERSION:-${pom_version//-/\~}}      # 0.1.0-SNAPSHOT -> 0.1.0~SNAPSHOT (sorts before 0.1.0)
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)}

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
umask 022
share="$stage/usr/share/inline-tls"
chmod 0755 "$stage"
install -d "$share/lib" "$stage/usr/bin" "$stage/etc/inline-tls" "$stage/lib/systemd/system" \
    "$stage/usr/share/man/man8" "$stage/usr/share/doc/inline-tls" "$stage/DEBIAN"
install -m 0644 "$jar" "$share/appliance.jar"
install -m 0644 "$lib"/*.jar "$share/lib/"
install -m 0644 "$root/scripts/jvm-flags" "$share/jvm-flags"
install -m 0755 "$root/scripts/deb/appliance" "$stage/usr/bin/appliance"
install -m 0644 "$root/scripts/deb/inline-tls.service" "$stage/lib/systemd/system/inline-tls.service"
# the shipped example, with everything the daemon keeps at run time in the unit's RuntimeDirectory
header='# Installed by the inline-tls package: runtime files live in /run/inline-tls (the unit'"'"'s RuntimeDirectory,\n'
header+='# tmpfs). Validate after editing: appliance check-config /etc/inline-tls/appliance.yaml'
sed -e 's:/dev/shm/inline-tls:/run/inline-tls:g' -e "1a $header" \
    "$root/config/appliance.yaml" > "$stage/etc/inline-tls/appliance.yaml"
grep -q '/dev/shm' <(grep -v '^\s*#' "$stage/etc/inline-tls/appliance.yaml") && {
    echo "build-deb: the packaged config still points into /dev/shm" >&2; exit 1; }
install -m 0644 "$root/README.md" "$stage/usr/share/doc/inline-tls/README.md"

# man page from the command line's own help, run from the staged files (also a smoke test of the launcher)
"$root/scripts/deb/make-man.sh" "$stage/usr/bin/appliance" "$version" | gzip -9n \
    > "$stage/usr/share/man/man8/appliance.8.gz"

for script in postinst prerm postrm; do
    install -m 0755 "$root/scripts/deb/$script" "$stage/DEBIAN/$script"
done
echo /etc/inline-tls/appliance.yaml > "$stage/DEBIAN/conffiles"
size_kb=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE_KB@/$size_kb/" \
    -e "s/@MAINTAINER@/${DEB_MAINTAINER:-inline-tls developers <inline-tls@localhost>}/" \
    "$root/scripts/deb/control.in" > "$stage/DEBIAN/control"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
deb="$out/inline-tls_${version}_all.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
echo "$deb"
