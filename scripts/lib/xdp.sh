# scripts/lib/xdp.sh - sourced: whether the daemon's XDP path (io.driver: xdp) can work with a build.
# xdp_unavailable ROOT: prints why not (nothing when it can): the build must bundle the XDP program (built
# with clang and libbpf-dev: the native-shim jar holds org/inlinetls/shim/xdp/intercept.bpf.o) and libbpf1
# must be installed. The kernel's own verdict comes from the daemon (XdpProgram's probe): a lab run whose
# daemon fell back to the ring fails its io-driver check with the reason.
xdp_unavailable() {
    local root=$1 jar
    jar=$(ls "$root"/native-shim/target/native-shim-*.jar "$root"/appliance/target/lib/native-shim-*.jar \
        2>/dev/null | grep -v -- '-sources\|-javadoc\|-tests' | head -1)
    if [ -z "$jar" ]; then
        echo "no native-shim jar in $root (not built)"
    elif ! unzip -l "$jar" 2>/dev/null | grep -q 'org/inlinetls/shim/xdp/intercept.bpf.o'; then
        echo "the build has no XDP program ($jar: built without clang or libbpf-dev)"
    elif ! ldconfig -p 2>/dev/null | grep -q 'libbpf\.so\.1 '; then
        echo "libbpf.so.1 is not installed (Debian: libbpf1)"
    elif [ "$(uname -s)" != Linux ]; then
        echo "not Linux"
    fi
}
