#!/usr/bin/env bash
# generator.sh -- speed of the synthetic RPC log generator, as JSON lines.
#
#   bash bench/generator.sh [REPEATS]
#
# Starts a throwaway cluster (test/lib/cluster.sh) and times, REPEATS times
# each (default 3), in the same run:
#   baseline_insert    INSERT ... SELECT of rows of the same shape (timestamptz,
#                      16-hex-digit chain id, two service.method names) computed
#                      from generate_series
#   floor_insert       INSERT ... SELECT of one constant row, generate_series
#                      times: the least an INSERT of that many rows costs here
#   generator_insert   INSERT ... SELECT * FROM informer_synthetic_logs()
#   *_unlogged         the floor and the generator into an UNLOGGED table (no WAL)
#   generator_select   SELECT count(*) FROM informer_synthetic_logs(): no table
#   generator_core     the core library alone (bench/generator_core.c)
# with the paper-shaped defaults (1008 buckets, about 4.4 million rows).
# Each line: {"bench","case","repeat","rows","seconds","rows_per_s",...}.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
REPEATS=${1:-3}
. test/lib/cluster.sh

make -s PG_CONFIG="$PG_CONFIG" >/dev/null
make -s core PG_CONFIG="$PG_CONFIG" >/dev/null
WORK=$(mktemp -d /tmp/informer-bench.XXXXXX)
trap 'cluster_stop; rm -rf "$WORK"' EXIT
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Isrc/core -o "$WORK/generator_core" \
    bench/generator_core.c build/libinformer_core.a -lm
export PGPORT=${PGPORT:-54377}
cluster_stage "$WORK" >/dev/null
cluster_start "$WORK"
psql() { "$PG_BIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d postgres "$@"; }

machine="$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
psql <<'SQL'
CREATE EXTENSION informer;
CREATE TABLE rpc_log (ts timestamptz, chain_id text, src text, dst text);
CREATE UNLOGGED TABLE rpc_log_unlogged (LIKE rpc_log);
CREATE FUNCTION bench(label text, query text, repeat int) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    n bigint;
    secs float8;
BEGIN
    TRUNCATE rpc_log, rpc_log_unlogged;
    t0 := clock_timestamp();
    IF query LIKE 'SELECT count%' THEN
        EXECUTE query INTO n;
    ELSE
        EXECUTE query;
        GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    secs := extract(epoch FROM clock_timestamp() - t0);
    RETURN json_build_object('bench', 'generator', 'case', label, 'repeat', repeat, 'rows', n,
                             'seconds', round(secs::numeric, 3),
                             'rows_per_s', round(n / secs));
END
$$;
SQL

N=$(psql -c "SELECT count(*) FROM informer_synthetic_logs()")
for r in $(seq "$REPEATS"); do
    psql -c "SELECT bench('baseline_insert', 'INSERT INTO rpc_log SELECT ''2026-01-05 00:00+00''::timestamptz + i * interval ''250 microseconds'', lpad(to_hex(i), 16, ''0''), ''gateway.register'', ''captcha.verify'' FROM generate_series(1, $N) i', $r)"
    psql -c "SELECT bench('floor_insert', 'INSERT INTO rpc_log SELECT ''2026-01-05 00:00+00''::timestamptz, ''00000000075bcd15'', ''gateway.register'', ''captcha.verify'' FROM generate_series(1, $N) i', $r)"
    psql -c "SELECT bench('generator_insert', 'INSERT INTO rpc_log SELECT * FROM informer_synthetic_logs()', $r)"
    psql -c "SELECT bench('floor_insert_unlogged', 'INSERT INTO rpc_log_unlogged SELECT ''2026-01-05 00:00+00''::timestamptz, ''00000000075bcd15'', ''gateway.register'', ''captcha.verify'' FROM generate_series(1, $N) i', $r)"
    psql -c "SELECT bench('generator_insert_unlogged', 'INSERT INTO rpc_log_unlogged SELECT * FROM informer_synthetic_logs()', $r)"
    psql -c "SELECT bench('generator_select', 'SELECT count(*) FROM informer_synthetic_logs()', $r)"
    "$WORK/generator_core" "$r"
done | sed "s/}\$/, \"machine\": \"$machine\"}/"
