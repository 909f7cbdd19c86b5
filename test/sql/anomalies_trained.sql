-- Detection with real trained models on generated logs with labelled
-- attacks: informer.anomalies against a reference computed from the
-- models' own error statistics (informer.model_stats), the labelled
-- account-cracking burst found, retired and new RPCs, informer_detect()
-- forecasting the due models, and the plot's markers on real data.
CREATE DATABASE informer_anomalies_trained;
\c informer_anomalies_trained
SET client_min_messages = warning;
CREATE EXTENSION informer;
SET TimeZone = 'UTC';

-- three days of 20-minute buckets (216) from 2026-01-05, six functionalities
CREATE TABLE syn_log AS
SELECT * FROM informer_synthetic_logs(seed => 7, buckets => 216, functionalities => 6,
                                      chains_per_day => 3000, sampling_rate => 1);
CREATE TABLE syn_labels AS
SELECT * FROM informer_synthetic_labels(seed => 7, buckets => 216, functionalities => 6,
                                        chains_per_day => 3000, sampling_rate => 1);
SELECT informer_register_source('syn', 'syn_log', 'ts', 'chain_id', 'src', 'dst');
SELECT rows_read > 0 AS counted FROM informer_refresh_traffic('syn');
SELECT patterns FROM informer_mine_patterns('syn', '2026-01-05', '2026-01-06');
-- the pattern of the account-cracking burst and the one of the retired RPC
CREATE TABLE picked AS
SELECT DISTINCT ON (l.kind) l.kind, pr.pattern_id
  FROM syn_labels l JOIN informer.rpc r USING (src, dst) JOIN informer.pattern_rpc pr USING (rpc_id)
 WHERE l.kind IN ('account_cracking', 'retired_rpc')
 ORDER BY l.kind, pr.pattern_id;
SELECT kind FROM picked ORDER BY 1;

-- tiny models trained on the first 32 hours, forecasts backfilled for the
-- next 36 hours (108 buckets)
SELECT count(informer_train_now(pattern_id,
         '{"units": 8, "layers": 1, "epochs": 5, "history": 6, "horizon": 2, "batch": 16,
           "train_from": "2026-01-05 00:00+00", "train_to": "2026-01-06 08:00+00"}')) AS models
  FROM picked;
SELECT sum(informer_infer_now(pattern_id, '2026-01-06 08:00+00', '2026-01-07 20:00+00'))
       = 2 * 108 * (SELECT sum(rpcs) FROM informer.pattern JOIN picked USING (pattern_id)) AS all_forecast
  FROM picked;
SELECT informer_refresh_anomalies() > 0 AS found;

-- Reference: the step-1 forecasts judged with the model's statistics M and
-- Sigma per RPC and step; retired = no call in the bucket or the 6 before.
CREATE TABLE ref AS
SELECT m.pattern_id, p.rpc_id, p.bucket, p.predicted, COALESCE(t.calls, 0) AS observed,
       s.err_mean, s.err_std,
       NOT EXISTS (SELECT FROM informer.traffic t2
                    WHERE t2.rpc_id = p.rpc_id
                      AND t2.bucket BETWEEN p.bucket - 6 * interval '20 minutes' AND p.bucket) AS retired
  FROM informer.predictions p
  JOIN informer.models m USING (model_id)
  JOIN informer.model_stats s ON s.model_id = p.model_id AND s.rpc_id = p.rpc_id AND s.step = p.step
  LEFT JOIN informer.traffic t ON t.rpc_id = p.rpc_id AND t.bucket = p.bucket
 WHERE p.step = 1;
SELECT count(*) = 108 * (SELECT sum(rpcs) FROM informer.pattern JOIN picked USING (pattern_id)) AS every_bucket_judged,
       count(*) FILTER (WHERE a.bucket IS NULL OR r.bucket IS NULL) AS unmatched,
       count(*) FILTER (WHERE r.err_std > 0
                          AND abs(a.score - (r.observed - r.predicted - r.err_mean) / r.err_std) > 1e-6) AS score_differs,
       count(*) FILTER (WHERE abs(a.lower - (r.predicted + r.err_mean - 3 * r.err_std)) > 1e-6
                           OR abs(a.upper - (r.predicted + r.err_mean + 3 * r.err_std)) > 1e-6) AS bounds_differ,
       count(*) FILTER (WHERE a.is_anomaly IS DISTINCT FROM
                              (NOT r.retired AND abs(r.observed - r.predicted - r.err_mean) > 3 * r.err_std)) AS judgement_differs,
       count(*) FILTER (WHERE a.direction IS DISTINCT FROM
                              CASE WHEN r.retired THEN 'retired'
                                   WHEN r.observed - r.predicted - r.err_mean > 3 * r.err_std THEN 'spike'
                                   WHEN r.observed - r.predicted - r.err_mean < -3 * r.err_std THEN 'drop' END) AS direction_differs
  FROM ref r FULL JOIN informer.anomalies a USING (pattern_id, rpc_id, bucket);

-- the labelled burst (20 times the logins for an hour) is found
SELECT count(*) AS labelled, count(*) FILTER (WHERE a.is_anomaly AND a.direction = 'spike') AS found
  FROM syn_labels l JOIN informer.anomalies a
    ON a.src = l.src AND a.dst = l.dst AND a.bucket >= l.ts_start AND a.bucket < l.ts_end
 WHERE l.kind = 'account_cracking'
   AND a.pattern_id = (SELECT pattern_id FROM picked WHERE kind = 'account_cracking')
   AND l.factor > 10;
-- the retired RPC: a bounded run of drops, then retired; the new RPC is
-- in no model yet
SELECT l.kind, s.status,
       (SELECT count(*) FROM informer.anomalies a WHERE a.rpc_id = s.rpc_id AND a.direction = 'drop') <= 6 AS drops_bounded
  FROM syn_labels l JOIN informer.v_rpc_status s USING (src, dst)
 WHERE l.kind IN ('retired_rpc', 'new_rpc') ORDER BY 1;

-- detection: the forecasts end before the first incomplete bucket, so both
-- models are due and forecast their horizon (2 buckets) once
CREATE TABLE detected AS SELECT * FROM informer_detect();
SELECT sources, models, predictions = 2 * (SELECT sum(rpcs) FROM informer.pattern JOIN picked USING (pattern_id)) AS forecast,
       anomalies = (SELECT count(*) FROM informer.anomalies WHERE is_anomaly) AS refreshed, failures
  FROM detected;
SELECT sources, models, predictions, failures FROM informer_detect();
SELECT count(*) AS pending_forecasts FROM informer.v_traffic_forecast WHERE pending;

-- the plot of a burst RPC: a marker on exactly the view's anomalies
CREATE TABLE svg AS
SELECT informer_plot_svg(r.rpc_id, '2026-01-07 00:00+00', '2026-01-07 06:00+00')::xml AS doc, r.rpc_id
  FROM informer.rpc r WHERE src = 'gateway.login_sms' AND dst = 'account.login';
WITH m AS (
    SELECT (xpath('/*/@data-bucket', c))[1]::text::timestamptz AS bucket
      FROM svg, unnest(xpath('/svg:svg/svg:circle', doc, ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']])) c),
v AS (
    SELECT a.bucket FROM informer.anomalies a, svg
     WHERE a.rpc_id = svg.rpc_id AND a.is_anomaly AND a.bucket >= '2026-01-07 00:00+00' AND a.bucket < '2026-01-07 06:00+00')
SELECT xml_is_well_formed_document((SELECT doc::text FROM svg)) AS well_formed,
       (SELECT count(*) FROM m) >= 3 AS markers,
       (SELECT count(*) FROM (SELECT * FROM m EXCEPT SELECT * FROM v) x) AS markers_not_in_view,
       (SELECT count(*) FROM (SELECT * FROM v EXCEPT SELECT * FROM m) x) AS anomalies_without_marker;

-- with k = 0 the bounds collapse and Sigma is unknown: no score
SET informer.threshold_sigma = 0;
SELECT informer_refresh_anomalies() >= 0 AS refreshed;
SELECT count(*) > 0 AS judged, count(*) FILTER (WHERE score IS NOT NULL) AS scores_without_sigma
  FROM informer.anomalies;
RESET informer.threshold_sigma;

\c contrib_regression
DROP DATABASE informer_anomalies_trained;
