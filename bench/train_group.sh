#!/usr/bin/env bash
# train_group.sh -- many patterns' models trained one after another against
# all together on one backend context, through the training driver; one
# JSON line per run (bench/train_group.c).  On the CPU the models of a
# group still run one after another, so the ratio shows what padding and
# lockstep cost; on a GPU (BACKEND=cuda, after make informer_cuda.so) they
# share every launch.
#
#   bash bench/train_group.sh    BACKEND (cpu), PATTERNS (8), NMIN (40), NMAX (50),
#                                EPOCHS (1), BUCKETS (400), UNITS (64), THREADS (all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
make -s build/train_group >&2
export OPENBLAS_NUM_THREADS=${THREADS:-$(nproc)} OMP_NUM_THREADS=${THREADS:-$(nproc)}
build/train_group "${BACKEND:-cpu}" "${PATTERNS:-8}" "${NMIN:-40}" "${NMAX:-50}" \
    "${EPOCHS:-1}" "${BUCKETS:-400}" "${UNITS:-64}"
