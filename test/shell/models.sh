#!/usr/bin/env bash
# models.sh -- training and inference run by real job workers: the end to
# end flow (generated logs -> source -> patterns -> traffic -> informer_train
# -> model row -> informer_infer -> predictions), a role that may not read
# the log, progress committed during training, cancel and SIGTERM in under
# 2 s, kill -9 of a training worker, two trainings at once.
. "$REPO/test/lib/tap.sh"

ms() { date +%s%3N; }

q "CREATE EXTENSION informer" >/dev/null
mined_source mlog mdl
read -r PID PRPCS < <(q "SELECT pattern_id || ' ' || rpcs FROM informer.pattern ORDER BY rpcs, pattern_id LIMIT 1")
for r in m_trainer m_stranger; do
    q "CREATE ROLE $r LOGIN" >/dev/null
    q "GRANT SELECT ON informer.source, informer.source_state, informer.pattern, informer.pattern_rpc,
             informer.rpc, informer.traffic, informer.mining_run TO $r" >/dev/null
done
q "GRANT SELECT ON mlog TO m_trainer" >/dev/null
TINY='{"units": 4, "layers": 1, "epochs": 20, "history": 6, "horizon": 3, "batch": 8, "seed": 5}'
LONG='{"units": 8, "epochs": 100000, "patience": 100000, "history": 6, "horizon": 3, "batch": 4}'

# --- end to end: a queued training, then a queued forecast
job=$(qa m_trainer "SELECT informer_train($PID, '$TINY')")
wait_status "$job" succeeded 60 && ok "a train job succeeds" \
    || not_ok "a train job succeeds ($(job_field "$job" "status || ': ' || coalesce(error, '')"))"
model=$(job_field "$job" "progress->>'model_id'")
check "it wrote one active model row of the submitting role" "1|true|m_trainer|1" \
    "$(q "SELECT count(*) || '|' || bool_and(active) || '|' || min(owner::text) || '|' || min(version)
            FROM informer.models WHERE job_id = $job AND model_id = $model")"
check "  with per-step test metrics and the naive baselines'" "3|3|3" \
    "$(q "SELECT jsonb_array_length(metrics->'test') || '|' || jsonb_array_length(metrics->'naive_last_value')
            || '|' || jsonb_array_length(metrics->'naive_history_mean') FROM informer.models WHERE model_id = $model")"
check "  and a bytea that loads, with detection statistics for every RPC" "$PRPCS|true|$((PRPCS * 3))" \
    "$(q "SELECT (informer_model_info(weights)->>'nodes') || '|' || (informer_model_info(weights)->>'has_stats')
            || '|' || (SELECT count(*) FROM informer.model_stats s WHERE s.model_id = m.model_id)
            FROM informer.models m WHERE model_id = $model")"
# what informer.device = auto must choose here: the CUDA module's own answer
if [ ! -e "$REPO/informer_cuda.so" ]; then
    gpu=none
elif /usr/bin/python3 - "$REPO/informer_cuda.so" <<'PY'
import ctypes, sys
why = ctypes.create_string_buffer(256)
sys.exit(0 if ctypes.CDLL(sys.argv[1]).informer_cuda_probe(why, ctypes.c_size_t(256)) > 0 else 1)
PY
then gpu=usable; else gpu=unusable; fi
case $gpu in
    usable)   auto_expect="cuda|informer.device is auto and a CUDA device is usable" ;;
    unusable) auto_expect="cpu|informer.device is auto and no usable CUDA device: %" ;;
    none)     auto_expect="cpu|informer.device is auto and cannot open the CUDA module: %" ;;
esac
check "the job (informer.device = auto, CUDA $gpu) records the device it used and why" "true|true" \
    "$(q "SELECT (device || '|' || device_reason LIKE '$auto_expect') || '|' ||
                 (SELECT config->>'device' || '|' || (config->>'device_reason') LIKE '$auto_expect'
                    FROM informer.models WHERE job_id = $job) FROM informer.jobs WHERE job_id = $job")"
sync=$(q "SELECT informer_train_now($PID, '$TINY')")
check "the same options trained in a backend give the same weights" t \
    "$(q "SELECT (SELECT weights FROM informer.models WHERE model_id = $model) =
                 (SELECT weights FROM informer.models WHERE model_id = $sync)")"
q "SELECT informer_deploy_model($PID, 1)" >/dev/null
job=$(qa m_trainer "SELECT informer_infer($PID)")
wait_status "$job" succeeded 30 && ok "an infer job succeeds" \
    || not_ok "an infer job succeeds ($(job_field "$job" "status || ': ' || coalesce(error, '')"))"
check "it stored the next 3 buckets of every RPC, from the incomplete bucket on" "$((PRPCS * 3))|3|true" \
    "$(q "SELECT count(*) || '|' || count(DISTINCT bucket) || '|' ||
                 (min(bucket) = (SELECT informer._bucket('20 minutes', watermark) FROM informer.source_state))
            FROM informer.predictions WHERE model_id = $model")"
check "  and the job says how many" "$((PRPCS * 3))" "$(job_field "$job" "progress->>'predictions'")"
job=$(qa m_trainer "SELECT informer_infer($PID, '{\"from\": \"2026-01-06 00:00\", \"to\": \"2026-01-06 01:00\"}')")
wait_status "$job" succeeded 30 && check "a backfill job forecasts each bucket of its range at every step" \
    "$((PRPCS * 3 * 3))" "$(job_field "$job" "progress->>'predictions'")" \
    || not_ok "a backfill job succeeds ($(job_field "$job" "error"))"

# --- informer.device as the job worker sees it (the owner's role settings)
q "ALTER ROLE m_trainer SET informer.device = 'cpu'" >/dev/null
job=$(qa m_trainer "SELECT informer_train($PID, '$TINY')")
wait_status "$job" succeeded 60 || not_ok "a train job with informer.device = cpu succeeds ($(job_field "$job" error))"
check "a job with informer.device = cpu trains on the CPU and says so, in the job and the model" \
    "cpu|informer.device is cpu|cpu|informer.device is cpu" \
    "$(q "SELECT device || '|' || device_reason || '|' || (SELECT config->>'device' || '|' || (config->>'device_reason')
            FROM informer.models WHERE job_id = $job) FROM informer.jobs WHERE job_id = $job")"
check "  with the same weights as on auto when auto trains on the CPU too" \
    "$([ $gpu = usable ] && echo f || echo t)" \
    "$(q "SELECT (SELECT weights FROM informer.models WHERE job_id = $job) =
                 (SELECT weights FROM informer.models WHERE model_id = $model)")"
q "ALTER ROLE m_trainer SET informer.device = 'cuda'" >/dev/null
before=$(q "SELECT count(*) FROM informer.models")
job=$(qa m_trainer "SELECT informer_train($PID, '$TINY')")
if [ $gpu = usable ]; then
    wait_status "$job" succeeded 60 && check "a job with informer.device = cuda trains on the GPU" \
        "cuda|informer.device is cuda" "$(job_field "$job" "device || '|' || device_reason")" \
        || not_ok "a job with informer.device = cuda succeeds ($(job_field "$job" error))"
else
    wait_status "$job" failed 30 || true
    check "a job with informer.device = cuda and no usable GPU fails with the reason, and no model" \
        "failed|informer.device is cuda, but no CUDA device is usable|0A000|$before" \
        "$(q "SELECT status || '|' || error || '|' || (progress->>'sqlstate') || '|' ||
                     (SELECT count(*) FROM informer.models) FROM informer.jobs WHERE job_id = $job")"
fi
q "ALTER ROLE m_trainer RESET informer.device" >/dev/null
# the same in a backend: the error keeps its detail and hint
if [ $gpu != usable ]; then
    check "informer_train_now with informer.device = cuda and no usable GPU is the same clear error" \
        "0A000|informer.device is cuda, but no CUDA device is usable|true|Set informer.device to auto or cpu to train on the CPU." \
        "$(q "SET informer.device = 'cuda';
              DO \$\$ DECLARE st text; m text; d text; h text; BEGIN
                  PERFORM informer_train_now($PID, '$TINY');
              EXCEPTION WHEN OTHERS THEN
                  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL,
                                          h = PG_EXCEPTION_HINT;
                  RAISE NOTICE '%', st || '|' || m || '|' || (d LIKE '%CUDA%') || '|' || h;
              END \$\$" 2>&1 | sed -n 's/^NOTICE:  //p')"
fi

# --- a role that may not read the log cannot train on it
job=$(qa m_stranger "SELECT informer_train($PID, '$TINY')")
wait_status "$job" failed 30 && ok "a train job of a role without SELECT on the log fails" \
    || not_ok "a train job of a role without SELECT on the log fails ($(job_field "$job" status))"
check "  with the permission error recorded, and no model" "permission denied for table mlog|42501|0" \
    "$(q "SELECT error || '|' || (progress->>'sqlstate') || '|' ||
                 (SELECT count(*) FROM informer.models WHERE job_id = $job) FROM informer.jobs WHERE job_id = $job")"
check "it sees no other role's models" "0|0" \
    "$(qa m_stranger "SELECT count(*) || '|' || (SELECT count(*) FROM informer.predictions) FROM informer.models")"

# --- progress is committed during training; cancel and SIGTERM stop it fast
long_job() { # submit a long training and wait until an epoch's progress is committed
    local j
    j=$(qa m_trainer "SELECT informer_train($PID, '$LONG')")
    wait_for "SELECT (progress->>'epoch')::int > 1 FROM informer.jobs WHERE job_id = $j" t 30 >&2
    echo "$j"
}
job=$(long_job)
check "a running training commits its progress (epoch, losses)" "running|true|true" \
    "$(job_field "$job" "status || '|' || (progress->>'train_loss' IS NOT NULL) || '|' || (progress->>'val_loss' IS NOT NULL)")"
t0=$(ms)
q "SELECT informer_cancel($job)" >/dev/null
wait_status "$job" cancelled 10
t1=$(ms)
[ $((t1 - t0)) -lt 2000 ] && ok "informer_cancel ends a running training in $((t1 - t0)) ms" \
    || not_ok "informer_cancel ends a running training in under 2 s (took $((t1 - t0)) ms, status $(job_field "$job" status))"
check "  and leaves no model row" 0 "$(q "SELECT count(*) FROM informer.models WHERE job_id = $job")"
job=$(long_job)
t0=$(ms)
q "SELECT pg_terminate_backend(worker_pid) FROM informer.jobs WHERE job_id = $job" >/dev/null
wait_status "$job" cancelled 10
t1=$(ms)
[ $((t1 - t0)) -lt 2000 ] && ok "SIGTERM ends a running training in $((t1 - t0)) ms" \
    || not_ok "SIGTERM ends a running training in under 2 s (took $((t1 - t0)) ms, status $(job_field "$job" status))"

# --- two trainings at once do not interfere: the same weights as one alone
a=$(qa m_trainer "SELECT informer_train($PID, '$TINY')")
b=$(qa m_trainer "SELECT informer_train($PID, '$TINY')")
wait_status "$a" succeeded 60 && wait_status "$b" succeeded 60 \
    && ok "two train jobs at once both succeed" || not_ok "two train jobs at once both succeed"
check "  overlapping in time, with their own versions and identical weights" "true|2|1|true" \
    "$(q "SELECT (SELECT min(started_at) < max(started_at) AND max(started_at) < min(finished_at)
                    FROM informer.jobs WHERE job_id IN ($a, $b)) || '|' ||
                 count(DISTINCT version) || '|' || count(*) FILTER (WHERE active) || '|' ||
                 (count(DISTINCT md5(weights)) = 1
                  AND min(md5(weights)) = (SELECT md5(weights) FROM informer.models WHERE model_id = $model))
            FROM informer.models WHERE job_id IN ($a, $b)")"

# --- the limit on workers holds for trainings too
q "ALTER SYSTEM SET informer.max_workers = 1" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null; sleep 0.3
a=$(long_job)
b=$(qa m_trainer "SELECT informer_train($PID, '$LONG')")
sleep 1
check "with informer.max_workers = 1 a second training waits queued" "running|queued" \
    "$(job_field "$a" status)|$(job_field "$b" status)"
q "SELECT informer_cancel($a)" >/dev/null
wait_status "$b" running 20 && ok "  and runs once the first ends" || not_ok "  and runs once the first ends ($(job_field "$b" status))"
q "SELECT informer_cancel($b)" >/dev/null
wait_status "$b" cancelled 10 || not_ok "the second training is cancelled"
q "ALTER SYSTEM RESET informer.max_workers" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null; sleep 0.3

# --- kill -9 of a training worker: the job fails with the reason, no model row
before=$(q "SELECT count(*) FROM informer.models")
job=$(long_job)
kill -9 "$(job_field "$job" worker_pid)"
wait_for "SELECT status FROM informer.jobs WHERE job_id = $job" failed 60 \
    && ok "after kill -9 of its worker the cluster recovers and the job is failed" \
    || not_ok "after kill -9 the job is failed (status $(job_field "$job" status))"
check "  with the reason, and no partial model row" "true|$before" \
    "$(q "SELECT (error LIKE 'job worker %without recording a result%') || '|' ||
                 (SELECT count(*) FROM informer.models) FROM informer.jobs WHERE job_id = $job")"

q "DROP EXTENSION informer" >/dev/null
q "DROP TABLE mlog" >/dev/null
for r in m_trainer m_stranger; do q "DROP OWNED BY $r; DROP ROLE $r" >/dev/null; done
