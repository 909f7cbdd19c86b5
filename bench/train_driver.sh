#!/usr/bin/env bash
# train_driver.sh -- the training driver through the CPU backend
# (train_run) against the same steps as direct dcrnn.h calls, each mode in
# its own process and alternated REPEAT times (default 3) so that load on
# a shared machine hits both; JSON lines (bench/train_driver.c).
#
#   bash bench/train_driver.sh        NODES (default "51 207"), EPOCHS (2)
set -euo pipefail
cd "$(dirname "$0")/.."
NODES=${NODES:-51 207}
EPOCHS=${EPOCHS:-2}
REPEAT=${REPEAT:-3}
make -s build/libinformer_core.a >&2
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O3 -fno-trapping-math -Wall -Wextra -Werror \
    -Wno-unused-parameter -Isrc/core -o build/train_driver bench/train_driver.c \
    build/libinformer_core.a -lopenblas -lm
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
for n in $NODES; do
    for _ in $(seq "$REPEAT"); do
        build/train_driver direct "$n" "$EPOCHS"
        build/train_driver driver "$n" "$EPOCHS"
    done
done
