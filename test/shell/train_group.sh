#!/usr/bin/env bash
# train_group.sh -- training several patterns' models together in a job
# worker (job kind 'train_group'): a group job runs to success with a model
# row per pattern, the same models as the synchronous form; its progress
# names the group while it trains; informer_cancel and SIGTERM of a running
# group leave no model row; informer_retrain_all(together => true) queues
# one job per set of equal options.
. "$REPO/test/lib/tap.sh"

q "CREATE EXTENSION informer" >/dev/null
mined_source glog grp
q "CREATE ROLE g_trainer LOGIN" >/dev/null
q "GRANT SELECT ON glog, informer.source, informer.source_state, informer.pattern, informer.pattern_rpc,
         informer.rpc, informer.traffic, informer.mining_run TO g_trainer" >/dev/null
# all five patterns (8, 12, 13, 13, 29 RPCs); the 13, 13 and 12 train together
ALL=$(q "SELECT 'ARRAY[' || string_agg(pattern_id::text, ', ' ORDER BY rpcs DESC, pattern_id) || ']' FROM informer.pattern")
TRIO=$(q "SELECT 'ARRAY[' || string_agg(pattern_id::text, ', ' ORDER BY pattern_id) || ']' FROM informer.pattern
           WHERE rpcs BETWEEN 12 AND 13")
FROM='"train_from": "2026-01-05 00:20", "history": 6, "horizon": 3, "seed": 5'
TINY="{\"units\": 4, \"layers\": 1, \"epochs\": 2, \"batch\": 8, $FROM}"
LONG="{\"units\": 8, \"epochs\": 100000, \"patience\": 100000, \"batch\": 4, $FROM}"

# --- a group job runs to success
job=$(qa g_trainer "SELECT informer_train_group($ALL, '$TINY')")
wait_status "$job" succeeded 60 && ok "a train_group job succeeds" \
    || not_ok "a train_group job succeeds ($(job_field "$job" "status || ': ' || coalesce(error, '')"))"
check "its row keeps the patterns beside the options, and no single pattern" "5|4|" \
    "$(job_field "$job" "jsonb_array_length(options->'patterns') || '|' || (options->>'units') || '|' || coalesce(pattern_id::text, '')")"
check "its final progress lists a model per pattern, none failed" "done|5|0|true" \
    "$(job_field "$job" "(progress->>'phase') || '|' || jsonb_array_length(progress->'models') || '|' ||
                         jsonb_array_length(progress->'failed') || '|' ||
                         (SELECT bool_and(m.model_id = (e->>'model_id')::bigint AND m.pattern_id = (e->>'pattern_id')::int)
                            FROM jsonb_array_elements(progress->'models') e
                            JOIN informer.models m ON m.model_id = (e->>'model_id')::bigint)")"
check "one active model of the submitting role per pattern, group_size 3 for the trio" "5|5|g_trainer|3|3" \
    "$(q "SELECT count(*) || '|' || count(*) FILTER (WHERE active) || '|' || min(owner::text) || '|' ||
                 count(*) FILTER (WHERE config->>'group_size' = '3') || '|' ||
                 count(*) FILTER (WHERE pattern_id = ANY ($TRIO) AND config->>'group_size' = '3')
            FROM informer.models WHERE job_id = $job")"
q "CREATE TABLE now_models AS SELECT * FROM informer_train_group_now($ALL, '$TINY')" >/dev/null
check "the synchronous form trains the same weights" 5 \
    "$(q "SELECT count(*) FROM now_models n JOIN informer.models s USING (model_id)
            JOIN informer.models j ON j.pattern_id = s.pattern_id AND j.job_id = $job
           WHERE s.weights = j.weights")"

# --- progress while a group trains; informer_cancel and SIGTERM leave no model
long_group() { # submit a long group training, wait until an epoch's progress is committed
    local j
    j=$(qa g_trainer "SELECT informer_train_group($TRIO, '$LONG')")
    wait_for "SELECT (progress->>'epoch')::int > 1 FROM informer.jobs WHERE job_id = $j" t 30 >&2
    echo "$j"
}
job=$(long_group)
check "a running group commits its progress: the group's models, how many still train" \
    "running|training|3|3|1|1|true|true" \
    "$(job_field "$job" "status || '|' || (progress->>'phase') || '|' || (progress->>'models') || '|' ||
                         (progress->>'training') || '|' || (progress->>'group') || '|' || (progress->>'groups') || '|' ||
                         (progress->>'train_loss' IS NOT NULL) || '|' || (progress->>'val_loss' IS NOT NULL)")"
q "SELECT informer_cancel($job)" >/dev/null
wait_status "$job" cancelled 10 && ok "informer_cancel ends a running group" \
    || not_ok "informer_cancel ends a running group (status $(job_field "$job" status))"
check "  and leaves no model row" 0 "$(q "SELECT count(*) FROM informer.models WHERE job_id = $job")"
job=$(long_group)
q "SELECT pg_terminate_backend(worker_pid) FROM informer.jobs WHERE job_id = $job" >/dev/null
wait_status "$job" cancelled 10 && ok "SIGTERM ends a running group" \
    || not_ok "SIGTERM ends a running group (status $(job_field "$job" status))"
check "  and leaves no model row" "job worker was terminated (SIGTERM)|0" \
    "$(q "SELECT error || '|' || (SELECT count(*) FROM informer.models WHERE job_id = $job)
            FROM informer.jobs WHERE job_id = $job")"

# --- retraining: one job per pattern, or one per set of equal options
# (the active models now: the synchronous ones, all with the same options)
q "SELECT informer_train_now(min(pattern_id), '{\"units\": 4, \"layers\": 1, \"epochs\": 1, \"batch\": 8, $FROM, \"seed\": 6}')
     FROM informer.pattern" >/dev/null
q "CREATE TABLE rt AS SELECT * FROM informer_retrain_all('{\"epochs\": 1}', together => true)" >/dev/null
check "informer_retrain_all(together) queues one train_group job per set of equal options" "5|2|4,1" \
    "$(q "SELECT count(*) || '|' || count(DISTINCT job_id) || '|' ||
                 (SELECT string_agg(n::text, ',' ORDER BY n DESC) FROM (SELECT count(*) n FROM rt GROUP BY job_id) c)
            FROM rt JOIN informer.jobs j USING (job_id) WHERE j.kind = 'train_group'")"
for j in $(q "SELECT DISTINCT job_id FROM rt"); do
    wait_status "$j" succeeded 60 || not_ok "retrain job $j succeeds ($(job_field "$j" "status || ': ' || coalesce(error, '')"))"
done
check "  each pattern retrained with its model's options and the given ones" "5|5|1" \
    "$(q "SELECT count(*) || '|' || count(*) FILTER (WHERE m.active) || '|' ||
                 count(*) FILTER (WHERE m.config->>'seed' = '6')
            FROM rt JOIN informer.models m ON m.job_id = rt.job_id AND m.pattern_id = rt.pattern_id
           WHERE m.config->>'epochs' = '1'")"
q "CREATE TABLE rt1 AS SELECT * FROM informer_retrain_all('{\"epochs\": 1}')" >/dev/null
check "informer_retrain_all() still queues one train job per pattern" "5|5|train" \
    "$(q "SELECT count(*) || '|' || count(DISTINCT job_id) || '|' || string_agg(DISTINCT j.kind, ',')
            FROM rt1 JOIN informer.jobs j USING (job_id)")"
for j in $(q "SELECT job_id FROM rt1"); do q "SELECT informer_cancel($j)" >/dev/null; done

q "DROP EXTENSION informer" >/dev/null
q "DROP TABLE glog, now_models, rt, rt1" >/dev/null
q "DROP OWNED BY g_trainer; DROP ROLE g_trainer" >/dev/null
