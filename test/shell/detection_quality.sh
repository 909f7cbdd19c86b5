#!/usr/bin/env bash
# detection_quality.sh -- the whole method on generated logs with labelled
# attacks, at a size CI runs in minutes: mine, train through the background
# worker, forecast the judged half, detect, and score against the
# generator's labels.  The DCRNN must find at least 90 % of the labelled
# attack (RPC, bucket) pairs at a precision of at least 0.8, and beat the
# seasonal-naive ±3σ baseline computed in the same run (higher F1).
# Thresholds are the method's (k = 3); nothing is tuned on these labels.
. "$REPO/test/lib/tap.sh"
export PATH="$PG_BIN:$PATH" PGDATABASE=postgres

# four days of 20-minute buckets, 8 functionalities: the first two days
# train, the last two (with the change and all three attacks) are judged
GEN="seed => 5, buckets => 288, functionalities => 8, chains_per_day => 20000, sampling_rate => 0.5"
q "CREATE EXTENSION informer" >/dev/null
q "CREATE TABLE dq_log AS SELECT * FROM informer_synthetic_logs($GEN);
   CREATE TABLE dq_labels AS SELECT * FROM informer_synthetic_labels($GEN);
   SELECT informer_register_source('dq', 'dq_log', 'ts', 'chain_id', 'src', 'dst')" >/dev/null

if FORMAT=json OPTIONS='{"units": 16, "epochs": 30}' TIMEOUT=150 \
    bash "$REPO/tools/evaluate.sh" dq dq_labels 2026-01-05 2026-01-07 2026-01-07 2026-01-09 \
    >"$WORK/dq.json" 2>"$WORK/dq.err"; then
    ok "evaluation ran"
else
    cat "$WORK/dq.err"
    not_ok "evaluation ran"
fi
sed 's/^/    /' "$WORK/dq.json"
# field DETECTOR NAME: one number of one detector's line
field() {
    q "SELECT (l::jsonb ->> '$2') FROM unnest(string_to_array(\$\$$(cat "$WORK/dq.json")\$\$, E'\n')) l
        WHERE l::jsonb ->> 'detector' = '$1'"
}
check "DCRNN: recall >= 0.9" t "$(q "SELECT $(field dcrnn recall)::float8 >= 0.9")"
check "DCRNN beats the seasonal-naive baseline (F1)" t \
    "$(q "WITH d(p, r) AS (VALUES ($(field dcrnn precision)::float8, $(field dcrnn recall)::float8)),
               b(p, r) AS (VALUES (coalesce($(field seasonal_naive precision)::float8, 0), $(field seasonal_naive recall)::float8))
          SELECT 2 * d.p * d.r / (d.p + d.r) > coalesce(2 * b.p * b.r / nullif(b.p + b.r, 0), 0) FROM d, b")"
check "DCRNN: precision >= 0.8 ($(field dcrnn precision))" t "$(q "SELECT $(field dcrnn precision)::float8 >= 0.8")"
q "DROP EXTENSION informer CASCADE; DROP TABLE dq_log, dq_labels" >/dev/null
