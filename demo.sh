#!/usr/bin/env bash
# demo.sh -- sets everything up on a fresh Debian 12 machine and runs
# informer end to end on a built-in example: installs what is missing (apt),
# builds, starts a throwaway cluster with informer and pg_cron preloaded,
# registers a small RPC log, fills the RPC dictionary, builds chain sets and
# compares them with the overlap distance.
#
#   bash demo.sh            run and clean up
#   KEEP=1 bash demo.sh     leave the cluster running for psql and BI tools
set -euo pipefail
cd "$(dirname "$0")"
bash test/lib/deps.sh
. test/lib/cluster.sh

WORK=$(mktemp -d /tmp/informer-demo.XXXXXX)
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

echo "== example"
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres <<'SQL'
CREATE EXTENSION informer;
CREATE TABLE rpc_log (ts timestamptz, trace_id text, src text, dst text);
INSERT INTO rpc_log VALUES
  (now(), 'register-1', 'gateway.register', 'captcha.verify'),
  (now(), 'register-1', 'gateway.register', 'user.create'),
  (now(), 'register-1', 'user.create',      'db.insert'),
  (now(), 'register-2', 'gateway.register', 'captcha.verify'),
  (now(), 'register-2', 'gateway.register', 'user.create'),
  (now(), 'login-1',    'gateway.login',    'sms.send'),
  (now(), 'login-1',    'gateway.login',    'user.lookup');
SELECT informer_register_source('demo', 'rpc_log', 'ts', 'trace_id', 'src', 'dst');
SELECT informer_refresh_rpcs('demo') AS rpcs_added;
\echo chain sets (RPC ids of each trace):
CREATE TEMP VIEW chains AS
SELECT l.trace_id, informer_chain_agg(r.rpc_id) AS rpcs
  FROM rpc_log l JOIN informer.rpc r ON (r.src, r.dst) = (l.src, l.dst)
 GROUP BY l.trace_id;
SELECT * FROM chains ORDER BY trace_id;
\echo overlap distance between chains:
SELECT a.trace_id AS a, b.trace_id AS b, informer_overlap_distance(a.rpcs, b.rpcs) AS distance
  FROM chains a JOIN chains b ON a.trace_id < b.trace_id ORDER BY 1, 2;
\echo the informer launcher:
SELECT pid, backend_type, datname FROM pg_stat_activity WHERE backend_type = 'informer launcher';
SQL
