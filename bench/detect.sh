#!/usr/bin/env bash
# detect.sh -- the cost of the detection read path on a throwaway cluster,
# each against a baseline timed in the same run.  Prints JSON lines.
#
#   bash bench/detect.sh                 RPCS=100 BUCKETS=2016 (4 weeks of 20 minutes)
#   RPCS=50 BUCKETS=1008 REPS=3 bash bench/detect.sh
#
# Data: one pattern of RPCS RPCs with BUCKETS buckets of traffic and a
# step-1 forecast of each (written directly, with noise), so that every
# bucket of every RPC is judged: RPCS x BUCKETS rows in informer.anomalies.
# Measured:
#   refresh      informer_refresh_anomalies(false) against the judgement query
#                alone (CREATE TEMP TABLE AS the view's definition: every column
#                computed and stored, no index, no WAL), and against
#                REFRESH MATERIALIZED VIEW typed by hand (JIT on, the default)
#   concurrent   informer_refresh_anomalies() after one new bucket, against a
#                plain refresh of the same data
#   anomalies    informer_anomalies(last day) against the bare SELECT it wraps
#   plot         informer_plot_svg() of one RPC over a week against reading its rows
set -euo pipefail
cd "$(dirname "$0")/.."
RPCS=${RPCS:-100}
BUCKETS=${BUCKETS:-2016}
REPS=${REPS:-5}
export PGPORT=${PGPORT:-54343}
. test/lib/cluster.sh

make -s PG_CONFIG="$PG_CONFIG" >/dev/null
cluster_throwaway
psql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }

psql <<SQL >/dev/null
CREATE EXTENSION informer;
SET TimeZone = 'UTC';
-- one chain holding every RPC, so that mining finds one pattern of all of them
CREATE TABLE lg (ts timestamptz, trace text, caller text, callee text);
INSERT INTO lg SELECT '2026-01-05 00:00+00', 'c', 's' || i, 's' || (i + 1) FROM generate_series(1, $RPCS) i;
SELECT informer_register_source('b', 'lg', 'ts', 'trace', 'caller', 'callee', '20 minutes');
SELECT count(*) FROM informer_mine_patterns('b', '2026-01-05', '2026-01-06');
SELECT count(*) FROM informer_refresh_traffic('b');
INSERT INTO informer.traffic (rpc_id, bucket, calls)
SELECT r.rpc_id, timestamptz '2026-01-05 00:00+00' + b * interval '20 minutes',
       round(100 + 50 * sin(b * 2 * pi() / 72) + 10 * random() + CASE WHEN random() < 0.002 THEN 200 ELSE 0 END)
  FROM informer.rpc r, generate_series(0, $BUCKETS - 1) b
ON CONFLICT (rpc_id, bucket) DO UPDATE SET calls = EXCLUDED.calls;
UPDATE informer.source_state SET watermark = timestamptz '2026-01-05 00:00+00' + $BUCKETS * interval '20 minutes';
INSERT INTO informer.models (pattern_id, version, config, metrics, weights, active, owner)
SELECT pattern_id, 1, '{}', '{}', '\x00', true, current_user::regrole FROM informer.pattern;
INSERT INTO informer.predictions (model_id, rpc_id, bucket, step, predicted, lower, upper)
SELECT m.model_id, r.rpc_id, timestamptz '2026-01-05 00:00+00' + b * interval '20 minutes', 1,
       105 + 50 * sin(b * 2 * pi() / 72), 105 + 50 * sin(b * 2 * pi() / 72) - 18, 105 + 50 * sin(b * 2 * pi() / 72) + 18
  FROM informer.models m, informer.rpc r, generate_series(0, $BUCKETS) b;
VACUUM ANALYZE;
SQL

# t SQL: seconds of SQL in a fresh session (the clock read around it)
t() {
    psql -c "SELECT extract(epoch FROM clock_timestamp())" -c "$1" -c "SELECT extract(epoch FROM clock_timestamp())" \
        | awk 'NR == 1 { t0 = $1 } { last = $1 } END { printf "%.4f\n", last - t0 }'
}
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
def=$(psql -c "SELECT definition FROM pg_matviews WHERE matviewname = 'anomalies'" | sed 's/;$//')
query="SET jit = off; CREATE TEMP TABLE judged AS $def"
rpc=$(psql -c "SELECT min(rpc_id) FROM informer.rpc")
now=$(psql -c "SELECT timestamptz '2026-01-05 00:00+00' + $BUCKETS * interval '20 minutes'")
t "SELECT informer_refresh_anomalies(false)" >/dev/null     # warm the cache
rows=$(psql -c "SELECT count(*) FROM informer.anomalies")
found=$(psql -c "SELECT count(*) FROM informer.anomalies WHERE is_anomaly")

for rep in $(seq "$REPS"); do
    tq=$(t "$query"); tr=$(t "SELECT informer_refresh_anomalies(false)"); tj=$(t "REFRESH MATERIALIZED VIEW informer.anomalies")
    echo "{\"bench\": \"detect_refresh\", \"rep\": $rep, \"rows\": $rows, \"anomalies\": $found, \"query_s\": $tq, \"refresh_s\": $tr, \"refresh_over_query\": $(ratio "$tr" "$tq"), \"refresh_by_hand_jit_s\": $tj}"
    # one new bucket of traffic, then a concurrent and a plain refresh of it
    psql -c "UPDATE informer.source_state SET watermark = watermark + interval '20 minutes'" >/dev/null
    tc=$(t "SELECT informer_refresh_anomalies(true)")
    tp=$(t "SELECT informer_refresh_anomalies(false)")
    psql -c "UPDATE informer.source_state SET watermark = watermark - interval '20 minutes'" -c "SELECT informer_refresh_anomalies(false)" >/dev/null
    echo "{\"bench\": \"detect_concurrent\", \"rep\": $rep, \"rows\": $rows, \"new_rows\": $RPCS, \"concurrent_s\": $tc, \"plain_s\": $tp, \"concurrent_over_plain\": $(ratio "$tc" "$tp")}"
    ta=$(t "SELECT count(*) FROM informer_anomalies(timestamptz '$now' - interval '1 day')")
    tb=$(t "SELECT count(*) FROM (SELECT * FROM informer.anomalies WHERE is_anomaly AND bucket >= timestamptz '$now' - interval '1 day' ORDER BY bucket, pattern_id, rpc_id) x")
    echo "{\"bench\": \"detect_anomalies_fn\", \"rep\": $rep, \"function_s\": $ta, \"bare_select_s\": $tb, \"ratio\": $(ratio "$ta" "$tb")}"
    tsv=$(t "SELECT length(informer_plot_svg($rpc, timestamptz '$now' - interval '7 days', '$now'))")
    trd=$(t "SELECT count(*) FROM informer.anomalies WHERE rpc_id = $rpc AND bucket >= timestamptz '$now' - interval '7 days'")
    echo "{\"bench\": \"detect_plot\", \"rep\": $rep, \"buckets\": 504, \"svg_s\": $tsv, \"read_rows_s\": $trd, \"ratio\": $(ratio "$tsv" "$trd")}"
done
echo "{\"bench\": \"detect\", \"summary\": \"machine\", \"loadavg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"cores\": $(nproc)}"
