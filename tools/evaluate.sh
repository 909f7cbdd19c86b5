#!/usr/bin/env bash
# evaluate.sh -- runs detection on a registered source end to end and scores
# it against labels, next to the seasonal-naive ±3σ baseline of the same run:
# refresh traffic, mine patterns on the training range, train one model per
# pattern through the background worker (progress shown from informer.jobs),
# forecast every bucket of the test range, refresh informer.anomalies, then
# informer_evaluate() for both detectors.
#
#   tools/evaluate.sh SOURCE LABELS TRAIN_FROM TRAIN_TO TEST_FROM TEST_TO
#
# LABELS is a table or view with kind, src, dst, ts_start, ts_end (e.g. from
# informer_synthetic_labels() or informer_inject_anomalies()).  Connects with
# the usual PGHOST, PGPORT, PGDATABASE, PGUSER.  Settings (environment):
#   OPTIONS  training options, jsonb (default '{}': the method's defaults)
#   SEASON   the baseline's season (default '1 day')
#   FORMAT   'table' (default) or 'json': one JSON object per detector
#   TIMEOUT  seconds to wait for training (default 1800)
# Writes the views eval_flags_dcrnn and eval_flags_naive (rpc_id, bucket).
set -euo pipefail
if [ $# -ne 6 ]; then
    sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
fi
SOURCE=$1 LABELS=$2 TRAIN_FROM=$3 TRAIN_TO=$4 TEST_FROM=$5 TEST_TO=$6
OPTIONS=${OPTIONS:-'{}'} SEASON=${SEASON:-1 day} FORMAT=${FORMAT:-table} TIMEOUT=${TIMEOUT:-1800}
PSQL=("${PG_BIN:+$PG_BIN/}psql" -X -q -v ON_ERROR_STOP=1
      -v source="$SOURCE" -v labels="$LABELS" -v options="$OPTIONS" -v season="$SEASON"
      -v train_from="$TRAIN_FROM" -v train_to="$TRAIN_TO" -v test_from="$TEST_FROM" -v test_to="$TEST_TO")
say() { [ "$FORMAT" = json ] || echo "$@"; }

say "== traffic and patterns of $SOURCE (training range $TRAIN_FROM .. $TRAIN_TO)"
"${PSQL[@]}" -At <<'SQL' | while read -r line; do say "   $line"; done
SELECT format('%s rows read, %s RPCs', rows_read, rpcs) FROM informer_refresh_traffic(:'source');
SELECT format('%s patterns from %s chains (mining run %s)', patterns, chains_used, run_id)
  FROM informer_mine_patterns(:'source', :'train_from', :'train_to');
SQL

say "== training one model per pattern through the background worker"
"${PSQL[@]}" -At <<'SQL' >/dev/null
SELECT informer_train(p.pattern_id,
                      :'options'::jsonb || jsonb_build_object('train_from', :'train_from', 'train_to', :'train_to'))
  FROM informer.pattern p
 WHERE p.run_id = (SELECT max(run_id) FROM informer.mining_run WHERE source_name = :'source')
 ORDER BY p.pattern_id;
SQL
start=$SECONDS last="" shown=0
while :; do
    state=$("${PSQL[@]}" -At <<'SQL'
SELECT format('%s/%s done, %s running%s%s',
              count(*) FILTER (WHERE status IN ('succeeded', 'failed', 'cancelled')), count(*),
              count(*) FILTER (WHERE status = 'running'),
              ' ' || string_agg(CASE WHEN progress ? 'epoch'
                                     THEN format('[pattern %s: epoch %s/%s, validation loss %s, on %s]', pattern_id,
                                                 progress ->> 'epoch', progress ->> 'max_epochs',
                                                 round((progress ->> 'val_loss')::numeric, 3), device)
                                     ELSE format('[pattern %s: starting]', pattern_id) END,
                                ' ' ORDER BY pattern_id)
                     FILTER (WHERE status = 'running'),
              CASE WHEN count(*) FILTER (WHERE status IN ('queued', 'starting', 'running')) = 0 THEN ' END' END)
  FROM informer.jobs
 WHERE kind = 'train'
   AND pattern_id IN (SELECT pattern_id FROM informer.pattern
                       WHERE run_id = (SELECT max(run_id) FROM informer.mining_run WHERE source_name = :'source'));
SQL
)
    # a line when a job ends, else every 10 seconds
    if [ "${state%% *}" != "$last" ] || [ $SECONDS -ge $((shown + 10)) ]; then
        say "   $(date -u +%H:%M:%S) ${state% END}"; last=${state%% *} shown=$SECONDS
    fi
    case $state in *" END") break ;; esac
    if [ $((SECONDS - start)) -gt "$TIMEOUT" ]; then echo "training took longer than ${TIMEOUT}s" >&2; exit 1; fi
    sleep 1
done
"${PSQL[@]}" -At <<'SQL' >&2
SELECT format('training of pattern %s %s: %s', pattern_id, status, error) FROM informer.jobs
 WHERE kind = 'train' AND status <> 'succeeded'
   AND pattern_id IN (SELECT pattern_id FROM informer.pattern
                       WHERE run_id = (SELECT max(run_id) FROM informer.mining_run WHERE source_name = :'source'));
SQL

say "== forecasting every bucket of the test range $TEST_FROM .. $TEST_TO"
"${PSQL[@]}" -At <<'SQL' | while read -r line; do say "   $line"; done
SELECT format('%s forecasts by %s models', sum(informer_infer_now(m.pattern_id, :'test_from', :'test_to')), count(*))
  FROM informer.models m JOIN informer.pattern p USING (pattern_id)
 WHERE m.active AND p.run_id = (SELECT max(run_id) FROM informer.mining_run WHERE source_name = :'source');
SELECT format('%s anomalous buckets in informer.anomalies', informer_refresh_anomalies(false));
SQL

"${PSQL[@]}" <<'SQL'
CREATE OR REPLACE VIEW eval_flags_dcrnn AS
SELECT DISTINCT rpc_id, bucket FROM informer.anomalies WHERE is_anomaly;
CREATE OR REPLACE VIEW eval_flags_naive AS
SELECT rpc_id, bucket FROM informer_seasonal_naive(:'source', :'train_from', :'train_to',
                                                  :'test_from', :'test_to', :'season') WHERE is_anomaly;
SQL
if [ "$FORMAT" = json ]; then
    "${PSQL[@]}" -At <<'SQL'
SELECT json_build_object('source', :'source', 'detector', d, 'test_from', :'test_from'::timestamptz,
                         'test_to', :'test_to'::timestamptz) :: jsonb || to_jsonb(e)
  FROM (VALUES ('dcrnn', 'eval_flags_dcrnn'), ('seasonal_naive', 'eval_flags_naive')) v(d, rel),
       informer_evaluate(:'source', :'labels', rel::regclass, :'test_from', :'test_to') e;
SQL
else
    echo "== precision and recall of the labelled attack buckets ($TEST_FROM .. $TEST_TO)"
    "${PSQL[@]}" <<'SQL'
SELECT d AS detector, e.flagged_pairs, e.correct, e.attack_pairs, e.found,
       round(e.precision::numeric, 3) AS precision, round(e.recall::numeric, 3) AS recall, e.change_flags
  FROM (VALUES ('DCRNN', 'eval_flags_dcrnn'), ('seasonal naive ±3σ', 'eval_flags_naive')) v(d, rel),
       informer_evaluate(:'source', :'labels', rel::regclass, :'test_from', :'test_to') e;
SQL
fi
