#!/bin/sh
# Compiles the XDP program for the native-shim jar (called by the Maven build, process-resources phase).
# usage: build-bpf.sh SOURCE.c OUTPUT.o
# Missing clang or libbpf headers: a warning and exit 0 (the jar then has no object and XdpProgram says why).
# A program that does not compile: exit 1 (the build fails).
set -eu
source_file=$1
output_file=$2
if ! command -v clang >/dev/null 2>&1 || [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
    echo "[WARNING] clang or /usr/include/bpf/bpf_helpers.h (libbpf-dev) missing: the XDP program is not built" \
         "and the xdp io driver will be unavailable (apt-get install clang llvm libbpf-dev)" >&2
    rm -f "$output_file"
    exit 0
fi
mkdir -p "$(dirname "$output_file")"
# asm/types.h: clang -target bpf does not search the Debian multiarch include directory by itself
multiarch=$(gcc -print-multiarch 2>/dev/null || uname -m | sed 's/$/-linux-gnu/')
exec clang -O2 -g -Wall -Werror -target bpf -I"/usr/include/$multiarch" -c "$source_file" -o "$output_file"
