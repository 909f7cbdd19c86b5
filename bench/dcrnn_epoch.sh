#!/usr/bin/env bash
# dcrnn_epoch.sh -- the C DCRNN (build/dcrnn_epoch) and its PyTorch baseline
# (bench/dcrnn_torch.py) timed in the same run, for N = 51 and N = 207.
# Prints JSON lines.  THREADS (default 2) is the one threading setting both
# get; NODES (default "51 207") the graph sizes; BATCHES_207 (default 4)
# limits the batches timed at N = 207, scaled to the epoch, so the slow
# baseline fits in a few minutes (0 = whole epoch); GRAPHS (default
# "random tree") the C model's graphs (bench/dcrnn_epoch.c); TORCH
# (default "sparse dense") the baseline's supports: sparse diffuses with
# torch.sparse.mm as the reference implementation does.
#
#   bash bench/dcrnn_epoch.sh          needs python3-torch for the baseline
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
BATCHES_207=${BATCHES_207:-4}
NODES=${NODES:-51 207}
make -s build/dcrnn_epoch >&2
# OpenBLAS and OpenMP pools must not spin against each other
export OMP_NUM_THREADS=$THREADS OPENBLAS_NUM_THREADS=$THREADS
for n in $NODES; do
    b=0; [ "$n" = 207 ] && b=$BATCHES_207
    for g in ${GRAPHS:-random tree}; do
        build/dcrnn_epoch "$n" "$THREADS" "$b" 1008 "$g"
    done
    for s in ${TORCH:-sparse dense}; do
        flag=; [ "$s" = sparse ] && flag=--sparse
        /usr/bin/python3 bench/dcrnn_torch.py "$n" "$THREADS" "$b" 1008 $flag
    done
done
