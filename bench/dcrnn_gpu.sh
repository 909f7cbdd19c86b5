#!/usr/bin/env bash
# dcrnn_gpu.sh -- everything a GPU session runs for the CUDA backend, in
# stages that each fit in a few minutes; JSON lines on stdout, logs in
# build/gpu/logs.  Needs no PostgreSQL; OpenBLAS comes unpacked from .deb
# files when the machine has none (tools/gpu_openblas.sh, docs/gpu.md).
#
#   bash bench/dcrnn_gpu.sh prepare   here (Debian + network): .deb files into
#                                     build/gpu-debs, fixtures into build/gpu-data
#   bash bench/dcrnn_gpu.sh build     there: core, CUDA objects, tests, benchmark
#   bash bench/dcrnn_gpu.sh parity    parity tests (build/gpu/cuda_tests), also with TF32,
#                                     the driver's CUDA tests (core_tests) + CPU fixtures,
#                                     the PyTorch baseline against the C model on the GPU
#   bash bench/dcrnn_gpu.sh sanitize  the parity tests under compute-sanitizer
#                                     memcheck and racecheck (280 s each at most)
#   bash bench/dcrnn_gpu.sh epochs    N = 51, 207 (METR-LA's size), 325: CUDA with
#                                     and without graphs, CPU, PyTorch eager on the GPU
#                                     (dense and sparse supports)
#   bash bench/dcrnn_gpu.sh many      1 against 100 models of N = 50 on the GPU (float32
#                                     and TF32), then
#                                     100 patterns of N = 40..50 through the
#                                     training driver, alone against together
#   bash bench/dcrnn_gpu.sh all       build parity sanitize epochs many
#
# CPU_BATCHES (default 2) batches time the CPU backend, scaled to the epoch;
# THREADS (default: all cores) is its OpenBLAS thread count.
set -uo pipefail
cd "$(dirname "$0")/.."
B=build/gpu
LOGS=$B/logs
DATA=${INFORMER_DATA:-}
[ -n "$DATA" ] || { [ -d build/gpu-data ] && DATA=$PWD/build/gpu-data || DATA=$(cd .. && pwd)/shared/data; }
THREADS=${THREADS:-$(nproc)}
CPU_BATCHES=${CPU_BATCHES:-2}
mkdir -p "$LOGS"

# make, with the unpacked OpenBLAS (and make) when the system has none
mk() {
    local extra=() make=make
    if ! command -v make >/dev/null ||
        ! printf '#include <cblas.h>\nint main(void) { return 0; }\n' |
            cc -x c - -lopenblas -o /dev/null 2>/dev/null; then
        [ -d build/gpu-root ] || bash tools/gpu_openblas.sh unpack >&2 || return 1
        eval "$(bash tools/gpu_openblas.sh env)"
        extra=(BLAS_LIBS="$BLAS_LIBS" CORE_EXTRA="$CORE_EXTRA")
        command -v make >/dev/null || make=$MAKE_BIN
    fi
    $make -s BUILD=$B USE_CUDA=1 "${extra[@]}" "$@"
}

# tally NAME LOG: one JSON line from TAP-style ok / not ok / SKIP lines
tally() {
    local p s f
    p=$(grep -c '^ok ' "$2"); s=$(grep -c '^ok .*# SKIP' "$2"); f=$(grep -c '^not ok ' "$2")
    echo "{\"bench\":\"$1\",\"passed\":$((p - s)),\"failed\":$f,\"skipped\":$s,\"log\":\"$2\"}"
}

stage_prepare() {
    bash tools/gpu_openblas.sh fetch >&2
    mkdir -p build/gpu-data
    cp -r "$(cd .. && pwd)/shared/data/dcrnn-parity" build/gpu-data/
    echo "carry build/gpu-debs and build/gpu-data to the GPU machine" >&2
}

stage_build() {
    mk $B/libinformer_core.a $B/core_tests $B/dcrnn_parity $B/cuda_tests $B/dcrnn_gpu $B/train_group $B/torch_export \
        >"$LOGS/build.log" 2>&1 && mk informer_cuda.so >>"$LOGS/build.log" 2>&1
    local rc=$?
    echo "{\"bench\":\"cuda_build\",\"rc\":$rc,\"warnings\":$(grep -ci warning "$LOGS/build.log"),\"log\":\"$LOGS/build.log\"}"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader \
        >"$LOGS/gpu.txt" 2>/dev/null || echo "none (no nvidia-smi)" >"$LOGS/gpu.txt"
    echo "{\"bench\":\"gpu\",\"device\":\"$(head -n1 "$LOGS/gpu.txt")\"}"
    return $rc
}

stage_parity() {
    $B/cuda_tests "$DATA" >"$LOGS/cuda_tests.log" 2>&1
    tally cuda_parity "$LOGS/cuda_tests.log"
    # whether TF32 tensor cores keep the same tolerances (errors in the log)
    INFORMER_CUDA_TF32=1 $B/cuda_tests "$DATA" parity curve >"$LOGS/cuda_tests_tf32.log" 2>&1
    tally cuda_parity_tf32 "$LOGS/cuda_tests_tf32.log"
    # the driver on the GPU: one model and a padded group against the CPU
    INFORMER_DATA=$DATA $B/core_tests train_cuda train_group_cuda >"$LOGS/core_cuda.log" 2>&1
    tally core_cuda "$LOGS/core_cuda.log"
    $B/dcrnn_parity "$DATA/dcrnn-parity/tiny_f32" "$DATA/dcrnn-parity/tiny_f64" >"$LOGS/cpu_parity.log" 2>&1
    tally cpu_parity "$LOGS/cpu_parity.log"
    # the PyTorch baseline of "epochs" computes the C model's numbers, on the GPU
    mkdir -p $B/torch_export_out
    { $B/torch_export $B/torch_export_out && python3 test/torch/check.py $B/torch_export_out --device cuda &&
        python3 test/torch/check.py $B/torch_export_out --device cuda --sparse; } \
        >"$LOGS/torch_baseline.log" 2>&1 || echo "not ok - torch baseline check exited with $?" >>"$LOGS/torch_baseline.log"
    tally torch_baseline "$LOGS/torch_baseline.log"
}

# the kernels' tests; "errors" is left out, as its out-of-memory case fails a
# CUDA call on purpose and the sanitizer reports every failed call
stage_sanitize() {
    local san
    san=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
    for tool in memcheck racecheck; do
        timeout 280 "$san" --tool $tool --error-exitcode 9 \
            $B/cuda_tests "$DATA" parity graphs mask fixtures >"$LOGS/$tool.log" 2>&1
        local rc=$?
        echo "{\"bench\":\"compute_sanitizer\",\"tool\":\"$tool\",\"rc\":$rc,\"summary\":\"$(grep -m1 'ERROR SUMMARY' "$LOGS/$tool.log" | tr -d '"=')\"}"
    done
}

stage_epochs() {
    export OPENBLAS_NUM_THREADS=$THREADS OMP_NUM_THREADS=$THREADS
    for n in 51 207 325; do
        $B/dcrnn_gpu cuda $n 1
        INFORMER_CUDA_GRAPHS=0 $B/dcrnn_gpu cuda $n 1
        $B/dcrnn_gpu cpu $n 1 "$CPU_BATCHES"
        # PyTorch with dense supports, and with torch.sparse.mm as the CUDA
        # backend diffuses sparse supports: the faster is the baseline
        python3 bench/dcrnn_torch.py $n "$THREADS" 0 1008 --device cuda
        python3 bench/dcrnn_torch.py $n "$THREADS" 0 1008 --device cuda --sparse
    done
}

# ratio ONE MANY TF32: the 100-to-1 line from two dcrnn_gpu lines
ratio() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
a, b = (json.loads(s) for s in sys.argv[1:3])
if "epoch_s" in a and "epoch_s" in b:
    print(json.dumps({"bench": "dcrnn_gpu_many", "nodes": 50, "models": 100,
                      "tf32": sys.argv[3] == "1",
                      "ratio_100_to_1": round(b["epoch_s"] / a["epoch_s"], 2), "target": 10,
                      "tflops_1": a.get("tflops"), "tflops_100": b.get("tflops")}))
PY
}

# One model's step at N = 50 is mostly float32 GEMM work, so 100 models
# cost nearly 100 times its products: the ratio is 100 times one model's
# achieved TFLOP/s over 100 models' (tflops_1, tflops_100). TF32 tensor
# cores are timed too (the parity stage shows whether their rounding holds)
stage_many() {
    local one many tf32
    for tf32 in 0 1; do
        one=$(INFORMER_CUDA_TF32=$tf32 $B/dcrnn_gpu cuda 50 1); echo "$one"
        many=$(INFORMER_CUDA_TF32=$tf32 $B/dcrnn_gpu cuda 50 100); echo "$many"
        ratio "$one" "$many" $tf32
    done
    # the same through the training driver: 100 patterns of 40-50 RPCs, one
    # epoch each, one after another against together
    $B/train_group cuda 100 40 50 1 1008 64
}

case "${1:-all}" in
prepare) stage_prepare ;;
build) stage_build ;;
parity) stage_parity ;;
sanitize) stage_sanitize ;;
epochs) stage_epochs ;;
many) stage_many ;;
all) stage_build && stage_parity && stage_sanitize; stage_epochs; stage_many ;;
*) sed -n '2,23p' "$0"; exit 2 ;;
esac
