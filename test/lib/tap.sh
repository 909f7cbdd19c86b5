# tap.sh -- sourced by test/shell/*.sh: TAP-style results and psql helpers.
# The caller's environment (PGHOST, PGPORT, PGUSER, PG_BIN, PG_LOG, REPO) comes
# from test/run.sh.

. "$REPO/test/lib/cluster.sh"

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }

# check NAME EXPECTED ACTUAL: status 1 when they differ, so that a caller
# can print what explains the failure
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (expected '$2', got '$3')"; return 1; fi
}

# q SQL [DB]: one value, unaligned, no headers
q() { "$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 -d "${2:-postgres}" -c "$1"; }

# wait_for SQL EXPECTED SECONDS [DB]: poll until SQL returns EXPECTED
wait_for() {
    local end=$((SECONDS + $3)) v=""
    while [ $SECONDS -lt $end ]; do
        v=$(q "$1" "${4:-postgres}" 2>/dev/null) && [ "$v" = "$2" ] && return 0
        sleep 0.2
    done
    echo "    waited ${3}s for '$1' = '$2', last got '$v'" >&2
    return 1
}

# qa ROLE SQL: one value, as ROLE
qa() { "$PG_BIN/psql" -X -At -v ON_ERROR_STOP=1 -U "$1" -d postgres -c "$2"; }

# job_field JOB EXPR: EXPR of that row of informer.jobs
job_field() { q "SELECT $2 FROM informer.jobs WHERE job_id = $1"; }

# wait_status JOB STATUS [SECONDS]: poll until the job has that status
wait_status() { wait_for "SELECT status FROM informer.jobs WHERE job_id = $1" "$2" "${3:-30}"; }

# mined_source TABLE SOURCE: a generated two-day log (seed 3, 96 buckets of
# 20 minutes) in TABLE, registered as SOURCE, its patterns mined and its
# traffic counted
mined_source() {
    q "CREATE TABLE $1 AS SELECT * FROM informer_synthetic_logs(seed => 3, buckets => 96, services => 16,
         functionalities => 5, registration_rpcs => 12, chains_per_day => 3000, events => false)" >/dev/null
    q "SELECT informer_register_source('$2', '$1', 'ts', 'chain_id', 'src', 'dst')" >/dev/null
    q "SELECT patterns FROM informer_mine_patterns('$2', '2026-01-05', '2026-01-07')" >/dev/null
    q "SELECT rows_read FROM informer_refresh_traffic('$2')" >/dev/null
}
