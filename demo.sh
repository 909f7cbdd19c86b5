#!/usr/bin/env bash
# demo.sh -- informer end to end on a fresh Debian 12 machine: installs what
# is missing (apt), builds, starts a throwaway cluster with informer and
# pg_cron preloaded, generates two weeks of RPC logs with labelled attacks,
# mines RPC chain patterns, trains one DCRNN per pattern through the
# background worker (on a usable GPU through the CUDA backend, else on the
# CPU; informer.device),
# detects, prints the top anomalies next to the generator's labels with
# precision and recall (and those of the seasonal-naive baseline), and writes
# an SVG of the most anomalous RPC.
#
#   bash demo.sh            run and clean up
#   KEEP=1 bash demo.sh     leave the cluster running for psql and BI tools
#   SVG=/path/x.svg         where the picture goes (default /tmp/informer-demo.svg)
set -euo pipefail
cd "$(dirname "$0")"
bash test/lib/deps.sh
. test/lib/cluster.sh

WORK=$(mktemp -d /tmp/informer-demo.XXXXXX)
SVG=${SVG:-/tmp/informer-demo.svg}
cleanup() {
    if [ "${KEEP:-0}" = 1 ]; then
        echo
        echo "cluster kept running; connect with:"
        echo "  $PG_BIN/psql -h $PGHOST -p $PGPORT -U postgres"
        echo "stop it with:"
        echo "  sudo -u postgres $PG_BIN/pg_ctl -D $PGDATA stop; rm -rf $WORK"
    else
        cluster_stop
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

echo "== building"
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
echo "== starting a throwaway cluster in $WORK"
cluster_stage "$WORK"
cluster_start "$WORK"
export PGDATABASE=postgres

# two weeks of 20-minute buckets (the generator's default run) with 12
# functionalities; the same arguments give the log and its labels
GEN="seed => 1, functionalities => 12, chains_per_day => 20000, sampling_rate => 0.5"
echo "== generating two weeks of RPC logs with labelled attacks"
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION informer;
CREATE TABLE demo_log AS SELECT * FROM informer_synthetic_logs($GEN);
CREATE TABLE demo_labels AS SELECT * FROM informer_synthetic_labels($GEN);
SELECT informer_register_source('demo', 'demo_log', 'ts', 'chain_id', 'src', 'dst') \g /dev/null
\echo what the generator injected:
SELECT kind, count(*) AS rpcs, min(ts_start) AS starts, max(ts_end) AS ends,
       round(min(factor)::numeric, 2) AS min_factor, round(max(factor)::numeric, 2) AS max_factor
  FROM demo_labels GROUP BY kind ORDER BY starts;
SQL

# the first week trains, the second is judged (the attacks are all in it)
OPTIONS=${OPTIONS:-'{"units": 16, "epochs": 30}'} \
    bash tools/evaluate.sh demo demo_labels 2026-01-05 2026-01-12 2026-01-12 2026-01-19

echo "== the top anomalies, next to the generator's labels"
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 <<'SQL'
SELECT a.bucket, a.src || ' -> ' || a.dst AS rpc, a.observed, round(a.predicted::numeric) AS predicted,
       round(a.score::numeric, 1) AS score, a.direction,
       coalesce((SELECT string_agg(DISTINCT t.kind, ', ') FROM informer_eval_truth('demo', 'demo_labels') t
                  WHERE t.rpc_id = a.rpc_id AND t.bucket = a.bucket), '-') AS label
  FROM informer.anomalies a WHERE a.is_anomaly
 ORDER BY abs(a.score) DESC NULLS LAST, a.bucket LIMIT 15;
SQL

"$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -o "$SVG" <<'SQL'
SELECT informer_plot_svg(a.rpc_id, a.bucket - interval '1 day', a.bucket + interval '1 day')
  FROM informer.anomalies a WHERE a.is_anomaly
 ORDER BY abs(a.score) DESC NULLS LAST, a.bucket LIMIT 1;
SQL
echo "== the most anomalous RPC, a day either side: $SVG"
