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
-- Sigma per RPC and step on the scale sqrt(calls + 3/8), and k raised for
-- the pattern's n RPCs so that P(|Z| > k_n) = P(|Z| > 3) / n (the table:
-- normal quantiles computed apart); retired = no call in the bucket or the
-- 6 before.
CREATE TABLE k_of_n (n int, k float8);
INSERT INTO k_of_n VALUES
       (1, 3.000000000), (2, 3.205154921), (3, 3.320075204), (4, 3.399557844), (5, 3.460107782),
       (6, 3.508898842), (7, 3.549689919), (8, 3.584693329), (9, 3.615319574), (10, 3.642522276),
       (11, 3.666975807), (12, 3.689174349), (13, 3.709490657), (14, 3.728212717), (15, 3.745567555),
       (16, 3.761737257), (17, 3.776870056), (18, 3.791088207), (19, 3.804493698), (20, 3.817172483),
       (21, 3.829197665), (22, 3.840631921), (23, 3.851529393), (24, 3.861937164), (25, 3.871896427),
       (26, 3.881443425), (27, 3.890610214), (28, 3.899425277), (29, 3.907914036), (30, 3.916099276),
       (31, 3.924001491), (32, 3.931639185), (33, 3.939029118), (34, 3.946186517), (35, 3.953125259),
       (36, 3.959858025), (37, 3.966396430), (38, 3.972751142), (39, 3.978931983), (40, 3.984948010),
       (41, 3.990807599), (42, 3.996518506), (43, 4.002087930), (44, 4.007522562), (45, 4.012828635),
       (46, 4.018011961), (47, 4.023077969), (48, 4.028031742), (49, 4.032878038), (50, 4.037621323),
       (51, 4.042265792), (52, 4.046815392), (53, 4.051273839), (54, 4.055644635), (55, 4.059931088),
       (56, 4.064136324), (57, 4.068263296), (58, 4.072314804), (59, 4.076293499), (60, 4.080201898),
       (61, 4.084042389), (62, 4.087817241), (63, 4.091528614), (64, 4.095178561), (65, 4.098769041),
       (66, 4.102301920), (67, 4.105778977), (68, 4.109201912), (69, 4.112572349), (70, 4.115891840),
       (71, 4.119161869), (72, 4.122383859), (73, 4.125559171), (74, 4.128689110), (75, 4.131774926),
       (76, 4.134817821), (77, 4.137818947), (78, 4.140779412), (79, 4.143700280), (80, 4.146582573),
       (81, 4.149427276), (82, 4.152235337), (83, 4.155007667), (84, 4.157745147), (85, 4.160448622),
       (86, 4.163118910), (87, 4.165756798), (88, 4.168363048), (89, 4.170938392), (90, 4.173483542),
       (91, 4.175999181), (92, 4.178485971), (93, 4.180944554), (94, 4.183375549), (95, 4.185779556),
       (96, 4.188157153), (97, 4.190508904), (98, 4.192835353), (99, 4.195137027), (100, 4.197414438),
       (101, 4.199668080), (102, 4.201898435), (103, 4.204105969), (104, 4.206291135), (105, 4.208454373),
       (106, 4.210596108), (107, 4.212716755), (108, 4.214816718), (109, 4.216896387), (110, 4.218956142),
       (111, 4.220996355), (112, 4.223017383), (113, 4.225019578), (114, 4.227003281), (115, 4.228968821),
       (116, 4.230916523), (117, 4.232846700), (118, 4.234759659), (119, 4.236655697), (120, 4.238535106);
CREATE TABLE ref AS
SELECT m.pattern_id, p.rpc_id, p.bucket, p.predicted, COALESCE(t.calls, 0) AS observed,
       s.err_mean, s.err_std, k.k,
       (sqrt(COALESCE(t.calls, 0) + 0.375) - sqrt(p.predicted + 0.375) - s.err_mean) AS e,
       sqrt(p.predicted + 0.375) + s.err_mean AS centre,
       NOT EXISTS (SELECT FROM informer.traffic t2
                    WHERE t2.rpc_id = p.rpc_id
                      AND t2.bucket BETWEEN p.bucket - 6 * interval '20 minutes' AND p.bucket) AS retired
  FROM informer.predictions p
  JOIN informer.models m USING (model_id)
  JOIN k_of_n k ON k.n = (m.config->>'nodes')::int
  JOIN informer.model_stats s ON s.model_id = p.model_id AND s.rpc_id = p.rpc_id AND s.step = p.step
  LEFT JOIN informer.traffic t ON t.rpc_id = p.rpc_id AND t.bucket = p.bucket
 WHERE p.step = 1;
SELECT count(*) = 108 * (SELECT sum(rpcs) FROM informer.pattern JOIN picked USING (pattern_id)) AS every_bucket_judged,
       count(*) FILTER (WHERE a.bucket IS NULL OR r.bucket IS NULL) AS unmatched,
       count(*) FILTER (WHERE r.err_std > 0 AND abs(a.score - r.e / r.err_std) > 1e-6) AS score_differs,
       count(*) FILTER (WHERE abs(sign(a.lower + 0.375) * sqrt(abs(a.lower + 0.375)) - (r.centre - r.k * r.err_std)) > 1e-6
                           OR abs(sqrt(a.upper + 0.375) - (r.centre + r.k * r.err_std)) > 1e-6) AS bounds_differ,
       count(*) FILTER (WHERE a.is_anomaly IS DISTINCT FROM
                              (NOT r.retired AND abs(r.e) > r.k * r.err_std)) AS judgement_differs,
       count(*) FILTER (WHERE a.direction IS DISTINCT FROM
                              CASE WHEN r.retired THEN 'retired'
                                   WHEN r.e > r.k * r.err_std THEN 'spike'
                                   WHEN r.e < -r.k * r.err_std THEN 'drop' END) AS direction_differs
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

-- with k = 0 the bands collapse onto a point: every bucket off it is an
-- anomaly
SET informer.threshold_sigma = 0;
SELECT sum(informer_infer_now(pattern_id, '2026-01-06 08:00+00', '2026-01-07 20:00+00')) > 0 AS forecast_again
  FROM picked;
SELECT informer_refresh_anomalies() >= 0 AS refreshed;
SELECT count(*) > 0 AS judged,
       count(*) FILTER (WHERE a.lower <> a.upper) AS bands_not_collapsed,
       count(*) FILTER (WHERE a.is_anomaly IS DISTINCT FROM (a.score <> 0 AND a.direction IS DISTINCT FROM 'retired')) AS judgement_differs
  FROM informer.anomalies a;
RESET informer.threshold_sigma;

\c contrib_regression
DROP DATABASE informer_anomalies_trained;
