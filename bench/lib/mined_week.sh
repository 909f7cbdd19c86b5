# mined_week.sh -- sourced by the SQL benchmarks (bench/models.sh,
# bench/train_group_server.sh), after they cd to the repository and set
# PGPORT: a throwaway cluster (test/lib/cluster.sh) with the extension, a
# generated week of 20-minute buckets (seed 11, 504 buckets) in table mlog,
# registered as source 'b', its patterns mined and its traffic counted.
# Defines psql (quiet, unaligned, database postgres) and sql_seconds SQL:
# the seconds SQL takes in a fresh session (PGOPTIONS applies to it).
. test/lib/cluster.sh

make -s PG_CONFIG="$PG_CONFIG" >/dev/null
cluster_throwaway
psql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }

psql -c "CREATE EXTENSION informer" \
     -c "CREATE TABLE mlog AS SELECT * FROM informer_synthetic_logs(seed => 11, buckets => 504,
           services => 16, functionalities => 5, registration_rpcs => 12, chains_per_day => 20000, events => false)" \
     -c "SELECT informer_register_source('b', 'mlog', 'ts', 'chain_id', 'src', 'dst')" \
     -c "SELECT patterns FROM informer_mine_patterns('b', '2026-01-05', '2026-01-12')" \
     -c "SELECT rows_read FROM informer_refresh_traffic('b')" >/dev/null

sql_seconds() {
    psql -c "SELECT extract(epoch FROM pg_catalog.clock_timestamp())" -c "$1" \
         -c "SELECT extract(epoch FROM pg_catalog.clock_timestamp())" \
        | awk 'NR == 1 { t0 = $1 } { last = $1 } END { printf "%.4f\n", last - t0 }'
}
