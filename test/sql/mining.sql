-- Mining patterns from a registered source, their RPC graphs and supports,
-- and the connected-components baseline.

CREATE TABLE rpc_before AS SELECT rpc_id FROM informer.rpc;
CREATE TABLE shop_log (ts timestamptz, trace text, caller text, callee text);
INSERT INTO shop_log
SELECT '2026-03-01 10:00'::timestamptz + t.n * interval '1 minute', t.trace, r.caller, r.callee
  FROM (VALUES (1, 'c1'), (2, 'c2'), (3, 'c3'), (4, 'c4'), (5, 's1'), (6, 's2'), (7, 'a1')) t(n, trace)
  JOIN (VALUES
        ('c', 'gw', 'cart'), ('c', 'cart', 'db'), ('c', 'cart', 'pay'), ('c', 'pay', 'bank'),
        ('c4', 'gw', 'cart'), ('c4', 'cart', 'db'), ('c4', 'cart', 'pay'),
        ('s', 'gw', 'search'), ('s', 'search', 'db'), ('s', 'search', 'index'),
        ('a', 'gw', 'search'), ('a', 'search', 'db'), ('a', 'search', 'ads')) r(kind, caller, callee)
    ON r.kind = CASE WHEN t.trace = 'c4' THEN 'c4' ELSE left(t.trace, 1) END
   AND (t.trace <> 'c4' OR r.kind = 'c4');
-- c1..c3 are checkouts (c4 lacks the payment: a subset), s1, s2 searches,
-- a1 a search with ads; one more checkout on another day is out of range
INSERT INTO shop_log VALUES ('2026-03-05 10:00', 'late', 'gw', 'cart'), ('2026-03-05 10:00', 'late', 'cart', 'db');
SELECT trace, count(*) FROM shop_log GROUP BY trace ORDER BY trace;
SELECT informer_register_source('shop', 'shop_log', 'ts', 'trace', 'caller', 'callee');

-- eps 0.05: checkout, search and search-with-ads are three patterns
SELECT patterns, chains_used, duplicates, set_aside, noise, pattern_rpcs
  FROM informer_mine_patterns('shop', '2026-03-01', '2026-03-02', eps => 0.05);
-- eps 0.34 joins the two searches (d = 1 - 2/3)
SELECT patterns, chains_used, duplicates, set_aside, noise, pattern_rpcs
  FROM informer_mine_patterns('shop', '2026-03-01', '2026-03-02', eps => 0.34);
SELECT m.eps, p.cluster_id, p.chains, p.rpcs,
       string_agg(r.src || '>' || r.dst, ' ' ORDER BY r.src, r.dst) AS pattern
  FROM informer.mining_run m JOIN informer.pattern p USING (run_id)
  JOIN informer.pattern_rpc pr USING (pattern_id) JOIN informer.rpc r USING (rpc_id)
 WHERE m.source_name = 'shop'
 GROUP BY m.run_id, m.eps, p.cluster_id, p.chains, p.rpcs ORDER BY m.run_id, p.cluster_id;
SELECT source_name, from_ts, to_ts, sample_size, seed, eps, min_pts, patterns FROM informer.mining_run
 WHERE source_name = 'shop' ORDER BY run_id;

-- deterministic sampling: the 3 chain ids with the lowest hash under the
-- seed, whatever the row order; the same call gives the same sample
SELECT seed, array_agg(c.chain_id ORDER BY c.chain_id) AS sample,
       array_agg(c.chain_id ORDER BY c.chain_id) = (
           SELECT array_agg(trace ORDER BY trace) FROM (
               SELECT trace FROM (SELECT DISTINCT trace FROM shop_log WHERE ts < '2026-03-02') d
                ORDER BY hashtextextended(trace, seed), trace LIMIT 3) x) AS lowest_hashes
  FROM unnest('{0, 7, 12345}'::int8[]) seed,
       LATERAL informer_sample_chains('shop', '2026-03-01', '2026-03-02', 3, seed) c
 GROUP BY seed ORDER BY seed;
CREATE TABLE shop_log_shuffled AS SELECT * FROM shop_log ORDER BY md5(caller || callee || trace);
SELECT informer_register_source('shop2', 'shop_log_shuffled', 'ts', 'trace', 'caller', 'callee');
SELECT (SELECT array_agg(chain_id || ':' || rpcs::text) FROM informer_sample_chains('shop', '2026-03-01', '2026-03-02', 4, 99))
     = (SELECT array_agg(chain_id || ':' || rpcs::text) FROM informer_sample_chains('shop2', '2026-03-01', '2026-03-02', 4, 99))
       AS same_sample_in_any_row_order;
SELECT informer_drop_source('shop2');
SELECT patterns, chains_used FROM informer_mine_patterns('shop', '2026-03-01', '2026-03-02', 3, seed => 7);

-- Algorithm 1 on the checkout pattern, and its random-walk supports
CREATE VIEW shop_rpc AS SELECT rpc_id, src || '>' || dst AS name FROM informer.rpc;
CREATE TABLE shop_checkout AS
SELECT p.pattern_id FROM informer.pattern p JOIN informer.mining_run m USING (run_id)
 WHERE m.source_name = 'shop' AND m.eps = 0.05 AND p.rpcs = 4 ORDER BY m.run_id LIMIT 1;
SELECT f.name AS from_rpc, t.name AS to_rpc, g.weight
  FROM shop_checkout c, informer_rpc_graph(c.pattern_id) g
  JOIN shop_rpc f ON f.rpc_id = g.from_rpc JOIN shop_rpc t ON t.rpc_id = g.to_rpc
 ORDER BY 1, 2;
SELECT s.support, r.name AS row_rpc, k.name AS col_rpc, round(s.value::numeric, 6) AS value
  FROM shop_checkout c, informer_rpc_supports(c.pattern_id) s
  JOIN shop_rpc r ON r.rpc_id = s.row_rpc JOIN shop_rpc k ON k.rpc_id = s.col_rpc
 ORDER BY 1, 2, 3;

-- the baseline: the Algorithm 1 graph of all the shop's RPCs is one component
SELECT count(DISTINCT component_id) AS components, count(*) AS rpcs
  FROM informer_rpc_components((SELECT array_agg(rpc_id) FROM informer.rpc
                                 WHERE src IN ('gw', 'cart', 'pay', 'search')));
SELECT r.name, c.component_id FROM informer_rpc_components('{}') c JOIN shop_rpc r USING (rpc_id);
SELECT count(*) AS separate_components FROM (
    SELECT DISTINCT component_id FROM informer_rpc_components(
        (SELECT array_agg(rpc_id) FROM informer.rpc WHERE (src, dst) IN (('gw', 'cart'), ('search', 'index'))))) c;

-- bad input
SELECT * FROM informer_mine_patterns('nope');
SELECT * FROM informer_mine_patterns('shop', '2026-03-02', '2026-03-01');
SELECT * FROM informer_mine_patterns('shop', NULL, '2026-03-01');
SELECT * FROM informer_mine_patterns('shop', '2026-03-01', '2026-03-02', 0);
SELECT * FROM informer_sample_chains('shop', '2026-03-01', '2026-03-02', NULL);
SELECT * FROM informer_mine_patterns('shop', '2026-03-01', '2026-03-02', eps => 2);
SELECT * FROM informer_mine_patterns('shop', '2026-03-01', '2026-03-02', min_pts => 0);
SELECT * FROM informer_rpc_graph(-1);
SELECT * FROM informer_rpc_supports(-1);
SELECT count(*) AS strict_null FROM informer_rpc_graph(NULL);
-- an empty range mines nothing
SELECT patterns, chains_used, pattern_rpcs FROM informer_mine_patterns('shop', '2027-01-01', '2027-01-02');
-- a graph bigger than work_mem is refused: a pattern of 100 RPCs needs
-- 3 matrices of 100 x 100 floats (118 kB)
INSERT INTO informer.rpc (src, dst) SELECT 'big' || g, 'big' || g + 1 FROM generate_series(1, 100) g;
INSERT INTO informer.mining_run (source_name, from_ts, to_ts, sample_size, seed, eps, min_pts,
                                 chains_used, duplicates, set_aside, noise, patterns)
VALUES ('big', '2026-01-01', '2026-01-02', 1, 0, 0.05, 1, 1, 0, 0, 0, 1);
INSERT INTO informer.pattern (run_id, cluster_id, chains, rpcs)
SELECT run_id, 1, 1, 100 FROM informer.mining_run WHERE source_name = 'big';
INSERT INTO informer.pattern_rpc SELECT p.pattern_id, r.rpc_id
  FROM informer.pattern p JOIN informer.mining_run m USING (run_id), informer.rpc r
 WHERE m.source_name = 'big' AND r.src LIKE 'big%';
SET work_mem = '64kB';
SELECT count(*) FROM informer.pattern p JOIN informer.mining_run m USING (run_id), informer_rpc_supports(p.pattern_id)
 WHERE m.source_name = 'big';
RESET work_mem;
-- a chain 'big1' -> 'big2' -> ... is a path: 99 edges of weight 1, nothing else
SELECT count(*), sum(g.weight) FROM informer.pattern p JOIN informer.mining_run m USING (run_id), informer_rpc_graph(p.pattern_id) g
 WHERE m.source_name = 'big';

-- clean up, the RPC dictionary included
DELETE FROM informer.mining_run WHERE source_name IN ('shop', 'big');
DELETE FROM informer.rpc WHERE rpc_id NOT IN (SELECT rpc_id FROM rpc_before);
SELECT informer_drop_source('shop');
DROP VIEW shop_rpc;
DROP TABLE shop_log, shop_log_shuffled, shop_checkout, rpc_before;
