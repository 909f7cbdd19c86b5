-- Detection on hand-computed cases: informer.anomalies (refreshed
-- concurrently), scores and directions, retired RPCs, the horizon step
-- setting, informer_anomalies() filters and errors, the BI views.
-- A database of its own, so that other tests' RPCs, patterns and models
-- neither show up here nor get renumbered.
CREATE DATABASE informer_anomalies;
\c informer_anomalies
SET client_min_messages = warning;
CREATE EXTENSION informer;
SET TimeZone = 'UTC';

-- Two RPCs a->b and b->c, one-hour buckets from 2026-05-01 00:00.
CREATE TABLE det_log (ts timestamptz, trace text, caller text, callee text);
INSERT INTO det_log
SELECT timestamptz '2026-05-01 00:00+00' + b * interval '1 hour' + j * interval '1 second',
       b || '_' || j, 'a', 'b'
  FROM unnest(ARRAY[11, 11, 20, 4, 17, 12, 10, 9]) WITH ORDINALITY AS x(calls, o),
       LATERAL (SELECT o - 1 AS b) bb, generate_series(1, calls) j;
INSERT INTO det_log
SELECT timestamptz '2026-05-01 00:00+00' + b * interval '1 hour' + j * interval '1 second',
       b || '_' || j, 'b', 'c'
  FROM unnest(ARRAY[10, 10, 10, 0, 0, 0, 0, 1]) WITH ORDINALITY AS x(calls, o),
       LATERAL (SELECT o - 1 AS b) bb, generate_series(1, calls) j;
SELECT informer_register_source('det', 'det_log', 'ts', 'trace', 'caller', 'callee', '1 hour');
SELECT rows_read, buckets, watermark FROM informer_refresh_traffic('det');
SELECT patterns, pattern_rpcs FROM informer_mine_patterns('det', '2026-05-01', '2026-05-02');

-- A model of the pattern and its forecasts, written by hand.  On the
-- square-root scale sqrt(calls + 3/8): predicted 8.625 (3) with M = 0.5,
-- Sigma = 0.25, k = 3 gives the band 2.75 .. 4.25, i.e. 7.1875 .. 17.6875
-- calls, at step 1; predicted 30 with M = 0 and the same Sigma gives
-- 22.2955 .. 38.8295 at step 2.  Buckets 0..7; bucket 7 is not complete (the
-- newest row is inside it), so it is not judged.
INSERT INTO informer.models (pattern_id, version, config, metrics, weights, active, owner)
SELECT pattern_id, 1, '{}', '{}', '\x00', true, current_user::regrole FROM informer.pattern;
INSERT INTO informer.predictions (model_id, rpc_id, bucket, step, predicted, lower, upper, sigma)
SELECT m.model_id, r.rpc_id, timestamptz '2026-05-01 00:00+00' + b * interval '1 hour', s.step,
       s.predicted, s.lower, s.upper, 0.25
  FROM informer.models m, informer.rpc r, generate_series(0, 7) b,
       (VALUES (1, 8.625, 7.1875, 17.6875),
               (2, 30.0, 22.295472118106773, 38.82952788189322)) s(step, predicted, lower, upper);

-- the view was created populated, so the first refresh may be concurrent
SELECT informer_refresh_anomalies();
-- retired after 6 silent buckets (the default): b->c's four silent
-- buckets are drops
SELECT src, dst, bucket, observed, predicted, lower, upper, score, direction, is_anomaly, model_version
  FROM informer.anomalies ORDER BY rpc_id, bucket;

-- hand-computed: score = (sqrt(observed + 3/8) - 3 - 0.5) / 0.25 to 6
-- decimals, anomaly outside [7.1875, 17.6875]
SELECT count(*) AS mismatches FROM (
    (SELECT r.src, a.bucket, round(a.score::numeric, 6), a.direction FROM informer.anomalies a JOIN informer.rpc r USING (rpc_id)
     EXCEPT
     SELECT src, timestamptz '2026-05-01 00:00+00' + b * interval '1 hour', score, dir
       FROM (VALUES ('a', 0, -0.509262, NULL), ('a', 1, -0.509262, NULL), ('a', 2, 4.05547, 'spike'), ('a', 3, -5.6334, 'drop'),
                    ('a', 4, 2.673332, NULL), ('a', 5, 0.071247, NULL), ('a', 6, -1.115901, NULL),
                    ('b', 0, -1.115901, NULL), ('b', 1, -1.115901, NULL), ('b', 2, -1.115901, NULL), ('b', 3, -11.55051, 'drop'),
                    ('b', 4, -11.55051, 'drop'), ('b', 5, -11.55051, 'drop'), ('b', 6, -11.55051, 'drop')) v(src, b, score, dir))
    UNION ALL
    (SELECT src, timestamptz '2026-05-01 00:00+00' + b * interval '1 hour', score, dir
       FROM (VALUES ('a', 0, -0.509262, NULL), ('a', 1, -0.509262, NULL), ('a', 2, 4.05547, 'spike'), ('a', 3, -5.6334, 'drop'),
                    ('a', 4, 2.673332, NULL), ('a', 5, 0.071247, NULL), ('a', 6, -1.115901, NULL),
                    ('b', 0, -1.115901, NULL), ('b', 1, -1.115901, NULL), ('b', 2, -1.115901, NULL), ('b', 3, -11.55051, 'drop'),
                    ('b', 4, -11.55051, 'drop'), ('b', 5, -11.55051, 'drop'), ('b', 6, -11.55051, 'drop')) v(src, b, score, dir)
     EXCEPT
     SELECT r.src, a.bucket, round(a.score::numeric, 6), a.direction FROM informer.anomalies a JOIN informer.rpc r USING (rpc_id))) d;

-- retired after 2 silent buckets: b->c's third and fourth silent buckets
-- are 'retired', not anomalies
SELECT horizon_step, retired_after FROM informer_set_detection(retired_after => 2);
SELECT informer_refresh_anomalies();
SELECT bucket, observed, direction, is_anomaly FROM informer.anomalies a JOIN informer.rpc r USING (rpc_id)
 WHERE r.src = 'b' ORDER BY bucket;
SELECT rpc_id, src, dst, last_seen, active_patterns = ARRAY[(SELECT min(pattern_id) FROM informer.pattern)] AS judged, status
  FROM informer.v_rpc_status ORDER BY rpc_id;

-- judged against the step-2 forecasts (30 in [22.3, 38.8]): everything is a drop
SELECT horizon_step FROM informer_set_detection(horizon_step => 2);
SELECT informer_refresh_anomalies(concurrent => false);
SELECT count(*) FILTER (WHERE direction = 'drop') AS drops, count(*) AS judged,
       min(predicted), max(predicted) FROM informer.anomalies;
SELECT horizon_step, retired_after FROM informer_set_detection(1, 6);
SELECT informer_refresh_anomalies();

-- a newer model version takes over the buckets it forecast
INSERT INTO informer.models (pattern_id, version, config, metrics, weights, active, owner)
SELECT pattern_id, 2, '{}', '{}', '\x00', false, current_user::regrole FROM informer.pattern;
INSERT INTO informer.predictions (model_id, rpc_id, bucket, step, predicted, lower, upper, sigma)
SELECT m.model_id, r.rpc_id, timestamptz '2026-05-01 06:00+00', 1, 20, 13.79169871802458, 27.333301281975423, 0.25
  FROM informer.models m, informer.rpc r WHERE m.version = 2;
SELECT informer_refresh_anomalies();
SELECT src, bucket, model_version, predicted, direction FROM informer.anomalies
 WHERE bucket >= '2026-05-01 05:00+00' ORDER BY src, bucket;

-- informer_anomalies(): anomalous rows only, filtered
SELECT src, bucket, score, direction FROM informer_anomalies('-infinity');
SELECT count(*) FROM informer_anomalies();   -- the last day: nothing so old
SELECT src, bucket, score FROM informer_anomalies('-infinity', min_score => 5);
SELECT src, bucket FROM informer_anomalies('2026-05-01 03:00+00', until => '2026-05-01 05:00+00');
SELECT count(*) FROM informer_anomalies('-infinity', pattern_id => (SELECT min(pattern_id) FROM informer.pattern));
SELECT count(*) FROM informer_anomalies('-infinity', rpc_id => (SELECT rpc_id FROM informer.rpc WHERE src = 'a'));
SELECT count(*) FROM informer_anomalies('-infinity', min_score => 'Infinity');
SELECT provolatile FROM pg_proc WHERE proname = 'informer_anomalies';
-- bad input
SELECT * FROM informer_anomalies(NULL);
SELECT * FROM informer_anomalies('-infinity', min_score => -1);
SELECT * FROM informer_anomalies('-infinity', min_score => 'NaN');
SELECT * FROM informer_anomalies('-infinity', pattern_id => -7);
SELECT informer_set_detection(horizon_step => 0);
SELECT informer_set_detection(retired_after => -1);
SELECT informer_refresh_anomalies(NULL);

-- BI views agree with the view they read
SELECT count(*) AS v_anomalies FROM informer.v_anomalies;
SELECT rpc, bucket, abs_score FROM informer.v_anomalies ORDER BY abs_score DESC LIMIT 1;
SELECT pending, count(*), min(bucket), max(bucket) FROM informer.v_traffic_forecast GROUP BY 1 ORDER BY 1;
SELECT version, active, weight_bytes, anomalies FROM informer.v_models ORDER BY version;

-- detection goes on past a failing source and a failing model: a source
-- whose table is gone, and (after a new row makes it due) a model whose
-- weights are not a model
CREATE TABLE det_gone (ts timestamptz, trace text, caller text, callee text);
SELECT informer_register_source('gone', 'det_gone', 'ts', 'trace', 'caller', 'callee', '1 hour');
DROP TABLE det_gone;
INSERT INTO det_log VALUES ('2026-05-01 08:30+00', 'late', 'a', 'b');
SELECT * FROM informer_detect();
SELECT watermark FROM informer.source_state WHERE source_name = 'det';

-- a forecast without sigma (written by hand) is judged by its bounds, and
-- its score is unknown
INSERT INTO informer.predictions (model_id, rpc_id, bucket, step, predicted, lower, upper)
SELECT m.model_id, r.rpc_id, timestamptz '2026-05-01 07:00+00', 1, 8.625, 7.1875, 17.6875
  FROM informer.models m, informer.rpc r WHERE m.version = 2;
SELECT informer_refresh_anomalies(false) >= 0 AS refreshed;
SELECT src, bucket, observed, score, direction, is_anomaly, model_version
  FROM informer.anomalies WHERE bucket = '2026-05-01 07:00+00' ORDER BY src;

\c contrib_regression
DROP DATABASE informer_anomalies;
