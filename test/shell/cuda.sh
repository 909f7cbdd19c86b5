#!/usr/bin/env bash
# cuda.sh -- the CUDA backend's parity tests (build/cuda_tests, test/cuda).
# Built where nvcc exists; without a GPU each test prints a SKIP line with
# the reason, so CI shows them and never fails for want of a device.  Also
# checks that informer.so never links CUDA and USE_CUDA=0 builds none of it.
. "$REPO/test/lib/tap.sh"

name="CUDA backend parity tests"
log="$WORK/cuda_build.log"
if [ "$(make -s -C "$REPO" print-use-cuda 2>/dev/null)" != 1 ]; then
    ok "$name # SKIP nvcc not found (or USE_CUDA=0): the CUDA module is not built"
elif make -s -C "$REPO" build/cuda_tests >"$log" 2>&1; then
    "$REPO/build/cuda_tests" "$INFORMER_DATA" || echo "# build/cuda_tests exited with $?"
else
    cat "$log"
    not_ok "$name: build/cuda_tests builds"
fi

if ldd "$REPO/informer.so" | grep -qi 'cuda\|cublas'; then
    not_ok "informer.so links no CUDA library"
else
    ok "informer.so links no CUDA library"
fi
if make -n -C "$REPO" USE_CUDA=0 all 2>/dev/null | grep -q 'nvcc\|informer_cuda'; then
    not_ok "make USE_CUDA=0 builds nothing of the CUDA module"
else
    ok "make USE_CUDA=0 builds nothing of the CUDA module"
fi
if [ -e "$REPO/informer_cuda.so" ]; then
    # opened as the job worker will: dlopen, then the probe's answer
    probe=$(/usr/bin/python3 - "$REPO/informer_cuda.so" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
why = ctypes.create_string_buffer(256)
n = lib.informer_cuda_probe(why, ctypes.c_size_t(256))
print(n if n > 0 else "0: " + why.value.decode())
PY
)
    if [ -n "$probe" ]; then
        ok "informer_cuda.so opens with dlopen; devices: $probe"
    else
        not_ok "informer_cuda.so opens with dlopen"
    fi
fi
