-- Evaluation: labels as (RPC, bucket) pairs, the seasonal-naive baseline and
-- precision/recall, on a hand-made log whose answers are worked out below.
-- In a database of its own: the tests after it count sources and RPC ids.
CREATE DATABASE informer_eval;
\c informer_eval
SET client_min_messages = warning;
SET timezone = UTC;
CREATE EXTENSION informer;
CREATE TABLE ev_log (ts timestamptz, chain_id text, src text, dst text);
SELECT informer_register_source('ev', 'ev_log', 'ts', 'chain_id', 'src', 'dst', '1 hour');
INSERT INTO informer.rpc (src, dst) VALUES ('a', 'b'), ('c', 'd'), ('e', 'f');
CREATE FUNCTION pg_temp.rid(s text) RETURNS int4 LANGUAGE sql
    RETURN (SELECT rpc_id FROM informer.rpc WHERE src = s);
-- a mining run by hand: one pattern with the three RPCs
INSERT INTO informer.mining_run (source_name, from_ts, to_ts, sample_size, seed, eps, min_pts,
                                 chains_used, duplicates, set_aside, noise, patterns)
VALUES ('ev', '2026-01-01', '2026-01-02', 1, 0, 0.05, 1, 1, 0, 0, 0, 1);
INSERT INTO informer.pattern (run_id, cluster_id, chains, rpcs)
SELECT max(run_id), 1, 1, 3 FROM informer.mining_run;
INSERT INTO informer.pattern_rpc SELECT max(pattern_id), pg_temp.rid(x) FROM informer.pattern, unnest('{a,c,e}'::text[]) x GROUP BY x;
-- hours 0..9 of 2026-01-01; a bucket without a row has 0 calls
--   a: 10 20 12 18 10 20 14 22 | 40 23
--   c:  5  5  5  -  5  5  5  5 |  5  -
--   e:  7  7  7  7  7  7  7  7 |  8  7
INSERT INTO informer.traffic
SELECT pg_temp.rid(r), timestamptz '2026-01-01 00:00+00' + h * interval '1 hour', c
  FROM (VALUES ('a', ARRAY[10, 20, 12, 18, 10, 20, 14, 22, 40, 23]),
               ('c', ARRAY[5, 5, 5, 0, 5, 5, 5, 5, 5, 0]),
               ('e', ARRAY[7, 7, 7, 7, 7, 7, 7, 7, 8, 7])) v(r, cs),
       generate_series(0, 9) h, LATERAL (SELECT cs[h + 1] AS c) x
 WHERE c > 0;
-- season 2 hours, training hours 0..7: errors of hours 2..7 against two hours earlier
--   a: 2 -2 -2 2 4 2   M = 1, Σ = sqrt(30/5) = 2.449
--   c: 0 -5 5 0 0 0    M = 0, Σ = sqrt(50/5) = 3.162
--   e: all 0           M = 0, Σ = 0 (score NULL, any change is outside the band)
-- hour 8: a = 40 against 14: score (40-14-1)/2.449 = 10.206, band 14+1±7.348
-- hour 9: a = 23 against 22: score 0; c = 0 against 5: score -1.581
SELECT rpc_id = pg_temp.rid('a') AS is_a, rpc_id = pg_temp.rid('c') AS is_c, bucket, observed, predicted,
       round(lower::numeric, 3) AS lower, round(upper::numeric, 3) AS upper,
       round(score::numeric, 3) AS score, is_anomaly
  FROM informer_seasonal_naive('ev', '2026-01-01 00:00+00', '2026-01-01 08:00+00',
                               '2026-01-01 08:00+00', '2026-01-01 10:00+00', '2 hours')
 ORDER BY rpc_id, bucket;
-- k = 1: c's drop of hour 9 (score -1.581) is flagged too
SELECT count(*) FILTER (WHERE is_anomaly) FROM informer_seasonal_naive('ev', '2026-01-01 00:00+00', '2026-01-01 08:00+00',
       '2026-01-01 08:00+00', '2026-01-01 10:00+00', '2 hours', 1);
-- labels: an attack on a at hour 8, a legitimate change of e over hours 8..9,
-- and a label on an RPC the dictionary lacks (never found)
CREATE TABLE ev_labels (kind text, src text, dst text, ts_start timestamptz, ts_end timestamptz, factor float8);
INSERT INTO ev_labels VALUES
  ('spike', 'a', 'b', '2026-01-01 08:00+00', '2026-01-01 09:00+00', 3),
  ('new_rpc', 'e', 'f', '2026-01-01 08:30+00', '2026-01-01 10:00+00', NULL),
  ('outage', 'x', 'y', '2026-01-01 09:00+00', '2026-01-01 10:00+00', 0);
SELECT kind, rpc_id = pg_temp.rid(src) AS rpc_matches, src, bucket FROM informer_eval_truth('ev', 'ev_labels') ORDER BY bucket, kind;
CREATE TABLE ev_flags AS
SELECT rpc_id, bucket FROM informer_seasonal_naive('ev', '2026-01-01 00:00+00', '2026-01-01 08:00+00',
       '2026-01-01 08:00+00', '2026-01-01 10:00+00', '2 hours') WHERE is_anomaly;
-- flagged: a@8 (attack), e@8 (change); attack pairs: a@8, x@9 -> precision 1/2, recall 1/2
SELECT * FROM informer_evaluate('ev', 'ev_labels', 'ev_flags', '2026-01-01 08:00+00', '2026-01-01 10:00+00');
-- nothing flagged: precision NULL, recall 0; a range without labels: recall NULL
DELETE FROM ev_flags;
SELECT * FROM informer_evaluate('ev', 'ev_labels', 'ev_flags', '2026-01-01 08:00+00', '2026-01-01 10:00+00');
SELECT * FROM informer_evaluate('ev', 'ev_labels', 'ev_flags', '2026-01-01 00:00+00', '2026-01-01 08:00+00');
-- NULL arguments: no rows
SELECT count(*) FROM informer_seasonal_naive('ev', NULL, '2026-01-01 08:00+00', '2026-01-01 08:00+00', '2026-01-01 10:00+00');
SELECT count(*) FROM informer_evaluate('ev', 'ev_labels', NULL, '2026-01-01', '2026-01-02');
-- bad input
SELECT * FROM informer_seasonal_naive('ev', '2026-01-01', '2026-01-01 08:00+00', '2026-01-01 08:00+00', '2026-01-01 10:00+00', '2 hours', 'NaN');
SELECT * FROM informer_seasonal_naive('ev', '2026-01-01', '2026-01-01 08:00+00', '2026-01-01 08:00+00', '2026-01-01 10:00+00', '2 hours', 0);
SELECT * FROM informer_seasonal_naive('ev', '2026-01-01', '2026-01-01 08:00+00', '2026-01-01 08:00+00', '2026-01-01 10:00+00', '90 minutes');
SELECT * FROM informer_seasonal_naive('ev', '2026-01-01', '2026-01-01 08:00+00', '2026-01-01 08:00+00', '2026-01-01 10:00+00', '1 mon');
SELECT * FROM informer_seasonal_naive('ev', '2026-01-01', '2026-01-01 03:00+00', '2026-01-01 08:00+00', '2026-01-01 10:00+00', '2 hours');
SELECT * FROM informer_seasonal_naive('ev', '2026-01-01', 'infinity', '2026-01-01 08:00+00', '2026-01-01 10:00+00');
SELECT * FROM informer_seasonal_naive('ev', '2026-01-01', '2026-01-02', '2026-01-01 10:00+00', '2026-01-01 08:00+00');
SELECT * FROM informer_seasonal_naive('nope', '2026-01-01', '2026-01-02', '2026-01-01 08:00+00', '2026-01-01 10:00+00');
CREATE TABLE ev2_log (ts timestamptz, chain_id text, src text, dst text);
SELECT informer_register_source('ev2', 'ev2_log', 'ts', 'chain_id', 'src', 'dst');
SELECT * FROM informer_seasonal_naive('ev2', '2026-01-01', '2026-01-03', '2026-01-03', '2026-01-04');
SELECT * FROM informer_eval_truth('ev', 'ev_log');
SELECT * FROM informer_evaluate('ev', 'ev_labels', 'ev_labels', '2026-01-01', '2026-01-02');
SELECT * FROM informer_evaluate('ev', 'ev_labels', 'ev_flags', '2026-01-02', '2026-01-01');
-- Injection: 12 hours, each with 4 chains of gw.a (gw.a->s.b, s.b->s.c)
-- and 4 of gw.d (gw.d->s.e)
CREATE TABLE ev3_log AS
SELECT timestamptz '2026-01-01 00:00+00' + h * interval '1 hour' + c * interval '1 minute' + j * interval '1 ms' AS ts,
       f || h || '-' || c AS chain_id, v.src, v.dst
  FROM generate_series(0, 11) h, generate_series(0, 3) c,
       (VALUES ('a', 0, 'gw.a', 's.b'), ('a', 1, 's.b', 's.c'), ('d', 0, 'gw.d', 's.e')) v(f, j, src, dst);
CREATE TABLE ev3_orig AS SELECT * FROM ev3_log;
SELECT informer_register_source('ev3', 'ev3_log', 'ts', 'chain_id', 'src', 'dst', '1 hour');
CREATE TABLE ev3_labels AS
SELECT * FROM informer_inject_anomalies('ev3', '2026-01-01 00:30+00', seed => 5, replays => 1, drops => 1,
                                        buckets => 1, replay_factor => 3, min_calls => 1);
-- windows are whole buckets after the start, two buckets apart; a replay labels
-- the functionality's RPCs with factor 3 (gw.d is untouched), a drop its RPC
SELECT kind, src, dst, extract(hour FROM ts_start) AS hour, ts_end - ts_start AS width, factor
  FROM ev3_labels ORDER BY kind, src;
-- each label's factor is what the log shows: calls in the window now over before
SELECT l.kind, l.src,
       (SELECT count(*) FROM ev3_log x WHERE (x.src, x.dst) = (l.src, l.dst) AND x.ts >= l.ts_start AND x.ts < l.ts_end)::float8
     / (SELECT count(*) FROM ev3_orig x WHERE (x.src, x.dst) = (l.src, l.dst) AND x.ts >= l.ts_start AND x.ts < l.ts_end)
       = l.factor AS factor_holds
  FROM ev3_labels l ORDER BY 1, 2;
-- nothing changed outside the labelled windows
SELECT count(*) AS changed_outside FROM (
    (SELECT * FROM ev3_log EXCEPT ALL SELECT * FROM ev3_orig)
    UNION ALL (SELECT * FROM ev3_orig EXCEPT ALL SELECT * FROM ev3_log)) d
 WHERE NOT EXISTS (SELECT FROM ev3_labels l WHERE d.ts >= l.ts_start AND d.ts < l.ts_end);
-- the same seed on the same log gives the same injections
TRUNCATE ev3_log; INSERT INTO ev3_log SELECT * FROM ev3_orig;
SELECT count(*) AS differing FROM (
    (SELECT * FROM informer_inject_anomalies('ev3', '2026-01-01 00:30+00', seed => 5, replays => 1, drops => 1,
                                             buckets => 1, replay_factor => 3, min_calls => 1)
     EXCEPT SELECT * FROM ev3_labels)) d;
-- bad input
SELECT * FROM informer_inject_anomalies('ev3', '2026-01-01', replays => 5, drops => 5, buckets => 1, min_calls => 1);
SELECT * FROM informer_inject_anomalies('ev3', '2026-01-01', replays => 0, drops => 0);
SELECT * FROM informer_inject_anomalies('ev3', '2026-01-01', replays => -1);
SELECT * FROM informer_inject_anomalies('ev3', '2026-01-01', drop_keep => 'NaN');
SELECT * FROM informer_inject_anomalies('ev3', '2026-01-01', buckets => 0);
SELECT * FROM informer_inject_anomalies('ev3', '2026-01-01', replays => 1, drops => 0, buckets => 1, min_calls => 10);
SELECT * FROM informer_inject_anomalies('ev3', '2026-01-01', replays => 0, drops => 1, buckets => 1, min_calls => 10);
-- only windows with at least min_calls calls are used (each hour here has 12)
SELECT * FROM informer_inject_anomalies('ev3', '2026-01-01', replays => 1, drops => 0, buckets => 1, min_calls => 13);
SELECT count(*) FROM informer_inject_anomalies('ev3', NULL);
\c contrib_regression
DROP DATABASE informer_eval;
