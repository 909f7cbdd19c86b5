#!/usr/bin/env bash
# jobs.sh -- the job queue served by real background workers: a refresh job
# runs as the role that submitted it, permission failures, cancel and
# SIGTERM, kill -9 of a job worker, two jobs at once, informer.max_workers,
# jobs of dropped roles and tables, history retention.
. "$REPO/test/lib/tap.sh"

ms() { date +%s%3N; }
status() { q "SELECT status FROM informer.jobs WHERE job_id = $1"; }
launcher_pid() { q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'informer launcher'"; }
worker_pid() { q "SELECT worker_pid FROM informer.jobs WHERE job_id = $1"; }
reload() { q "SELECT pg_reload_conf()" >/dev/null; sleep 0.3; }
launcher_errors() { grep -c "informer launcher ERROR" "$PG_LOG"; }

wait_for "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'informer launcher'" 1 30 \
    || not_ok "launcher runs"
# Jobs must start on the launcher's latch, not on its timer.
q "ALTER SYSTEM SET informer.launcher_naptime = '1h'" >/dev/null
reload
check "launcher is quiet while the extension is not installed" 0 "$(launcher_errors)"

q "CREATE EXTENSION informer" >/dev/null
q "CREATE TABLE lg (ts timestamptz, trace text, caller text, callee text)" >/dev/null
q "INSERT INTO lg SELECT timestamptz '2026-05-01 00:00+00' + i * interval '7 seconds', 't' || i / 4,
          's' || i % 3, 's' || i % 5 FROM generate_series(1, 3000) i" >/dev/null
q "CREATE TABLE lg_b (LIKE lg)" >/dev/null
q "INSERT INTO lg_b SELECT ts, trace, 'b-' || caller, 'b-' || callee FROM lg" >/dev/null
# slow sources: a real refresh whose read takes as long as asked
q "CREATE FUNCTION slow_rows(secs float8, tab regclass) RETURNS SETOF lg LANGUAGE plpgsql AS
   \$\$ BEGIN PERFORM pg_sleep(secs); RETURN QUERY EXECUTE format('SELECT * FROM %s', tab); END \$\$" >/dev/null
q "CREATE VIEW slow_lg AS SELECT * FROM slow_rows(60, 'lg')" >/dev/null
q "CREATE VIEW slow2_a AS SELECT * FROM slow_rows(4, 'lg')" >/dev/null
q "CREATE VIEW slow2_b AS SELECT * FROM slow_rows(4, 'lg_b')" >/dev/null
for s in "fast lg" "slow slow_lg" "two_a slow2_a" "two_b slow2_b"; do
    set -- $s
    q "SELECT informer_register_source('$1', '$2', 'ts', 'trace', 'caller', 'callee')" >/dev/null
done
# the reference: a plain GROUP BY over a table, compared with informer.traffic
matches() {
    q "SELECT NOT EXISTS (
         (SELECT caller, callee, informer._bucket('20 minutes', ts), count(*) FROM $1 GROUP BY 1, 2, 3
          EXCEPT SELECT r.src, r.dst, t.bucket, t.calls FROM informer.traffic t JOIN informer.rpc r USING (rpc_id))
         UNION ALL
         (SELECT r.src, r.dst, t.bucket, t.calls FROM informer.traffic t JOIN informer.rpc r USING (rpc_id)
           WHERE r.src LIKE '$2%'
          EXCEPT SELECT caller, callee, informer._bucket('20 minutes', ts), count(*) FROM $1 GROUP BY 1, 2, 3))"
}
# roles: bob may read the log, alice may not; both may write informer's tables
for r in alice bob; do
    q "CREATE ROLE $r LOGIN" >/dev/null
    q "GRANT SELECT ON informer.source TO $r;
       GRANT SELECT, INSERT, UPDATE ON informer.rpc, informer.traffic, informer.source_state TO $r" >/dev/null
done
q "GRANT SELECT ON lg, slow_lg TO bob" >/dev/null

# --- a job runs and succeeds, started by the latch
t0=$(ms)
job=$(q "SELECT informer_submit_refresh('fast')")
wait_status "$job" succeeded 20 && ok "a refresh job succeeds" || not_ok "a refresh job succeeds ($(q "SELECT error FROM informer.jobs WHERE job_id = $job"))"
t1=$(ms)
[ $((t1 - t0)) -lt 5000 ] && ok "the submission wakes the launcher (naptime 1 h; done in $((t1 - t0)) ms)" \
    || not_ok "the submission wakes the launcher (took $((t1 - t0)) ms)"
check "its traffic equals a GROUP BY over the log" t "$(matches lg s)"
check "its progress holds the refresh's result" "3000 true" \
    "$(q "SELECT (progress->>'rows_read') || ' ' || (started_at <= finished_at AND submitted_at <= started_at)
            FROM informer.jobs WHERE job_id = $job")"

# --- runs as the submitting role
job=$(qa alice "SELECT informer_submit_refresh('fast')")
wait_status "$job" failed 20 && ok "a job of a role without SELECT on the log fails" \
    || not_ok "a job of a role without SELECT on the log fails (status $(status "$job"))"
check "  with the permission error recorded" "permission denied for table lg|42501|alice" \
    "$(q "SELECT error || '|' || (progress->>'sqlstate') || '|' || owner FROM informer.jobs WHERE job_id = $job")"
check "alice sees her own jobs only" "1" "$(qa alice "SELECT count(*) FROM informer.jobs")"
job=$(qa bob "SELECT informer_submit_refresh('slow')")
wait_status "$job" running 20
check "the worker is connected as the submitting role" bob \
    "$(q "SELECT usename FROM pg_stat_activity WHERE pid = (SELECT worker_pid FROM informer.jobs WHERE job_id = $job)")"
out=$(qa alice "SELECT informer_cancel($job)" 2>&1)
case "$out" in *"permission denied to cancel job $job"*) ok "another role cannot cancel the job";;
    *) not_ok "another role cannot cancel the job (got: $out)";; esac
check "its owner can" t "$(qa bob "SELECT informer_cancel($job)")"
wait_status "$job" cancelled 5 && ok "  and it is cancelled" || not_ok "  and it is cancelled"
q "CREATE ROLE dave NOLOGIN" >/dev/null
out=$(q "SET ROLE dave; SELECT informer_submit_refresh('fast')" 2>&1)
case "$out" in *'role "dave" cannot log in'*"ALTER ROLE dave LOGIN"*) ok "a NOLOGIN role cannot submit, with a hint";;
    *) not_ok "a NOLOGIN role cannot submit (got: $out)";; esac

# --- cancel and SIGTERM of running jobs
job=$(q "SELECT informer_submit_refresh('slow')")
wait_status "$job" running 20
t0=$(ms)
q "SELECT informer_cancel($job)" >/dev/null
wait_status "$job" cancelled 5
t1=$(ms)
[ "$(status "$job")" = cancelled ] && [ $((t1 - t0)) -lt 2000 ] \
    && ok "informer_cancel ends a running job in under 2 s ($((t1 - t0)) ms)" \
    || not_ok "informer_cancel ends a running job in under 2 s (status $(status "$job") after $((t1 - t0)) ms)"
check "  recorded as cancelled, no watermark written" "cancelled by informer_cancel()|" \
    "$(q "SELECT j.error || '|' || coalesce(s.watermark::text, '') FROM informer.jobs j
            LEFT JOIN informer.source_state s ON s.source_name = 'slow' WHERE job_id = $job")"
check "cancelling an ended job returns false" f "$(q "SELECT informer_cancel($job)")"
job=$(q "SELECT informer_submit_refresh('slow')")
wait_status "$job" running 20
t0=$(ms)
q "SELECT pg_terminate_backend($(worker_pid "$job"))" >/dev/null
wait_status "$job" cancelled 5
t1=$(ms)
check "SIGTERM stops a job ($((t1 - t0)) ms)" "cancelled|job worker was terminated (SIGTERM)" \
    "$(q "SELECT status || '|' || error FROM informer.jobs WHERE job_id = $job")"

# --- kill -9 of a job worker: the server restarts, the job is failed
job=$(q "SELECT informer_submit_refresh('slow')")
wait_status "$job" running 20
kill -9 "$(worker_pid "$job")"
sleep 1
wait_for "SELECT 1" 1 60 && ok "the cluster recovers after kill -9 of a job worker" \
    || not_ok "the cluster recovers after kill -9 of a job worker"
wait_status "$job" failed 30 && ok "the killed job is marked failed" || not_ok "the killed job is marked failed (status $(status "$job"))"
check "  with the reason" "job worker ended without recording a result (killed, or the server crashed or restarted, while the job was running)" \
    "$(q "SELECT error FROM informer.jobs WHERE job_id = $job")"
check "  and no partial result" "" "$(q "SELECT watermark FROM informer.source_state WHERE source_name = 'slow'")"
job=$(q "SELECT informer_submit_refresh('fast')")
wait_status "$job" succeeded 20 && ok "jobs run again after the crash" || not_ok "jobs run again after the crash"

# --- two jobs at once
a=$(q "SELECT informer_submit_refresh('two_a')")
b=$(q "SELECT informer_submit_refresh('two_b')")
wait_for "SELECT count(*) FROM informer.jobs WHERE job_id IN ($a, $b) AND status = 'running'" 2 20 \
    && ok "two jobs run at once" || not_ok "two jobs run at once"
wait_status "$a" succeeded 20 && wait_status "$b" succeeded 20 && ok "both succeed" || not_ok "both succeed"
check "  each with its own counts" "t t" "$(matches lg s) $(matches lg_b b-)"
a=$(q "SELECT informer_submit_refresh('two_a')")
b=$(q "SELECT informer_submit_refresh('two_a')")
wait_status "$a" succeeded 30 && wait_status "$b" succeeded 30 \
    && check "two refreshes of one source at once count nothing twice" t "$(matches lg s)" \
    || not_ok "two refreshes of one source at once count nothing twice"

# --- informer.max_workers holds
q "ALTER SYSTEM SET informer.max_workers = 1" >/dev/null
reload
slots_before=$(grep -c "informer launcher is out of worker slots" "$PG_LOG")
j1=$(q "SELECT informer_submit_refresh('slow')")
j2=$(q "SELECT informer_submit_refresh('slow')")
j3=$(q "SELECT informer_submit_refresh('slow')")
wait_status "$j1" running 20
most=0
for _ in $(seq 10); do
    n=$(q "SELECT count(*) FROM informer.jobs WHERE status IN ('starting', 'running')")
    [ "$n" -gt "$most" ] && most=$n
    sleep 0.2
done
check "with max_workers = 1 one job runs, the others wait" "1 queued queued" "$most $(status "$j2") $(status "$j3")"
check "  'out of worker slots' is logged once" 1 \
    "$(( $(grep -c "informer launcher is out of worker slots" "$PG_LOG") - slots_before ))"

# --- jobs of a dropped role and of a dropped table fail alone (j1 blocks the queue)
q "CREATE ROLE carol LOGIN; GRANT SELECT ON informer.source, lg TO carol;
   GRANT SELECT, INSERT, UPDATE ON informer.rpc, informer.traffic, informer.source_state TO carol" >/dev/null
jc=$(qa carol "SELECT informer_submit_refresh('fast')")
q "CREATE TABLE doomed (LIKE lg)" >/dev/null
q "SELECT informer_register_source('doomed', 'doomed', 'ts', 'trace', 'caller', 'callee')" >/dev/null
jd=$(q "SELECT informer_submit_refresh('doomed')")
jf=$(q "SELECT informer_submit_refresh('fast')")
q "DROP TABLE doomed" >/dev/null
q "DROP OWNED BY carol; DROP ROLE carol" >/dev/null
lpid=$(launcher_pid)
q "SELECT informer_cancel($j2), informer_cancel($j3)" >/dev/null
check "queued jobs are cancelled at once" "cancelled cancelled" "$(status "$j2") $(status "$j3")"
q "SELECT informer_cancel($j1)" >/dev/null
wait_status "$jf" succeeded 20 && ok "the queue moves on after a cancel" || not_ok "the queue moves on after a cancel ($(status "$jf"))"
check "the job of a dropped role fails alone" "failed|the role that submitted the job" \
    "$(q "SELECT status || '|' || split_part(error, ' (', 1) FROM informer.jobs WHERE job_id = $jc")"
check "the job of a dropped table fails alone" "failed|log table of source \"doomed\" no longer exists" \
    "$(q "SELECT status || '|' || error FROM informer.jobs WHERE job_id = $jd")"
check "the launcher kept running" "$lpid" "$(launcher_pid)"

# --- more jobs than the server has background worker slots: the extra ones wait
q "ALTER SYSTEM SET informer.max_workers = 64" >/dev/null
reload
n=$(q "SHOW max_worker_processes")
ids=$(q "SELECT string_agg(informer_submit_refresh('slow')::text, ',') FROM generate_series(1, $n)")
wait_for "SELECT count(*) > 0 FROM informer.jobs WHERE job_id IN ($ids) AND status = 'running'" t 30
wait_for "SELECT count(*) FROM informer.jobs WHERE job_id IN ($ids) AND status = 'starting'" 0 30
check "with max_worker_processes full, jobs wait queued and none fails" "true|0" \
    "$(q "SELECT bool_or(status = 'queued') || '|' || count(*) FILTER (WHERE status NOT IN ('queued', 'running'))
            FROM informer.jobs WHERE job_id IN ($ids)")" ||
    { q "SELECT string_agg(job_id || ' ' || status || ': ' || coalesce(error, ''), E'\\n')
           FROM informer.jobs WHERE job_id IN ($ids) AND status NOT IN ('queued', 'running')"
      grep -E "FATAL|no slot available|could not fork|terminated by signal" "$PG_LOG" | tail -n 5; } | sed 's/^/    /'
grep -q "raise max_worker_processes" "$PG_LOG" && ok "  the log says to raise max_worker_processes" \
    || not_ok "  the log says to raise max_worker_processes"
q "SELECT informer_cancel(j) FROM unnest('{$ids}'::bigint[]) j" >/dev/null
wait_for "SELECT count(*) FROM informer.jobs WHERE job_id IN ($ids) AND status <> 'cancelled'" 0 30 \
    && ok "  and all are cancelled" || not_ok "  and all are cancelled"
q "ALTER SYSTEM RESET informer.max_workers" >/dev/null
reload

# --- retention bounds the history
q "ALTER SYSTEM SET informer.job_retention = '1s'" >/dev/null
reload
sleep 1.2
job=$(q "SELECT informer_submit_refresh('fast')")
wait_status "$job" succeeded 20
wait_for "SELECT count(*) FROM informer.jobs WHERE job_id < $job" 0 10 \
    && ok "finished jobs older than informer.job_retention are removed" \
    || not_ok "finished jobs older than informer.job_retention are removed"

# --- clean up; the launcher stays quiet without the extension
q "ALTER SYSTEM RESET informer.job_retention" >/dev/null
q "ALTER SYSTEM RESET informer.max_workers" >/dev/null
q "DROP EXTENSION informer" >/dev/null
q "ALTER SYSTEM RESET informer.launcher_naptime" >/dev/null
reload
q "DROP VIEW slow_lg, slow2_a, slow2_b; DROP FUNCTION slow_rows; DROP TABLE lg, lg_b;
   DROP ROLE alice; DROP ROLE bob; DROP ROLE dave" >/dev/null
sleep 0.5
check "launcher logged no errors" 0 "$(launcher_errors)" ||
    grep -A3 "informer launcher ERROR" "$PG_LOG" | sed 's/^/    /'
