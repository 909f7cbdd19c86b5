#!/usr/bin/env bash
# traffic_refresh.sh -- rows/s of informer_refresh_traffic() against a bare
# SELECT ... GROUP BY over the same rows, in the same run, on a throwaway
# cluster.  Prints one JSON object per line.
#
#   bash bench/traffic_refresh.sh
#   ROWS=500000 REPS=5 bash bench/traffic_refresh.sh
#
# Data: the real OnlineBoutique RPC log of 2022-08-22 (2.4 M calls, read from
# $INFORMER_DATA), cut to ROWS rows; RPC = (caller service/method, callee
# service/method); buckets of one minute (the log spans four hours).
# Both sides run without parallel workers: the refresh's INSERT cannot use
# them, so a parallel baseline would measure the core count, not the refresh.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
INFORMER_DATA=${INFORMER_DATA:-$(cd "$REPO/.." && pwd)/shared/data}
LOG=$INFORMER_DATA/onlineboutique-2022-08/rpc_calls_2022-08-22.csv.xz
ROWS=${ROWS:-2400000}
REPS=${REPS:-7}
export PGPORT=${PGPORT:-54341}
. test/lib/cluster.sh

make -s PG_CONFIG="$PG_CONFIG" >/dev/null
cluster_throwaway
psql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }

psql -c "CREATE EXTENSION informer" \
     -c "CREATE UNLOGGED TABLE raw (ts_ms bigint, trace_id text, src_service text, src_method text,
                                    dst_service text, dst_method text, duration_us bigint)"
{ xzcat "$LOG" || true; } | head -n $((ROWS + 1)) | psql -c "COPY raw FROM STDIN (FORMAT csv, HEADER)"
psql -c "CREATE TABLE calls AS SELECT pg_catalog.to_timestamp(ts_ms / 1000.0) AS ts, trace_id,
                src_service || '/' || src_method AS caller, dst_service || '/' || dst_method AS callee
           FROM raw" \
     -c "DROP TABLE raw" -c "CREATE INDEX ON calls (ts)" -c "VACUUM ANALYZE calls" \
     -c "SELECT informer_register_source('ob', 'calls', 'ts', 'trace_id', 'caller', 'callee', '1 minute')"  >/dev/null

# run NAME SQL: time SQL once in a fresh session; prints seconds
# (NAME only labels the call)
run() {
    psql -c "SET max_parallel_workers_per_gather = 0" \
         -c "SELECT extract(epoch FROM pg_catalog.clock_timestamp())" \
         -c "$2" -c "SELECT extract(epoch FROM pg_catalog.clock_timestamp())" \
        | awk 'NR == 1 { t0 = $1 } { last = $1 } END { printf "%.4f\n", last - t0 }'
}
# the counts must be computed: summing them keeps the planner from dropping count(*)
baseline="SELECT sum(n) FROM (SELECT caller, callee, date_bin('1 minute', ts, timestamptz '2000-01-01 00:00+00'), count(*) AS n
            FROM calls WHERE caller IS NOT NULL AND callee IS NOT NULL AND ts IS NOT NULL GROUP BY 1, 2, 3) g"
fresh="TRUNCATE informer.traffic; DELETE FROM informer.source_state"
refresh="SELECT rows_read FROM informer_refresh_traffic('ob')"

nrows=$(psql -c "SELECT count(*) FROM calls")
groups=$(psql -c "SELECT buckets FROM informer_refresh_traffic('ob')")
psql -c "$fresh"
run warm "$baseline" >/dev/null
for rep in $(seq "$REPS"); do
    tb=$(run baseline "$baseline")
    psql -c "$fresh"
    tr=$(run refresh "$refresh")
    ti=$(run incremental "$refresh")   # nothing new: re-reads the newest bucket only
    echo "$tb $tr $(awk "BEGIN { print $tb / $tr }")" >>"$WORK/times"
    echo "{\"bench\": \"traffic_refresh\", \"rep\": $rep, \"rows\": $nrows, \"groups\": $groups, \"baseline_s\": $tb, \"refresh_s\": $tr, \"baseline_rows_per_s\": $(awk "BEGIN { printf \"%.0f\", $nrows / $tb }"), \"refresh_rows_per_s\": $(awk "BEGIN { printf \"%.0f\", $nrows / $tr }"), \"ratio\": $(awk "BEGIN { printf \"%.3f\", $tb / $tr }"), \"second_refresh_s\": $ti}"
done
check=$(psql -c "SELECT (SELECT sum(calls) FROM informer.traffic) = $nrows")
# medians over the repetitions
mb=$(cut -d' ' -f1 "$WORK/times" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
mr=$(cut -d' ' -f2 "$WORK/times" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
mq=$(cut -d' ' -f3 "$WORK/times" | sort -n | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }')
echo "{\"bench\": \"traffic_refresh\", \"summary\": \"median\", \"rows\": $nrows, \"baseline_s\": $mb, \"refresh_s\": $mr, \"ratio\": $(awk "BEGIN { printf \"%.3f\", $mb / $mr }"), \"median_of_ratios\": $mq, \"counts_equal_rows\": \"$check\", \"loadavg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\", \"cores\": $(nproc)}"
