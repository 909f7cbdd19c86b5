#!/usr/bin/env bash
# detection_real.sh -- detection on the real traces (TrainTicket, Online
# Boutique), in 1-minute buckets since the traces last hours.  For each data
# set, the first 60 % trains and the rest is judged, twice:
#   clean:    the real log: alarms per day, split into those inside and
#             outside the data set's labelled fault windows, and which faults
#             showed up (a flag on an RPC of the faulty service inside the
#             fault's window)
#   injected: a copy with seeded anomalies in the judged range
#             (informer_inject_anomalies: replayed chains of one
#             functionality, dropped calls of one RPC): recall and precision
#             of the injected (RPC, bucket) pairs
# Each is measured for the DCRNN and for the naive baseline of the same run
# (the previous bucket's count, ±3σ of its training errors: there is no
# previous day to take).  Prints JSON lines.
#
#   bash bench/detection_real.sh [trainticket|onlineboutique-2022-08-22 ...]
# Options (environment): OPTIONS (training options, jsonb), SEED (injection
# seed, default 1), REPLAYS and DROPS (injections of each kind, default 3;
# the TrainTicket trace has room for 3 in its judged range),
# VARIANTS (default "clean injected"), KEEP=1 keeps the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib/cluster.sh
SETS=("$@")
[ ${#SETS[@]} -gt 0 ] || SETS=(trainticket onlineboutique-2022-08-22)
OPTIONS=${OPTIONS:-'{"units": 16, "epochs": 30}'}
SEED=${SEED:-1}

WORK=$(mktemp -d /tmp/informer-bench-real.XXXXXX)
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept: $WORK" >&2; else cluster_stop; rm -rf "$WORK"; fi; }
trap cleanup EXIT
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
cluster_stage "$WORK" >&2
PGPORT=${PGPORT:-54341} cluster_start "$WORK" >&2
export PGDATABASE=postgres PATH="$PG_BIN:$PATH"
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

for set in "${SETS[@]}"; do
    table=${set//-/_}
    tools/load_traces.sh "$set" "$table" >&2
    IFS='|' read -r train_from train_to test_to <<<"$(psql -At -c "
        SELECT date_trunc('minute', min(ts)), date_trunc('minute', min(ts) + (max(ts) - min(ts)) * 0.6),
               date_trunc('minute', max(ts)) FROM $table")"
    for variant in ${VARIANTS:-clean injected}; do
        psql -c "DROP EXTENSION IF EXISTS informer CASCADE" -c "CREATE EXTENSION informer" \
             -c "DROP TABLE IF EXISTS run_log, run_labels" \
             -c "CREATE TABLE run_log AS SELECT ts, chain_id, src, dst FROM $table" \
             -c "SELECT informer_register_source('run', 'run_log', 'ts', 'chain_id', 'src', 'dst', '1 minute')" \
             -c "CREATE TABLE run_labels (kind text, src text, dst text, ts_start timestamptz, ts_end timestamptz, factor float8)"
        if [ $variant = injected ]; then
            psql -c "INSERT INTO run_labels SELECT * FROM informer_inject_anomalies('run', '$train_to', seed => $SEED,
                                                       replays => ${REPLAYS:-3}, drops => ${DROPS:-3}, buckets => 3, min_calls => 5)"
        fi
        t0=$SECONDS
        FORMAT=json SEASON='1 minute' OPTIONS=$OPTIONS \
            bash tools/evaluate.sh run run_labels "$train_from" "$train_to" "$train_to" "$test_to" >"$WORK/eval.json"
        secs=$((SECONDS - t0))
        while read -r line; do
            psql -At -v line="$line" -v set="$set" -v variant=$variant -v secs=$secs \
                 -v faults="${table}_faults" -v test_from="$train_to" -v test_to="$test_to" <<'SQL'
WITH e AS (SELECT :'line'::jsonb AS j),
flags AS (SELECT f.rpc_id, f.bucket, r.src, r.dst
            FROM e, LATERAL (SELECT * FROM eval_flags_dcrnn WHERE e.j->>'detector' = 'dcrnn'
                             UNION ALL SELECT * FROM eval_flags_naive WHERE e.j->>'detector' = 'seasonal_naive') f
            JOIN informer.rpc r USING (rpc_id)
           WHERE f.bucket >= :'test_from' AND f.bucket < :'test_to'),
faults AS (SELECT * FROM (SELECT * FROM ONLY public.:"faults") x
            WHERE x.ends > :'test_from' AND x.starts < :'test_to'),
in_fault AS (SELECT DISTINCT f.bucket FROM flags f JOIN faults x
               ON f.bucket + interval '1 minute' > x.starts AND f.bucket < x.ends),
days AS (SELECT extract(epoch FROM :'test_to'::timestamptz - :'test_from'::timestamptz) / 86400 AS d)
SELECT jsonb_build_object('bench', 'detection_real', 'data', :'set', 'variant', :'variant',
                          'bucket', '1 minute', 'judged_hours', round((d * 24)::numeric, 2), 'seconds', :secs::int,
                          'alarm_buckets', (SELECT count(DISTINCT bucket) FROM flags),
                          'alarm_buckets_per_day', round(((SELECT count(DISTINCT bucket) FROM flags) / d)::numeric, 1),
                          'alarm_buckets_outside_faults_per_day',
                              round(((SELECT count(DISTINCT bucket) FROM flags
                                       WHERE bucket NOT IN (SELECT bucket FROM in_fault)) / d)::numeric, 1),
                          'faults_judged', (SELECT count(*) FROM faults),
                          'faults_shown', (SELECT count(*) FROM faults x WHERE EXISTS (
                              SELECT FROM flags f WHERE f.bucket + interval '1 minute' > x.starts AND f.bucket < x.ends
                                 AND (split_part(f.src, '.', 1) = x.service OR split_part(f.dst, '.', 1) = x.service))),
                          'faults_shown_types', (SELECT jsonb_object_agg(t, n) FROM (
                              SELECT x.fault_type AS t, count(*) AS n FROM faults x WHERE EXISTS (
                                SELECT FROM flags f WHERE f.bucket + interval '1 minute' > x.starts AND f.bucket < x.ends
                                   AND (split_part(f.src, '.', 1) = x.service OR split_part(f.dst, '.', 1) = x.service))
                               GROUP BY 1) s))
       || (e.j - 'source')
  FROM e, days;
SQL
        done <"$WORK/eval.json"
    done
done
