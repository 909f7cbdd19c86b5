#!/usr/bin/env bash
# cron.sh -- informer_schedule() with the real pg_cron of the test cluster:
# the error without pg_cron, the jobs in cron.job, their command run by hand
# and by pg_cron itself, rescheduling and unscheduling; and a concurrent
# refresh of informer.anomalies that does not wait for a reader.
# Runs in the database "postgres" (cron.database_name) and leaves it as found.
. "$REPO/test/lib/tap.sh"

# qe SQL: the error message of a statement that must fail
qe() { "$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 -d postgres -c "$1" 2>&1 >/dev/null | sed -n 's/^ERROR: *//p' | head -1; }

q "CREATE EXTENSION informer" >/dev/null
check "without pg_cron: a clear error" 'pg_cron is not installed in database "postgres"' \
    "$(qe "SELECT informer_schedule()")"
check "without pg_cron: the hint says how to install it" 1 \
    "$("$PG_BIN/psql" -X -d postgres -c "SELECT informer_schedule()" 2>&1 | grep -c '^HINT:.*CREATE EXTENSION pg_cron')"

q "CREATE EXTENSION pg_cron" >/dev/null
check "no source: the bucket width is unknown" \
    "no source is registered, so the bucket width to detect at is unknown" "$(qe "SELECT informer_schedule()")"

for c in "1 minute|* * * * *" "5 minutes|1-59/5 * * * *" "20 minutes|1-59/20 * * * *" "1 hour|1 * * * *" \
         "6 hours|1 */6 * * *" "1 day|1 0 * * *"; do
    check "bucket ${c%%|*} runs detection at '${c#*|}'" "${c#*|}" \
        "$(q "SELECT informer._bucket_schedule('${c%%|*}')")"
done
check "a bucket of 7 minutes has no cron schedule" "no cron schedule runs once per bucket of 00:07:00" \
    "$(qe "SELECT informer._bucket_schedule('7 minutes')")"

# A source of two RPCs in 20-minute buckets, a pattern, and forecasts of an
# (inactive) model: 100 calls expected within [90, 110], 200 observed in the
# third bucket.
q "CREATE TABLE cron_log (ts timestamptz, trace text, caller text, callee text)" >/dev/null
q "INSERT INTO cron_log SELECT timestamptz '2026-06-01 00:00+00' + b * interval '20 minutes' + j * interval '1 second',
          b || '_' || j, 'web', 'api' FROM generate_series(0, 5) b,
          generate_series(1, CASE WHEN b = 2 THEN 200 ELSE 100 END) j" >/dev/null
q "SELECT informer_register_source('cron_src', 'cron_log', 'ts', 'trace', 'caller', 'callee', '20 minutes')" >/dev/null
q "SELECT count(*) FROM informer_mine_patterns('cron_src', '2026-06-01', '2026-06-02')" >/dev/null
q "INSERT INTO informer.models (pattern_id, version, config, metrics, weights, active, owner)
   SELECT pattern_id, 1, '{}', '{}', '\x00', false, current_user::regrole FROM informer.pattern" >/dev/null
# predicted 99.625 calls is 10 on the scale sqrt(calls + 3/8); with M = 0,
# Sigma = 0.5 and k = 3 the band is 8.5 .. 11.5 there, 71.875 .. 131.875 calls
q "INSERT INTO informer.predictions (model_id, rpc_id, bucket, step, predicted, lower, upper, sigma)
   SELECT model_id, rpc_id, timestamptz '2026-06-01 00:00+00' + b * interval '20 minutes', 1,
          99.625, 71.875, 131.875, 0.5
     FROM informer.models, informer.rpc, generate_series(0, 5) b" >/dev/null

check "informer_schedule() returns both jobs" \
    "informer-detect|1-59/20 * * * *|SELECT public.informer_detect()
informer-retrain|30 3 * * *|SELECT public.informer_retrain_all()" \
    "$(q "SELECT job_name, schedule, command FROM informer_schedule()")"
check "the jobs are in cron.job, for this database and role" \
    "informer-detect|1-59/20 * * * *|postgres|postgres|t
informer-retrain|30 3 * * *|postgres|postgres|t" \
    "$(q "SELECT jobname, schedule, database, username, active FROM cron.job ORDER BY jobname")"
q "SELECT count(*) FROM informer_schedule('*/5 * * * *', '0 4 * * *')" >/dev/null
check "scheduling again replaces the jobs" "informer-detect|*/5 * * * *
informer-retrain|0 4 * * *" "$(q "SELECT jobname, schedule FROM cron.job ORDER BY jobname")"
check "a bad schedule is pg_cron's error" "invalid schedule: every minute" \
    "$(qe "SELECT informer_schedule('every minute')")"

# the detection command, as pg_cron stores it, run by hand
cmd=$(q "SELECT command FROM cron.job WHERE jobname = 'informer-detect'")
check "the detection command refreshes traffic and judges the buckets" "(1,0,0,1,0)" "$(q "$cmd")"
# score (sqrt(200.375) - 10) / 0.5 = 8.3108
check "the spike is in informer.anomalies" "web|api|2026-06-01 00:40:00+00|200|spike|8.3108" \
    "$(q "SELECT src, dst, bucket, observed, direction, round(score::numeric, 4) FROM informer_anomalies('-infinity')")"

# and by pg_cron itself: every minute, until one run has finished
q "INSERT INTO cron_log SELECT timestamptz '2026-06-01 02:00+00' + j * interval '1 second', 'late' || j, 'web', 'api'
     FROM generate_series(1, 300) j" >/dev/null
q "SELECT count(*) FROM informer_schedule('* * * * *')" >/dev/null
jobid=$(q "SELECT jobid FROM cron.job WHERE jobname = 'informer-detect'")

# Meanwhile: a concurrent refresh does not wait for a reader of the view,
# while a plain refresh would (it needs a lock that conflicts with the
# reader's).  lock_timeout makes any wait an error, whatever the load.
"$PG_BIN/psql" -X -q -d postgres -c "BEGIN; SELECT count(*) FROM informer.anomalies; SELECT pg_sleep(60); COMMIT" \
    >/dev/null 2>&1 &
reader=$!
wait_for "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
           WHERE c.relname = 'anomalies' AND l.mode = 'AccessShareLock' AND l.granted" 1 20 \
    || not_ok "the reader holds the view"
check "a concurrent refresh with a reader open does not wait" 1 \
    "$(q "SET lock_timeout = '2s'; SELECT informer_refresh_anomalies()" | tail -1)"
check "a plain refresh would wait for the reader" "canceling statement due to lock timeout" \
    "$(qe "SET lock_timeout = '500ms'; SELECT informer_refresh_anomalies(false)")"
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
wait $reader

if wait_for "SELECT count(*) FILTER (WHERE status = 'succeeded') > 0 FROM cron.job_run_details WHERE jobid = $jobid" t 75; then
    ok "pg_cron ran informer_detect() (succeeded)"
else
    not_ok "pg_cron ran informer_detect(): $(q "SELECT string_agg(status || ': ' || coalesce(return_message, ''), '; ') FROM cron.job_run_details WHERE jobid = $jobid")"
fi
check "its run counted the new rows and judged the bucket they completed" "300|100|" \
    "$(q "SELECT (SELECT calls FROM informer.traffic WHERE bucket = '2026-06-01 02:00+00'), observed, direction
            FROM informer.anomalies WHERE bucket = '2026-06-01 01:40+00'")"

rcmd=$(q "SELECT command FROM cron.job WHERE jobname = 'informer-retrain'")
check "informer_unschedule() removes both jobs" 2 "$(q "SELECT informer_unschedule()")"
check "none is left in cron.job" 0 "$(q "SELECT count(*) FROM cron.job WHERE jobname LIKE 'informer-%'")"

# A real model of generated traffic: the detection command forecasts with
# it, and the retraining command queues a job that the worker runs with the
# model's options, over all traffic.
q "CREATE TABLE cron_syn AS SELECT * FROM informer_synthetic_logs(seed => 3, buckets => 72,
     functionalities => 5, chains_per_day => 2000, sampling_rate => 1)" >/dev/null
q "SELECT informer_register_source('cron_syn', 'cron_syn', 'ts', 'chain_id', 'src', 'dst')" >/dev/null
q "SELECT count(*) FROM informer_mine_patterns('cron_syn', '2026-01-05', '2026-01-06')" >/dev/null
pat=$(q "SELECT min(p.pattern_id) FROM informer.pattern p JOIN informer.mining_run r USING (run_id)
          WHERE r.source_name = 'cron_syn'")
q "SELECT informer_refresh_traffic('cron_syn')" >/dev/null
q "SELECT informer_train_now($pat, '{\"units\": 4, \"layers\": 1, \"epochs\": 2, \"history\": 4,
     \"horizon\": 2, \"batch\": 16, \"train_to\": \"2026-01-05 20:00+00\"}')" >/dev/null
res=$(q "$cmd")
rpcs=$(q "SELECT rpcs FROM informer.pattern WHERE pattern_id = $pat")
# (sources, models, predictions, anomalies, failures)
check "the detection command forecasts with the due model, without failures" "(2,1,$((2 * rpcs))|0)" \
    "${res%,*,*}|${res##*,}"
check "the forecasts are pending in informer.v_traffic_forecast" "$((2 * rpcs))" \
    "$(q "SELECT count(*) FROM informer.v_traffic_forecast WHERE pending AND pattern_id = $pat")"
job=$(q "$rcmd" | sed 's/^(\([0-9]*\),\([0-9]*\))$/\2/')
check "the retraining command queues a job with the model's options, not its range" "train|$pat|4|2|f" \
    "$(q "SELECT kind, pattern_id, options->>'units', options->>'horizon', options ? 'train_to' FROM informer.jobs WHERE job_id = $job")"
if wait_for "SELECT status FROM informer.jobs WHERE job_id = $job" succeeded 60; then
    ok "the worker retrained the pattern"
else
    not_ok "the worker retrained the pattern: $(q "SELECT status || ' ' || coalesce(error, '') FROM informer.jobs WHERE job_id = $job")"
fi
check "the new version is the active model" 2 "$(q "SELECT version FROM informer.models WHERE pattern_id = $pat AND active")"

# The Grafana dashboard's queries, with its macros expanded as Grafana's
# PostgreSQL data source does, run against the views and find the spike.
rpc=$(q "SELECT rpc_id FROM informer.rpc WHERE src = 'web'")
n=0 bad=0
while IFS= read -r -d '' sql; do
    sql=${sql//'$__timeGroupAlias(bucket, $__interval)'/"date_bin('20 minutes', bucket, '2000-01-01') AS time"}
    sql=${sql//'$__timeFilter(bucket)'/"bucket BETWEEN '2026-06-01T00:00:00Z' AND '2026-06-02T00:00:00Z'"}
    sql=${sql//'$rpc'/$rpc}
    n=$((n + 1))
    out=$(q "$sql" 2>&1) || { bad=$((bad + 1)); echo "    $out" >&2; }
done < <("$PG_BIN/psql" -X -At -0 -v ON_ERROR_STOP=1 -d postgres -v dash="$(cat "$REPO/docs/grafana-dashboard.json")" -f - <<'SQL'
SELECT q #>> '{}' FROM jsonb_path_query(:'dash'::jsonb, '$.panels[*].targets[*].rawSql') q
UNION ALL
SELECT q #>> '{}' FROM jsonb_path_query(:'dash'::jsonb, '$.templating.list[*] ? (@.type == "query").query') q
UNION ALL
SELECT q #>> '{}' FROM jsonb_path_query(:'dash'::jsonb, '$.annotations.list[*].target.rawSql') q
SQL
)
check "the dashboard's 8 queries run against the views" "8 0" "$n $bad"
check "its anomaly count panel sees the spike" 1 \
    "$(q "SELECT count(*) AS anomalies FROM informer.v_anomalies WHERE bucket BETWEEN '2026-06-01' AND '2026-06-02'")"

q "DROP EXTENSION pg_cron" >/dev/null
q "DROP EXTENSION informer CASCADE" >/dev/null
q "DROP TABLE cron_log, cron_syn" >/dev/null
