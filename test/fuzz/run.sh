#!/usr/bin/env bash
# run.sh -- build and run the model loader's libFuzzer target (clang-14).
#
#   bash test/fuzz/run.sh replay          run every corpus file once (a test)
#   bash test/fuzz/run.sh fuzz SECONDS    fuzz for SECONDS, new inputs go to
#                                         build/fuzz/corpus, crashes to build/fuzz
#   bash test/fuzz/run.sh seeds           rewrite the committed seed corpus
set -euo pipefail
cd "$(dirname "$0")/../.."
CLANG=${CLANG:-clang-14}
OUT=${FUZZ_OUT:-build/fuzz}
CORPUS=test/fuzz/corpus
mkdir -p "$OUT"
SRCS=$(ls src/core/*.c)
LIBS="-lopenblas -lm -lpthread"
FLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -g -O1 -Isrc/core -Wall -Wextra -Werror"

case "${1:-replay}" in
seeds)
    "$CLANG" $FLAGS -o "$OUT/make_seeds" test/fuzz/make_seeds.c $SRCS $LIBS
    mkdir -p "$CORPUS"
    "$OUT/make_seeds" "$CORPUS" ;;
replay|fuzz)
    "$CLANG" $FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -o "$OUT/fuzz_model_load" test/fuzz/fuzz_model_load.c $SRCS $LIBS
    if [ "$1" = replay ]; then
        "$OUT/fuzz_model_load" -runs=0 "$CORPUS"
    else
        mkdir -p "$OUT/corpus"
        "$OUT/fuzz_model_load" -max_total_time="${2:-600}" -max_len=4096 \
            -artifact_prefix="$OUT/" -print_final_stats=1 "$OUT/corpus" "$CORPUS"
    fi ;;
*) echo "usage: $0 replay | fuzz SECONDS | seeds" >&2; exit 2 ;;
esac
