-- mining_gen.sql -- generated RPC chains for the pattern-mining benchmark
-- and the Figure 2 comparison (psql script, loaded into a scratch database).
--
-- nfunc functionalities f; each is a call tree under the gateway: a trunk
-- of 20-40 RPCs always taken, three optional branches of 3 RPCs, four
-- common RPCs (gw -> auth and the like) shared by all, and one of five rare
-- alternative calls in 10% of chains.  5% of chains are a single RPC of a
-- standalone job.  RPC ids: common 1..4, functionality f 1000 + 100 f + k,
-- standalone 900000 + s.

CREATE FUNCTION gen_h(a bigint, b int) RETURNS int LANGUAGE sql IMMUTABLE
    RETURN abs(hashint8(a * 1000 + b)) ;

-- gen_chains(n, nfunc): (chain_id bigint, rpcs int4[])
CREATE FUNCTION gen_chains(n int, nfunc int)
RETURNS TABLE (chain_id bigint, rpcs int4[]) LANGUAGE sql STABLE AS $$
SELECT g, CASE WHEN gen_h(g, 1) % 20 = 0 THEN ARRAY[900000 + gen_h(g, 2) % 500] ELSE ARRAY(
        SELECT base + k FROM generate_series(0, 19 + gen_h(f, 3) % 21) k
        UNION ALL
        SELECT base + 60 + 3 * b + k FROM generate_series(0, 2) b, generate_series(0, 2) k
         WHERE gen_h(g, 10 + b) % 2 = 0
        UNION ALL
        SELECT 1 + c FROM generate_series(0, 3) c WHERE gen_h(g, 20 + c) % 3 = 0
        UNION ALL
        SELECT base + 80 + gen_h(g, 30) % 5 WHERE gen_h(g, 31) % 10 = 0) END
  FROM generate_series(1, n) g,
       LATERAL (SELECT gen_h(g, 0) % nfunc AS f) ff,
       LATERAL (SELECT 1000 + 100 * ff.f AS base) bb
$$;

-- gen_rpc_name(id): the (src, dst) services of a generated RPC id
CREATE FUNCTION gen_rpc_name(id int, OUT src text, OUT dst text) LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
         WHEN id <= 4 THEN 'gw'
         WHEN id >= 900000 THEN 'job' || (id - 900000)
         WHEN k < 60 THEN CASE WHEN k = 0 THEN 'gw' ELSE fn || '.s' || (k - 1) / 2 END
         WHEN k < 80 THEN CASE WHEN (k - 60) % 3 = 0 THEN fn || '.s' || (k - 60) / 3
                               ELSE fn || '.b' || (k - 60) / 3 || '.' || (k - 60) % 3 - 1 END
         ELSE fn || '.s0' END,
       CASE
         WHEN id <= 4 THEN 'common' || id
         WHEN id >= 900000 THEN 'store' || (id - 900000)
         WHEN k < 60 THEN fn || '.s' || k
         WHEN k < 80 THEN fn || '.b' || (k - 60) / 3 || '.' || (k - 60) % 3
         ELSE fn || '.alt' || (k - 80) END
  FROM (SELECT 'f' || (id - 1000) / 100 AS fn, (id - 1000) % 100 AS k) x
$$;

-- bench_dbscan(tbl): informer_dbscan over a table of chains, timed, with
-- this backend's peak resident memory before and after
CREATE FUNCTION bench_status_kb(field text) RETURNS int LANGUAGE sql AS $$
SELECT substring(pg_read_file('/proc/self/status') from field || ':\s+(\d+) kB')::int
$$;
CREATE FUNCTION bench_dbscan(tbl text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    hwm0 int := bench_status_kb('VmHWM');
    t0 timestamptz := clock_timestamp();
    cpu0 float8 := split_part(pg_read_file('/proc/self/stat'), ' ', 14)::float8
                 + split_part(pg_read_file('/proc/self/stat'), ' ', 15)::float8;
    r record;
BEGIN
    SELECT count(*) AS chains, count(DISTINCT d.cluster_id) AS clusters,
           count(*) FILTER (WHERE d.role = 'subset') AS subsets INTO r
      FROM informer_dbscan(format('SELECT chain_id, rpcs FROM %I', tbl), 0.05, 1) d;
    RETURN json_build_object('bench', 'mining_sql', 'chains', r.chains, 'clusters', r.clusters,
        'subsets', r.subsets,
        'seconds', round(extract(epoch FROM clock_timestamp() - t0)::numeric, 3),
        'cpu_seconds', (split_part(pg_read_file('/proc/self/stat'), ' ', 14)::float8
                      + split_part(pg_read_file('/proc/self/stat'), ' ', 15)::float8 - cpu0) / 100,
        'backend_peak_kb', bench_status_kb('VmHWM'), 'backend_start_kb', hwm0,
        'backend_shared_kb', bench_status_kb('RssShmem'));
END
$$;
