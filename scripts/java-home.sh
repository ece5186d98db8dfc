#!/usr/bin/env bash
# Prints the JAVA_HOME of the newest JDK installed under /usr/lib/jvm (Temurin 25 on our machines: its crypto
# intrinsics are much faster), falling back to the java on PATH. Sourced by the launcher and the benchmarks.
newest=""
best=0
for dir in /usr/lib/jvm/*/; do
    dir=${dir%/}
    [[ -x "$dir/bin/java" && ! -L "$dir" ]] || continue
    release="$dir/release"
    [[ -f "$release" ]] || continue
    major=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release")
    [[ -n "$major" ]] || continue
    if (( major > best )); then best=$major; newest=$dir; fi
done
if [[ -n "$newest" ]]; then
    echo "$newest"
else
    dirname "$(dirname "$(readlink -f "$(command -v java)")")"
fi
