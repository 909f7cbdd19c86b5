-- The synthetic RPC log generator: determinism, order, chain subsets,
-- labelled events visible in per-bucket counts, defaults shaped like the
-- paper, and parameter errors.
SET timezone = 'UTC';

-- a small run used throughout
CREATE TEMP TABLE g AS
SELECT * FROM informer_synthetic_logs(seed => 7, buckets => 48, functionalities => 12,
                                      chains_per_day => 20000, sampling_rate => 1);
CREATE TEMP TABLE g_quiet AS
SELECT * FROM informer_synthetic_logs(seed => 7, buckets => 48, functionalities => 12,
                                      chains_per_day => 20000, sampling_rate => 1, events => false);
SELECT count(*) > 100000 AS many_rows, count(DISTINCT chain_id) > 10000 AS many_chains FROM g;

-- deterministic: a second call gives the same rows in the same order; another seed does not
SELECT (SELECT md5(string_agg(ts || chain_id || src || dst, ',')) FROM g) =
       (SELECT md5(string_agg(ts || chain_id || src || dst, ','))
          FROM informer_synthetic_logs(seed => 7, buckets => 48, functionalities => 12,
                                       chains_per_day => 20000, sampling_rate => 1)) AS same_rows;
SELECT (SELECT md5(string_agg(ts || chain_id || src || dst, ','))
          FROM informer_synthetic_logs(seed => 8, buckets => 48)) <>
       (SELECT md5(string_agg(ts || chain_id || src || dst, ','))
          FROM informer_synthetic_logs(seed => 9, buckets => 48)) AS seeds_differ;

-- ordered by time, inside the run, RPC names look like service.method
SELECT bool_and(ts >= prev) AS in_time_order,
       min(ts) >= '2026-01-05 00:00+00' AND max(ts) < '2026-01-05 16:00+00' AS in_range,
       bool_and(src ~ '^[a-z0-9_]+\.[a-z0-9_]+$' AND dst ~ '^[a-z0-9_]+\.[a-z0-9_]+$') AS names_ok
  FROM (SELECT *, lag(ts, 1, '-infinity') OVER () AS prev FROM g) x;

-- every chain's RPC set is a subset of one functionality's tree
CREATE TEMP TABLE topo AS
SELECT * FROM informer_synthetic_topology(seed => 7, buckets => 48, functionalities => 12,
                                          chains_per_day => 20000, sampling_rate => 1);
SELECT count(*) AS chains_outside_every_tree
  FROM (SELECT chain_id, array_agg(DISTINCT src || '>' || dst) AS rpcs FROM g GROUP BY 1) c
 WHERE NOT EXISTS (SELECT 1 FROM topo t GROUP BY functionality
                   HAVING c.rpcs <@ array_agg(t.src || '>' || t.dst));
SELECT count(DISTINCT functionality) AS functionalities, min(depth) AS min_depth, max(depth) <= 6 AS depth_ok,
       abs(sum(DISTINCT popularity) - 1) < 1e-9 AS shares_sum_to_1
  FROM topo;
-- the tree of a chain that came from registration
SELECT name, count(*) AS calls, bool_or(dst = 'captcha.verify') AS has_captcha,
       bool_or(dst = 'sms.send_code') AS has_sms
  FROM topo WHERE name IN ('register', 'login_sms') GROUP BY name ORDER BY name;

-- ground truth
CREATE TEMP TABLE lab AS
SELECT * FROM informer_synthetic_labels(seed => 7, buckets => 48, functionalities => 12,
                                        chains_per_day => 20000, sampling_rate => 1);
SELECT kind, min(bucket_start) AS first, max(bucket_end) AS last, count(*) >= 1 AS labelled,
       min(ts_start) AS ts_start, max(ts_end) AS ts_end
  FROM lab GROUP BY kind ORDER BY first, kind;
SELECT src, dst, round(factor::numeric, 6) AS factor FROM lab
 WHERE kind = 'batch_registration' AND dst IN ('captcha.verify', 'sms.send_code')
 ORDER BY dst;
SELECT kind, src, dst, factor FROM lab WHERE kind IN ('new_rpc', 'retired_rpc') ORDER BY kind;
SELECT count(*) AS no_labels
  FROM informer_synthetic_labels(seed => 7, buckets => 48, functionalities => 12,
                                 chains_per_day => 20000, sampling_rate => 1, events => false);

-- per-bucket counts: before the first event the two runs are the same; at a
-- labelled bucket the count moves by the labelled factor against the quiet run
-- (loud = quiet + extra, so loud - factor * quiet has variance about
-- factor * (factor - 1) * quiet; 4 standard deviations, a little wider)
CREATE TEMP TABLE counts AS
SELECT src, dst, bucket, sum(n) FILTER (WHERE loud) AS loud, sum(n) FILTER (WHERE NOT loud) AS quiet
  FROM (SELECT src, dst, floor(extract(epoch FROM ts - '2026-01-05 00:00+00') / 1200)::int AS bucket,
               count(*) AS n, true AS loud FROM g GROUP BY 1, 2, 3
        UNION ALL
        SELECT src, dst, floor(extract(epoch FROM ts - '2026-01-05 00:00+00') / 1200)::int,
               count(*), false FROM g_quiet GROUP BY 1, 2, 3) x
 GROUP BY 1, 2, 3;
SELECT count(*) AS differing_before_events
  FROM counts WHERE bucket < (SELECT min(bucket_start) FROM lab) AND loud IS DISTINCT FROM quiet;
SELECT l.kind, count(*) AS labels_measured,
       bool_and(abs(c.loud - l.factor * c.quiet) <= 4 * sqrt(l.factor * (l.factor + 1) * c.quiet + 1)) AS moved_by_factor
  FROM lab l
  JOIN LATERAL (SELECT coalesce(sum(loud), 0) AS loud, sum(quiet) AS quiet FROM counts c
                 WHERE c.src = l.src AND c.dst = l.dst
                   AND c.bucket BETWEEN l.bucket_start AND l.bucket_end) c ON true
 WHERE l.factor IS NOT NULL AND l.kind <> 'retired_rpc' AND c.quiet >= 25
 GROUP BY l.kind ORDER BY l.kind;
SELECT l.kind, coalesce(sum(c.loud) FILTER (WHERE c.bucket >= l.bucket_start), 0) > 0 AS called_after,
       coalesce(sum(c.loud) FILTER (WHERE c.bucket < l.bucket_start), 0) > 0 AS called_before
  FROM lab l JOIN counts c USING (src, dst)
 WHERE l.kind IN ('new_rpc', 'retired_rpc') GROUP BY l.kind ORDER BY l.kind;

-- defaults are shaped like the paper: 1008 buckets, hundreds of RPCs, a
-- registration pattern of 50 RPCs, over 10^4 sampled chains a day
SELECT count(DISTINCT (src, dst)) AS rpcs, count(DISTINCT functionality) AS functionalities,
       count(*) FILTER (WHERE name = 'register') AS registration_calls
  FROM informer_synthetic_topology();
SELECT max(bucket_end) AS last_bucket FROM informer_synthetic_labels();
SELECT count(DISTINCT chain_id) > 10000 AS chains_first_day_over_10k
  FROM informer_synthetic_logs(buckets => 72);

-- NULL arguments give no rows (STRICT)
SELECT count(*) AS rows_for_null FROM informer_synthetic_logs(seed => NULL);
SELECT count(*) AS labels_for_null FROM informer_synthetic_labels(sampling_rate => NULL);

-- a huge run (4.4 billion rows) streams, and a cancel stops it
SET statement_timeout = '200ms';
SELECT count(*) FROM informer_synthetic_logs(buckets => 1000000);
RESET statement_timeout;

-- parameter errors
SELECT * FROM informer_synthetic_logs(buckets => 10);
SELECT * FROM informer_synthetic_logs(buckets => 2000000);
SELECT * FROM informer_synthetic_logs(services => 3);
SELECT * FROM informer_synthetic_logs(methods => 13);
SELECT * FROM informer_synthetic_logs(functionalities => 4);
SELECT * FROM informer_synthetic_logs(registration_rpcs => 500);
SELECT * FROM informer_synthetic_logs(chains_per_day => 0);
SELECT * FROM informer_synthetic_logs(sampling_rate => 'NaN');
SELECT * FROM informer_synthetic_logs(sampling_rate => 0);
SELECT * FROM informer_synthetic_logs(zipf => -1);
SELECT * FROM informer_synthetic_logs(daily_amplitude => 1);
SELECT * FROM informer_synthetic_logs(weekly_amplitude => 'Infinity');
SELECT * FROM informer_synthetic_logs(trend => -1);
SELECT * FROM informer_synthetic_logs(dispersion => 0);
SELECT * FROM informer_synthetic_logs(drop_prob => 1.5);
SELECT * FROM informer_synthetic_logs(retry_prob => 0.9);
SELECT * FROM informer_synthetic_labels(attack_factor => 0.5);
SELECT * FROM informer_synthetic_labels(cracking_factor => 1e6);
SELECT * FROM informer_synthetic_topology(outage_factor => -0.1);
SELECT * FROM informer_synthetic_logs(bucket_width => '30 seconds');
SELECT * FROM informer_synthetic_logs(bucket_width => '1 month');
SELECT * FROM informer_synthetic_logs(bucket_width => '-20 minutes');
SELECT * FROM informer_synthetic_logs(start_time => 'infinity');
SELECT * FROM informer_synthetic_logs(start_time => '294270-01-01', buckets => 100000, bucket_width => '1 day');
SELECT * FROM informer_synthetic_logs(chains_per_day => 1e9, sampling_rate => 1);
RESET timezone;
