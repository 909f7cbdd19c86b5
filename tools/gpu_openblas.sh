#!/usr/bin/env bash
# gpu_openblas.sh -- brings OpenBLAS to a GPU machine that has nvcc, cuBLAS
# and PyTorch but no OpenBLAS (and no PostgreSQL), so the CPU side of the
# parity tests and benchmarks builds there; GNU make too, for a machine
# without it.  See docs/gpu.md.
#
#   bash tools/gpu_openblas.sh fetch    here (Debian, network): the .deb files
#                                       into build/gpu-debs (git-ignored; carry it)
#   bash tools/gpu_openblas.sh unpack   there: dpkg -x them into build/gpu-root
#   bash tools/gpu_openblas.sh env      there: prints the make variables to use
#
# Packages: OpenBLAS 0.3.21 (pthread build) and its run-time dependencies
# libgfortran5 and libquadmath0, and make, unpacked (never installed) under
# build/.
set -euo pipefail
cd "$(dirname "$0")/.."
DEBS=build/gpu-debs
ROOT=$PWD/build/gpu-root
PKGS="libopenblas0-pthread libopenblas-pthread-dev libgfortran5 libquadmath0 make"
LIB=$ROOT/usr/lib/x86_64-linux-gnu

case "${1:-}" in
fetch)
    mkdir -p "$DEBS"
    (cd "$DEBS" && apt-get download $PKGS)
    ls "$DEBS"
    ;;
unpack)
    ls "$DEBS"/*.deb >/dev/null
    mkdir -p "$ROOT"
    for d in "$DEBS"/*.deb; do dpkg -x "$d" "$ROOT"; done
    test -e "$LIB/openblas-pthread/libopenblas.so"
    echo "unpacked into $ROOT"
    ;;
env)
    echo "BLAS_LIBS='-L$LIB/openblas-pthread -L$LIB -lopenblas -Wl,-rpath,$LIB/openblas-pthread -Wl,-rpath,$LIB -Wl,-rpath-link,$LIB'"
    echo "CORE_EXTRA='-I$ROOT/usr/include/x86_64-linux-gnu/openblas-pthread'"
    echo "MAKE_BIN='$ROOT/usr/bin/make'"
    ;;
*)
    sed -n '2,13p' "$0"; exit 2
    ;;
esac
