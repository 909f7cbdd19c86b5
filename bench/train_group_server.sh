#!/usr/bin/env bash
# train_group_server.sh -- training every pattern of a source through SQL,
# one by one (informer_train_now per pattern, the baseline) against one
# call that trains similar patterns together (informer_train_group_now),
# with the same options, alternating, in the same run, on a throwaway
# cluster; prints one JSON object per line.
#
#   bash bench/train_group_server.sh
#   UNITS=32 EPOCHS=5 REPS=3 DEVICE=cuda bash bench/train_group_server.sh
#
# Data: a generated week of 20-minute buckets (the data of bench/models.sh);
# every pattern from the second day on (train_from), so that all have equal
# buckets and the grouping rule of docs/models.md alone decides the groups.
# Each line: the patterns, the group sizes the models record, seconds one
# by one and together, their ratio, and the largest relative difference of
# a model's per-step test MAE trained together against alone.
set -euo pipefail
cd "$(dirname "$0")/.."
UNITS=${UNITS:-16}
EPOCHS=${EPOCHS:-3}
REPS=${REPS:-2}
DEVICE=${DEVICE:-cpu}
export PGPORT=${PGPORT:-54344}
. bench/lib/mined_week.sh
export PGOPTIONS="-c informer.device=$DEVICE"
ids=$(psql -c "SELECT 'ARRAY[' || string_agg(pattern_id::text, ', ' ORDER BY pattern_id) || ']' FROM informer.pattern")
opts="{\"units\": $UNITS, \"epochs\": $EPOCHS, \"patience\": 1000, \"history\": 12, \"horizon\": 5,
       \"batch\": 64, \"train_from\": \"2026-01-06\"}"

for rep in $(seq "$REPS"); do
    psql -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS alone, together" >/dev/null
    ta=$(sql_seconds "CREATE TABLE alone AS SELECT p AS pattern_id, informer_train_now(p, '$opts') AS model_id
                FROM unnest($ids) p")
    tt=$(sql_seconds "CREATE TABLE together AS SELECT * FROM informer_train_group_now($ids, '$opts')")
    read -r np nodes sizes diff < <(psql -F ' ' -c "
        SELECT count(*), string_agg((m.config->>'nodes'), ',' ORDER BY (m.config->>'nodes')::int DESC),
               string_agg(coalesce(m.config->>'group_size', '1'), ',' ORDER BY (m.config->>'nodes')::int DESC),
               (SELECT max(abs((x.e->>'mae')::float8 - (y.e->>'mae')::float8) / (y.e->>'mae')::float8)
                  FROM together g2 JOIN alone a2 USING (pattern_id)
                  JOIN informer.models m2 ON m2.model_id = g2.model_id JOIN informer.models n2 ON n2.model_id = a2.model_id,
                       jsonb_array_elements(m2.metrics->'test') WITH ORDINALITY x(e, i)
                  JOIN jsonb_array_elements(n2.metrics->'test') WITH ORDINALITY y(e, i) USING (i))
          FROM together g JOIN informer.models m USING (model_id)")
    awk -v ta="$ta" -v tt="$tt" -v np="$np" -v nodes="$nodes" -v sizes="$sizes" -v diff="$diff" \
        -v rep="$rep" -v u="$UNITS" -v e="$EPOCHS" -v dev="$DEVICE" 'BEGIN {
        printf "{\"bench\": \"train_group_server\", \"rep\": %d, \"device\": \"%s\", \"patterns\": %d, \"nodes\": [%s], \"group_sizes\": [%s], \"units\": %d, \"epochs\": %d, \"alone_s\": %.3f, \"together_s\": %.3f, \"alone_over_together\": %.3f, \"max_rel_mae_diff\": %.2g}\n",
            rep, dev, np, nodes, sizes, u, e, ta, tt, ta / tt, diff }'
done
