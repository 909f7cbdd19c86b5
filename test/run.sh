#!/usr/bin/env bash
# run.sh -- every informer test: core unit tests, then a throwaway cluster
# with informer and pg_cron preloaded, pg_regress (test/sql) and the shell
# tests of the background worker (test/shell).  Ends with "N passed, N failed".
#
#   bash test/run.sh                 everything
#   KEEP_CLUSTER=1 bash test/run.sh  leave the cluster and its files for a look
#   SKIP_DEPS=1 bash test/run.sh     do not check or apt-install dependencies
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
# real data sets (../shared/data beside the checkout, unless given)
INFORMER_DATA=${INFORMER_DATA:-$(cd "$REPO/.." && pwd)/shared/data}
export INFORMER_DATA
[ "${SKIP_DEPS:-0}" = 1 ] || bash test/lib/deps.sh || exit 1
. test/lib/cluster.sh

passed=0 failed=0 skipped=0
count() { # count FILE: tally TAP-style "ok"/"not ok" lines
    local p f s
    p=$(grep -c '^ok ' "$1"); s=$(grep -c '^ok .*# SKIP' "$1"); f=$(grep -c '^not ok ' "$1")
    passed=$((passed + p - s)) skipped=$((skipped + s)) failed=$((failed + f))
}

WORK=$(mktemp -d /tmp/informer-test.XXXXXX)
cleanup() {
    cluster_stop
    if [ "${KEEP_CLUSTER:-0}" = 1 ]; then echo "kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== build"
make -s PG_CONFIG="$PG_CONFIG" COPT="${COPT:--Werror}" >"$WORK/build.log" 2>&1 \
    && make -s core PG_CONFIG="$PG_CONFIG" >>"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log"; echo "0 passed, 1 failed"; exit 1; }

echo "== core unit tests"
build/core_tests | tee "$WORK/core.out"
rc=${PIPESTATUS[0]}
count "$WORK/core.out"
if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$WORK/core.out"; then failed=$((failed + 1)); fi

echo "== cluster"
cluster_stage "$WORK" && cluster_start "$WORK" || { echo "0 passed, 1 failed"; exit 1; }

echo "== pg_regress"
tests=$(ls test/sql/*.sql | xargs -n1 basename | sed 's/\.sql$//')
if [ ! -d "$INFORMER_DATA" ]; then   # tests that read the data sets say \getenv INFORMER_DATA
    for t in $(grep -l 'INFORMER_DATA' test/sql/*.sql | xargs -n1 basename | sed 's/\.sql$//'); do
        echo "ok - $t # SKIP data sets not found at $INFORMER_DATA"
        skipped=$((skipped + 1))
        tests=$(echo "$tests" | grep -vx "$t")
    done
fi
PGXS_DIR=$(dirname "$("$PG_CONFIG" --pgxs)")
"$PGXS_DIR/../test/regress/pg_regress" --bindir="$PG_BIN" --host="$PGHOST" --port="$PGPORT" \
    --user=postgres --load-extension=informer --inputdir=test --outputdir="$WORK/regress" --dbname=contrib_regression \
    $tests 2>&1 | tee "$WORK/regress.out"
rc=${PIPESTATUS[0]}
p=$(grep -cE '\.\.\. +ok' "$WORK/regress.out")
f=$(grep -cE '\.\.\. +FAILED|\.\.\. +failed' "$WORK/regress.out")
[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1   # pg_regress itself broke
passed=$((passed + p)) failed=$((failed + f))
[ -f "$WORK/regress/regression.diffs" ] && [ "$f" -gt 0 ] && cat "$WORK/regress/regression.diffs"

echo "== shell tests"
export REPO WORK
for t in test/shell/*.sh; do
    [ -e "$t" ] || continue
    out="$WORK/$(basename "$t").out"
    timeout 600 bash "$t" >"$out" 2>&1
    rc=$?
    cat "$out"
    count "$out"
    if [ "$rc" -ne 0 ] && ! grep -q '^not ok ' "$out"; then
        echo "not ok - $t exited with $rc"; failed=$((failed + 1))
    fi
done

if [ "$failed" -gt 0 ]; then
    echo "== server log (tail)"; tail -n 40 "$PG_LOG"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
