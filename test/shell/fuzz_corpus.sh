#!/usr/bin/env bash
# fuzz_corpus.sh -- the model loader's libFuzzer target, built with address
# and undefined-behaviour sanitizers, replays the committed corpus
# (test/fuzz/corpus) without a crash.  Long fuzzing runs: test/fuzz/run.sh.
. "$REPO/test/lib/tap.sh"

name="fuzz target replays the model loader corpus"
if ! command -v clang-14 >/dev/null; then
    ok "$name # SKIP clang-14 is not installed"
    exit 0
fi
log="$WORK/fuzz_replay.log"
if FUZZ_OUT="$WORK/fuzz" bash "$REPO/test/fuzz/run.sh" replay >"$log" 2>&1 \
    && grep -q '^Done' "$log"; then
    ok "$name ($(ls "$REPO/test/fuzz/corpus" | wc -l) inputs)"
else
    tail -n 20 "$log"
    not_ok "$name"
fi
