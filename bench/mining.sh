#!/usr/bin/env bash
# mining.sh -- pattern-mining benchmark; prints JSON lines.
#
#   bash bench/mining.sh [SIZES]     default SIZES="10000 100000 1000000"
#
# 1. core: dbscan_run on generated chains, and the exact all-pairs DBSCAN
#    on the same chains (sizes up to ALL_PAIRS_MAX, default 10000), with
#    a check that both give the same partition;
# 2. SQL: informer_dbscan() over a table of generated chains in a throwaway
#    cluster, reading the input included, one fresh backend per size, its
#    time and peak resident memory (VmHWM, shared buffers it touched
#    included); the plain SQL all-pairs neighbour join is timed at 10^4
#    (about 3 minutes; ALL_PAIRS_MAX=0 skips both all-pairs baselines);
# 3. Figure 2 of the paper: pattern sizes of DBSCAN and of connected
#    components on 10^4 generated chains turned into a registered log.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-${1:-10000 100000 1000000}}
ALL_PAIRS_MAX=${ALL_PAIRS_MAX:-10000}
. test/lib/cluster.sh

make -s PG_CONFIG="$PG_CONFIG" >/dev/null && make -s core PG_CONFIG="$PG_CONFIG" >/dev/null
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Isrc/core -Itest/core -o build/mining_core \
    bench/mining_core.c test/core/test_dbscan_ref.c build/libinformer_core.a -lm

for n in $SIZES; do
    build/mining_core "$n" "$([ "$n" -le "$ALL_PAIRS_MAX" ] && echo 1 || echo 0)"
done

PGPORT=${PGPORT:-54391}
cluster_throwaway
psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
psql -c "CREATE EXTENSION informer" -f bench/mining_gen.sql >/dev/null

for n in $SIZES; do
    psql -c "CREATE TABLE chains_$n AS SELECT * FROM gen_chains($n, 200)" -c "VACUUM ANALYZE chains_$n"
    # a fresh backend per run, so its peak memory is this run's
    psql -At -c "SET work_mem = '2GB'" -c "SELECT bench_dbscan('chains_$n')"
done

if [[ " $SIZES " == *" 10000 "* ]] && [ "$ALL_PAIRS_MAX" -ge 10000 ]; then
    psql -At <<'SQL'
CREATE TEMP TABLE t AS SELECT pg_catalog.clock_timestamp() AS t0;
CREATE TEMP TABLE r AS SELECT count(*) AS pairs FROM chains_10000 a JOIN chains_10000 b
    ON a.chain_id < b.chain_id AND informer_overlap_distance(a.rpcs, b.rpcs) <= 0.05;
SELECT json_build_object('bench', 'mining_sql_all_pairs_join', 'chains', 10000, 'pairs_within_eps', r.pairs,
    'seconds', round(extract(epoch FROM pg_catalog.clock_timestamp() - t.t0)::numeric, 3))
  FROM r, t;
SQL
fi

# Figure 2: 10^4 chains as an RPC log, mined; pattern sizes of DBSCAN and of
# connected components of the Algorithm 1 graph of the same RPCs
psql -At <<'SQL'
SET work_mem = '64MB';
CREATE TABLE fig_log AS
SELECT '2026-01-01'::timestamptz + c.chain_id * interval '1 second' AS ts, c.chain_id AS trace, n.src, n.dst
  FROM gen_chains(10000, 200) c, unnest(c.rpcs) id, gen_rpc_name(id) n;
DO $$ BEGIN PERFORM informer_register_source('fig', 'fig_log', 'ts', 'trace', 'src', 'dst'); END $$;
CREATE TABLE fig_run AS SELECT * FROM informer_mine_patterns('fig', '2026-01-01', '2026-01-02');
CREATE TABLE fig_sizes AS
SELECT 'dbscan' AS method, rpcs FROM informer.pattern WHERE run_id = (SELECT run_id FROM fig_run)
UNION ALL
SELECT 'components', count(*) FROM informer_rpc_components(
    (SELECT array_agg(rpc_id) FROM informer.rpc)) GROUP BY component_id;
SELECT json_build_object('bench', 'mining_figure2', 'method', method, 'patterns', sum(k),
    'rpcs_in_patterns', sum(rpcs), 'largest', max(hi),
    'histogram', json_object_agg(bucket, k ORDER BY lo))
  FROM (SELECT method, CASE WHEN rpcs = 1 THEN '1' WHEN rpcs <= 10 THEN '2-10' WHEN rpcs <= 50 THEN '11-50'
                            WHEN rpcs <= 100 THEN '51-100' WHEN rpcs <= 1000 THEN '101-1000' ELSE '>1000' END AS bucket,
               min(rpcs) AS lo, max(rpcs) AS hi, count(*) AS k, sum(rpcs) AS rpcs
          FROM fig_sizes GROUP BY 1, 2) h
 GROUP BY method ORDER BY method;
SELECT json_build_object('bench', 'mining_figure2_run', 'chains_used', chains_used, 'duplicates', duplicates,
    'set_aside', set_aside, 'patterns', patterns) FROM fig_run;
SQL
