# JVM flags for every JVM the project starts outside Maven: scripts/jvm-flags, plus the flags that only newer
# JDKs know (they quiet warnings about JNA/JNR loading native code and Agrona/Chronicle using sun.misc.Unsafe).
# Usage: source scripts/lib/jvm.sh; jvm_flags ROOT JAVA_HOME   -> fills the array JVM_FLAGS
jvm_flags() {
    local root=$1 java_home=$2 major
    mapfile -t JVM_FLAGS < <(grep -v '^\s*#' "$root/scripts/jvm-flags" | grep -v '^\s*$')
    major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$java_home/release" 2>/dev/null || true)
    if [[ -n "$major" ]] && (( major >= 22 )); then
        JVM_FLAGS+=(--enable-native-access=ALL-UNNAMED)
    fi
    if [[ -n "$major" ]] && (( major >= 24 )); then
        JVM_FLAGS+=(--sun-misc-unsafe-memory-access=allow)
    fi
}
