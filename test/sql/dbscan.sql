-- informer_dbscan: DBSCAN of chains under the overlap distance, checked by
-- hand, against an all-pairs reference in plain SQL, and on bad input.

CREATE TABLE dbscan_chains (ord int, chain_id text, rpcs int4[]);
INSERT INTO dbscan_chains VALUES
    (1, 'a1', '{1,2,3,4}'),      -- a1 ~ a2 (d = 0.25)
    (2, 'a2', '{1,2,3,5}'),
    (3, 'a1-again', '{4,3,2,1}'), -- same set as a1: a duplicate
    (4, 'part', '{2,3}'),         -- a strict subset of a1: set aside
    (5, 'b', '{7,8,9}'),          -- far from everything
    (6, 'empty', '{}'),           -- no RPCs: noise
    (7, 'none', NULL);            -- no RPCs: noise

-- eps 0.25: a1, a2 and the duplicate form cluster 1, b cluster 2
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_chains ORDER BY ord', 0.25);
-- eps 0.2 separates a1 and a2; with min_pts 3, a1 (with its copy) and a2 stay core, b is noise
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_chains ORDER BY ord', 0.2);
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_chains ORDER BY ord', 0.25, 3);
-- min_pts larger than the input: all noise
SELECT role, count(*), count(cluster_id) FROM informer_dbscan(
    'SELECT chain_id, rpcs FROM dbscan_chains', 0.5, 100) GROUP BY role ORDER BY role;
-- chain ids of any type are shown as text; defaults are eps 0.05, min_pts 1
SELECT * FROM informer_dbscan($$SELECT ord, rpcs FROM dbscan_chains WHERE ord IN (1, 2, 5) ORDER BY ord$$);

-- pairs exactly on eps are neighbours: 1 - 19/20 = 0.05 (0.05000000000000004 in float8)
SELECT informer_overlap_distance(a, b) AS float_distance, informer_overlap_distance(a, b) <= 0.05 AS naive
  FROM (SELECT array(SELECT generate_series(1, 20)) AS a, array(SELECT generate_series(2, 21)) AS b) x;
SELECT chain_id, cluster_id FROM informer_dbscan($$
    SELECT 'x', array(SELECT generate_series(1, 20)) UNION ALL
    SELECT 'y', array(SELECT generate_series(2, 21))$$, 0.05) ORDER BY 1;
SELECT chain_id, cluster_id FROM informer_dbscan($$
    SELECT 'x', array(SELECT generate_series(1, 20)) UNION ALL
    SELECT 'y', array(SELECT generate_series(3, 22))$$, 0.05) ORDER BY 1;
-- eps = 0 joins only identical chains (subsets are set aside first)
SELECT * FROM informer_dbscan($$VALUES ('p', '{1,2}'::int4[]), ('q', '{2,1}'), ('r', '{2,3}')$$, 0);
-- all identical, all disjoint, single-RPC chains, eps near 1
SELECT * FROM informer_dbscan($$SELECT g::text, '{5,6}'::int4[] FROM generate_series(1, 3) g$$, 0.05, 3);
SELECT * FROM informer_dbscan($$SELECT g::text, ARRAY[g] FROM generate_series(1, 3) g$$, 0.99);
SELECT * FROM informer_dbscan($$VALUES ('s1', '{1}'::int4[]), ('s2', '{2}'), ('s12', '{1,2}'), ('s3', '{3}')$$);
SELECT * FROM informer_dbscan($$VALUES ('u', '{1,2,3}'::int4[]), ('v', '{3,4,5}'), ('w', '{6}')$$, 0.999999999);
-- an empty input gives no rows
SELECT count(*) FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_chains WHERE false');

-- All-pairs reference in plain SQL on random chains (min_pts 1): chains
-- that are not a strict subset of another are linked when d <= eps; the
-- clusters are the connected components, numbered by first chain.
CREATE TABLE dbscan_random AS
SELECT g AS ord, 'c' || g AS chain_id,
       (SELECT array_agg(DISTINCT 1 + (abs(hashint4(g * 31 + k)) % 25)) FROM generate_series(1, 2 + g % 5) k) AS rpcs
  FROM generate_series(1, 200) g;
-- generated chains: 6 functionalities, each a trunk of 20-25 RPCs, three
-- optional branches of 3 RPCs, 4 common RPCs and rare alternative calls
CREATE TABLE dbscan_generated AS
SELECT g AS ord, 'g' || g AS chain_id, ARRAY(
        SELECT base + k FROM generate_series(0, 19 + f) k
        UNION ALL
        SELECT base + 60 + 3 * b + k FROM generate_series(0, 2) b, generate_series(0, 2) k
         WHERE abs(hashint4(g * 10 + b)) % 2 = 0
        UNION ALL
        SELECT 1 + c FROM generate_series(0, 3) c WHERE abs(hashint4(g * 10 + 5 + c)) % 3 = 0
        UNION ALL
        SELECT base + 80 + abs(hashint4(-g)) % 3 WHERE abs(hashint4(-g - 1000)) % 4 = 0) AS rpcs
  FROM generate_series(1, 300) g, LATERAL (SELECT abs(hashint4(g + 77)) % 6 AS f) ff,
       LATERAL (SELECT 1000 + 100 * ff.f AS base) bb;
CREATE TABLE dbscan_ref (tbl text, eps float8, chain_id text, cluster_id int, role text);
CREATE FUNCTION dbscan_reference(tbl regclass, eps float8) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format($q$CREATE TEMP TABLE ref_pt AS  -- points: not a strict subset of another chain
        SELECT c.ord, c.rpcs, c.ord AS lbl FROM %1$s c
         WHERE NOT EXISTS (SELECT FROM %1$s o WHERE c.rpcs <@ o.rpcs AND NOT o.rpcs <@ c.rpcs)$q$, tbl);
    CREATE TEMP TABLE ref_edge AS     -- all pairs within eps
    SELECT a.ord AS x, b.ord AS y FROM ref_pt a JOIN ref_pt b
        ON informer_overlap_distance(a.rpcs, b.rpcs) <= eps + 1e-12;
    LOOP                              -- each point takes the lowest label it reaches
        UPDATE ref_pt p SET lbl = m.lbl
          FROM (SELECT e.x, min(q.lbl) AS lbl FROM ref_edge e JOIN ref_pt q ON q.ord = e.y GROUP BY e.x) m
         WHERE m.x = p.ord AND m.lbl < p.lbl;
        EXIT WHEN NOT FOUND;
    END LOOP;
    EXECUTE format($q$INSERT INTO dbscan_ref
        SELECT %2$L, $1, c.chain_id,
               CASE WHEN p.lbl IS NOT NULL THEN dense_rank() OVER (ORDER BY p.lbl)::int END,
               CASE WHEN EXISTS (SELECT FROM %1$s o WHERE o.ord < c.ord AND o.rpcs <@ c.rpcs AND c.rpcs <@ o.rpcs)
                    THEN 'duplicate' WHEN p.lbl IS NULL THEN 'subset' ELSE 'core' END
          FROM %1$s c LEFT JOIN ref_pt p ON p.ord = c.ord$q$, tbl, tbl::text) USING eps;
    DROP TABLE ref_pt, ref_edge;
END
$$;
SELECT count(*) AS reference_runs FROM unnest('{dbscan_random, dbscan_generated}'::regclass[]) t,
       unnest('{0, 0.05, 0.2, 0.3, 0.5}'::float8[]) e, LATERAL dbscan_reference(t, e);
CREATE TABLE dbscan_ours AS
SELECT r.tbl, r.eps, d.* FROM (SELECT DISTINCT tbl, eps FROM dbscan_ref) r,
       LATERAL informer_dbscan(format('SELECT chain_id, rpcs FROM %s ORDER BY ord', r.tbl), r.eps) d;
-- identical partitions and roles
SELECT r.tbl, r.eps, count(*) AS chains, count(DISTINCT r.cluster_id) AS clusters,
       count(*) FILTER (WHERE d.cluster_id IS DISTINCT FROM r.cluster_id OR d.role <> r.role) AS differences
  FROM dbscan_ref r JOIN dbscan_ours d USING (tbl, eps, chain_id)
 GROUP BY r.tbl, r.eps ORDER BY r.tbl, r.eps;
-- identical patterns: the union of each cluster's chains
CREATE VIEW dbscan_all AS SELECT 'dbscan_random' AS tbl, * FROM dbscan_random
                          UNION ALL SELECT 'dbscan_generated', * FROM dbscan_generated;
SELECT tbl, eps, count(*) AS patterns, count(*) FILTER (WHERE o.rpcs IS DISTINCT FROM r.rpcs) AS differences,
       max(cardinality(r.rpcs)) AS largest
  FROM (SELECT tbl, eps, cluster_id, informer_chain_agg(x) AS rpcs FROM dbscan_ref JOIN dbscan_all USING (tbl, chain_id),
               unnest(rpcs) x WHERE cluster_id IS NOT NULL GROUP BY 1, 2, 3) r
  FULL JOIN (SELECT tbl, eps, cluster_id, informer_chain_agg(x) AS rpcs FROM dbscan_ours JOIN dbscan_all USING (tbl, chain_id),
               unnest(rpcs) x WHERE cluster_id IS NOT NULL GROUP BY 1, 2, 3) o USING (tbl, eps, cluster_id)
 GROUP BY tbl, eps ORDER BY tbl, eps;
-- core points with min_pts 4: chains with at least 4 neighbours (themselves and copies included)
SELECT count(*) AS disagreements FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_random ORDER BY ord', 0.5, 4) d
  JOIN dbscan_random c USING (chain_id)
 WHERE d.role IN ('core', 'border', 'noise')
   AND (d.role = 'core') <> ((SELECT count(*) FROM dbscan_random o
                               WHERE informer_overlap_distance(c.rpcs, o.rpcs) <= 0.5 + 1e-12
                                 AND NOT EXISTS (SELECT FROM dbscan_random s WHERE o.rpcs <@ s.rpcs AND NOT s.rpcs <@ o.rpcs)) >= 4);

-- the window form gives the same clusters, per partition
SELECT chain_id, informer_dbscan_cluster(rpcs, 0.25, 1) OVER (ORDER BY ord) FROM dbscan_chains ORDER BY ord;
SELECT count(*) AS chains, count(*) FILTER (WHERE w.c IS DISTINCT FROM d.cluster_id) AS differences
  FROM (SELECT chain_id, informer_dbscan_cluster(rpcs, 0.3, 2) OVER (ORDER BY ord) AS c FROM dbscan_random) w
  JOIN informer_dbscan('SELECT chain_id, rpcs FROM dbscan_random ORDER BY ord', 0.3, 2) d USING (chain_id);
SELECT count(*) AS chains, count(*) FILTER (WHERE w.c IS DISTINCT FROM d.cluster_id) AS differences
  FROM (SELECT chain_id, ord % 2 AS half,
               informer_dbscan_cluster(rpcs, 0.2, 1) OVER (PARTITION BY ord % 2 ORDER BY ord) AS c
          FROM dbscan_random) w
  JOIN (SELECT 0 AS half, * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_random WHERE ord % 2 = 0 ORDER BY ord', 0.2)
        UNION ALL
        SELECT 1, * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_random WHERE ord % 2 = 1 ORDER BY ord', 0.2)) d
    USING (half, chain_id);
SELECT informer_dbscan_cluster(rpcs, NULL, 1) OVER () FROM dbscan_chains;
SELECT informer_dbscan_cluster(rpcs, 0.05, -1) OVER () FROM dbscan_chains;
SELECT informer_dbscan_cluster(rpcs, 1.5, 1) OVER () FROM dbscan_chains;

-- bad input
SELECT * FROM informer_dbscan(NULL);
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_chains', NULL);
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_chains', 0.05, NULL);
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_chains', -0.1);
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_chains', 1);
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_chains', 'NaN');
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_chains', 0.05, 0);
SELECT * FROM informer_dbscan('SELECT chain_id FROM dbscan_chains');
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs::int8[] FROM dbscan_chains');
SELECT * FROM informer_dbscan($$SELECT NULL::text, '{1}'::int4[]$$);
SELECT * FROM informer_dbscan($$SELECT 'x', '{1,NULL}'::int4[]$$);
SELECT * FROM informer_dbscan($$SELECT 'x', '{{1,2},{3,4}}'::int4[]$$);
SELECT * FROM informer_dbscan('DELETE FROM dbscan_chains');
SELECT * FROM informer_dbscan('SELEKT 1');
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs FROM no_such_table');
SELECT count(*) FROM dbscan_chains;

-- the query runs with the caller's privileges
CREATE ROLE dbscan_reader;
SET ROLE dbscan_reader;
SELECT * FROM informer_dbscan('SELECT chain_id, rpcs FROM dbscan_chains');
RESET ROLE;
DROP ROLE dbscan_reader;

-- memory beyond work_mem is refused with the numbers
SET work_mem = '64kB';
SELECT count(*) FROM informer_dbscan($$SELECT g, ARRAY[g, g + 1, g + 2] FROM generate_series(1, 20000) g$$);
RESET work_mem;

-- a long run is cancelled by statement_timeout inside the clustering loop
-- (every chain shares RPC 0, so eps 0.99 makes all pairs candidates)
SET work_mem = '64MB';
SET statement_timeout = '300ms';
SELECT count(*) FROM informer_dbscan($$SELECT g, ARRAY[0, g, g + 100000] FROM generate_series(1, 60000) g$$, 0.99);
RESET statement_timeout;
RESET work_mem;

DROP FUNCTION dbscan_reference(regclass, float8);
DROP VIEW dbscan_all;
DROP TABLE dbscan_chains, dbscan_random, dbscan_generated, dbscan_ref, dbscan_ours;
