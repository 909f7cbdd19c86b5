-- informer_chain_agg: sorted, duplicate-free chain sets; the same answer
-- with and without a parallel (partial) plan.

SELECT informer_chain_agg(x) FROM unnest('{5,3,5,1,NULL,3}'::int4[]) x;
SELECT informer_chain_agg(x) IS NULL AS empty_group FROM unnest('{}'::int4[]) x;
SELECT informer_chain_agg(x) IS NULL AS only_nulls FROM unnest('{NULL,NULL}'::int4[]) x;

-- 10^6 ids in one group, 1000 distinct
SELECT cardinality(informer_chain_agg(g % 1000)) AS distinct_ids,
       (informer_chain_agg(g % 1000))[1] AS first, (informer_chain_agg(g % 1000))[1000] AS last
  FROM generate_series(1, 1000000) g;

-- many chains: compare against array_agg(DISTINCT ... ORDER BY ...)
SELECT setseed(0.7);
CREATE TABLE calls AS
SELECT (random() * 2000)::int AS chain, (random() * 300)::int AS rpc
  FROM generate_series(1, 200000);
ANALYZE calls;

CREATE TEMP TABLE serial_result AS
SELECT chain, informer_chain_agg(rpc) AS rpcs FROM calls GROUP BY chain;

SELECT count(*) AS chains,
       count(*) FILTER (WHERE s.rpcs IS DISTINCT FROM r.rpcs) AS mismatches
  FROM serial_result s
  JOIN (SELECT chain, array_agg(DISTINCT rpc ORDER BY rpc) AS rpcs FROM calls GROUP BY chain) r
 USING (chain);

-- force a parallel plan
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;

EXPLAIN (COSTS OFF) SELECT informer_chain_agg(rpc) FROM calls;
SELECT informer_chain_agg(rpc) = (SELECT array_agg(DISTINCT rpc ORDER BY rpc) FROM calls) AS whole_table_same
  FROM calls;

SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT chain, informer_chain_agg(rpc) FROM calls GROUP BY chain;
SELECT count(*) AS parallel_mismatches
  FROM (SELECT chain, informer_chain_agg(rpc) AS rpcs FROM calls GROUP BY chain) p
  FULL JOIN serial_result s USING (chain)
 WHERE p.rpcs IS DISTINCT FROM s.rpcs;

RESET ALL;
DROP TABLE calls;
