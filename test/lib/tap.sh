# tap.sh -- sourced by test/shell/*.sh: TAP-style results and psql helpers.
# The caller's environment (PGHOST, PGPORT, PGUSER, PG_BIN, PG_LOG, REPO) comes
# from test/run.sh.

. "$REPO/test/lib/cluster.sh"

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }

# check NAME EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1 (expected '$2', got '$3')"; fi
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
