-- Training and inference in the calling backend (informer_train_now,
-- informer_infer_now), models and their management, the model bytea and
-- its corruptions, options and their errors, row-level security.  The job
-- worker's side is test/shell/models.sh.

CREATE TABLE mlog AS
SELECT * FROM informer_synthetic_logs(seed => 3, buckets => 96, services => 16, functionalities => 5,
                                      registration_rpcs => 12, chains_per_day => 3000, events => false);
SELECT informer_register_source('mdl', 'mlog', 'ts', 'chain_id', 'src', 'dst');
SELECT patterns FROM informer_mine_patterns('mdl', '2026-01-05', '2026-01-07');
SELECT rows_read FROM informer_refresh_traffic('mdl');
-- errors whose text holds numbers of the weights (checksums) or of the
-- network's workspace, which change with the numerics: masked
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(regexp_replace(SQLERRM, '0x[0-9a-f]+', '0x...', 'g'),
                                              '\d+ MB of', 'N MB of');
END $$;
-- the smallest pattern of this run
SELECT p.pattern_id AS pid, p.rpcs AS prpcs
  FROM informer.pattern p JOIN informer.mining_run r USING (run_id)
 WHERE r.source_name = 'mdl' ORDER BY p.rpcs, p.pattern_id LIMIT 1 \gset
SELECT :prpcs AS rpcs;

-- options: checked and completed with the paper's defaults
SELECT informer._train_options('{}');
SELECT informer._train_options('{"units": 8, "lr": 0.005, "train_from": "2026-01-05"}') ->> 'units' AS units;
SELECT informer._train_options('{"unit": 8}');
SELECT informer._train_options('{"units": "8"}');
SELECT informer._train_options('{"units": 8.5}');
SELECT informer._train_options('{"units": 0}');
SELECT informer._train_options('{"lr": 0}');
SELECT informer._train_options('{"epochs": 1e9}');
SELECT informer._train_options('{"train_from": 5}');
SELECT informer._train_options('{"train_from": "2026-01-06", "train_to": "2026-01-05"}');
SELECT informer._train_options('[1]');
SELECT informer._infer_options('{"from": "2026-01-06"}');
SELECT informer._infer_options('{"horizon": 3}');

-- the synchronous form: a tiny model
\set opts '{"units": 4, "layers": 1, "epochs": 3, "history": 6, "horizon": 3, "batch": 8, "seed": 5}'
SELECT informer_train_now(:pid, :'opts') AS m1 \gset
SELECT version, active, owner = current_user::regrole AS mine, job_id IS NULL AS synchronous,
       config->>'units' AS units, config->>'horizon' AS horizon, config->>'nodes' = :'prpcs' AS all_rpcs,
       config->>'device' AS device, config->>'source' AS source,
       jsonb_array_length(metrics->'test') AS steps, (metrics->>'epochs')::int AS epochs,
       (metrics->>'test_windows')::int > 0 AS tested,
       jsonb_array_length(metrics->'naive_last_value') AS naive_steps
  FROM informer.models WHERE model_id = :m1;
-- the nodes are the pattern's RPCs, in rpc_id order
SELECT ARRAY(SELECT jsonb_array_elements_text(config->'rpc_ids')::int4 FROM informer.models WHERE model_id = :m1)
     = ARRAY(SELECT rpc_id FROM informer.pattern_rpc WHERE pattern_id = :pid ORDER BY rpc_id) AS nodes_in_rpc_order;
-- per-step metrics: MAE <= RMSE, all finite and non-negative
SELECT bool_and((e->>'mae')::float8 >= 0 AND (e->>'mae')::float8 <= (e->>'rmse')::float8) AS mae_le_rmse
  FROM informer.models, jsonb_array_elements(metrics->'test') e WHERE model_id = :m1;
-- the bytea loads and describes the network it came from
SELECT informer_model_info(weights) - 'bytes' - 'parameters' AS info,
       (informer_model_info(weights)->>'bytes')::int = length(weights) AS bytes_match
  FROM informer.models WHERE model_id = :m1;
-- model_stats: one row per RPC and step, spreads finite and non-negative
SELECT count(*) = :prpcs * 3 AS one_per_rpc_and_step, count(DISTINCT rpc_id) = :prpcs AS rpcs,
       bool_and(err_std >= 0 AND err_std < 'infinity') AS spreads
  FROM informer.model_stats WHERE model_id = :m1;
-- the same seed gives the same model
SELECT informer_train_now(:pid, :'opts') AS m2 \gset
SELECT a.weights = b.weights AS deterministic, a.version + 1 = b.version AS next_version,
       NOT a.active AND b.active AS newest_active
  FROM informer.models a, informer.models b WHERE a.model_id = :m1 AND b.model_id = :m2;

-- inference: the next horizon buckets after the last complete one
SELECT informer_infer_now(:pid) = :prpcs * 3 AS one_per_rpc_and_step;
SELECT count(DISTINCT bucket) AS buckets, min(step) AS first_step, max(step) AS last_step,
       min(bucket) = (SELECT informer._bucket('20 minutes', watermark) FROM informer.source_state
                       WHERE source_name = 'mdl') AS starts_at_incomplete_bucket,
       bool_and(predicted >= 0) AS counts_clamped_at_zero
  FROM informer.predictions WHERE model_id = :m2;
-- each band holds the calls whose sqrt(calls + 3/8) is within
-- sqrt(predicted + 3/8) + M +- k S of the model's statistics, with S stored;
-- for the pattern's 8 RPCs, k = 3.584693329 (P(|Z| > k) = P(|Z| > 3) / 8,
-- from an independent normal quantile)
SELECT bool_and(abs(informer._stable(p.lower) - (sqrt(p.predicted + 0.375) + s.err_mean - 3.584693329 * s.err_std)) < 1e-8
            AND abs(informer._stable(p.upper) - (sqrt(p.predicted + 0.375) + s.err_mean + 3.584693329 * s.err_std)) < 1e-8
            AND p.sigma = s.err_std) AS band_of_the_pattern,
       bool_or(p.lower < p.predicted AND p.predicted < p.upper) AS some_band_around_forecast
  FROM informer.predictions p JOIN informer.model_stats s USING (model_id, rpc_id, step)
 WHERE p.model_id = :m2;
-- k as it is for each RPC: 3, then 1.5
SET informer.threshold_scope = rpc;
SELECT informer_infer_now(:pid) = :prpcs * 3 AS forecast_again;
SELECT bool_and(abs(informer._stable(p.lower) - (sqrt(p.predicted + 0.375) + s.err_mean - 3 * s.err_std)) < 1e-8
            AND abs(informer._stable(p.upper) - (sqrt(p.predicted + 0.375) + s.err_mean + 3 * s.err_std)) < 1e-8) AS band_3_sigma
  FROM informer.predictions p JOIN informer.model_stats s USING (model_id, rpc_id, step)
 WHERE p.model_id = :m2;
SET informer.threshold_sigma = 1.5;
SELECT informer_infer_now(:pid) = :prpcs * 3 AS forecast_again;
SELECT bool_and(abs(informer._stable(p.upper) - informer._stable(p.lower) - 3 * s.err_std) < 1e-8) AS band_1_5_sigma,
       count(*) = :prpcs * 3 AS replaced
  FROM informer.predictions p JOIN informer.model_stats s USING (model_id, rpc_id, step)
 WHERE p.model_id = :m2;
RESET informer.threshold_scope;
SET informer.threshold_scope = everyone;
RESET informer.threshold_sigma;
SET informer.threshold_sigma = -1;
-- a backfill: every bucket of the range gets steps 1..3, each from data before its origin;
-- the forecast for the newest origin equals the one made for the next buckets
CREATE TABLE next_fc AS SELECT rpc_id, bucket, step, predicted FROM informer.predictions WHERE model_id = :m2;
SELECT informer_infer_now(:pid, '2026-01-06 04:00', '2026-01-06 09:00') AS backfilled;
SELECT step, count(*) = :prpcs * count(DISTINCT bucket) AS every_rpc, min(bucket), max(bucket)
  FROM informer.predictions WHERE model_id = :m2 AND bucket >= '2026-01-06 04:00' GROUP BY step ORDER BY step;
SELECT count(*) = :prpcs * 3 AS compared,
       bool_and(abs(n.predicted - p.predicted) <= 1e-5 * greatest(n.predicted, 1)) AS backfill_matches_next
  FROM next_fc n JOIN informer.predictions p USING (rpc_id, bucket, step) WHERE p.model_id = :m2;
-- a forecast made later from more data differs in origin: step 1 of bucket b
-- and step 2 of bucket b come from origins b and b - 1 bucket
SELECT count(*) > 0 AS steps_differ FROM informer.predictions a JOIN informer.predictions b
    USING (model_id, rpc_id, bucket) WHERE a.model_id = :m2 AND a.step = 1 AND b.step = 2
    AND a.predicted <> b.predicted;

-- management: deploy, roll back, drop
SELECT informer_deploy_model(:pid, 1) = :m1 AS deployed;
SELECT version, active FROM informer.models WHERE pattern_id = :pid ORDER BY version;
SELECT informer_rollback_model(:pid);
SELECT informer_deploy_model(:pid, 2) = :m2 AS deployed;
SELECT informer_rollback_model(:pid) = :m1 AS rolled_back;
SELECT version, active FROM informer.models WHERE pattern_id = :pid ORDER BY version;
SELECT informer_deploy_model(:pid, 9);
SELECT informer_drop_model(:pid, 2) AS dropped;
SELECT informer_drop_model(:pid, 2) AS again;
SELECT count(*) AS predictions_of_dropped FROM informer.predictions WHERE model_id = :m2;
SELECT informer_drop_model(:pid, 1);
SELECT informer_infer_now(:pid);
SELECT informer_rollback_model(:pid);

-- corrupted bytea: a clear error with the loader's message
SELECT informer_train_now(:pid, :'opts') AS m3 \gset
SELECT weights AS w FROM informer.models WHERE model_id = :m3 \gset
SELECT informer_infer_now(:pid, '2026-01-06', '2026-01-05');
SELECT informer_infer_now(:pid, '-infinity', '2026-01-05');
SELECT informer_infer_now(:pid, '2000-01-06', '2026-01-05');
SELECT informer_model_info(''::bytea);
SELECT informer_model_info(substring(:'w'::bytea FROM 1 FOR 100));
SELECT informer_model_info(substring(:'w'::bytea FROM 1 FOR length(:'w'::bytea) - 1));
SELECT pg_temp.err(format('SELECT informer_model_info(%L::bytea)',
                          set_byte(:'w'::bytea, 299, get_byte(:'w'::bytea, 299) # 255)));
SELECT informer_model_info(set_byte(:'w'::bytea, 8, 99));
SELECT informer_model_info(overlay(:'w'::bytea PLACING 'X'::bytea FROM 1 FOR 1));
SELECT informer_model_info(:'w'::bytea || '\x00'::bytea);
SELECT count(*) FROM informer._model_stats('\x0102'::bytea);
SELECT informer_model_info(NULL) IS NULL AS strict_null;
-- a damaged active model fails inference with the loader's message
UPDATE informer.models SET weights = set_byte(weights, 499, get_byte(weights, 499) # 255) WHERE model_id = :m3;
SELECT pg_temp.err(format('SELECT informer_infer_now(%s)', :pid));

-- errors of the training and inference functions
SELECT informer_train_now(424242, '{}');
SELECT informer_train_now(:pid, '{"epochs": -1}');
SELECT informer_train_now(:pid, '{"history": 500}');
SELECT informer_train_now(:pid, '{"train_from": "2026-01-05 00:00", "train_to": "2026-01-05 03:00"}');
SET informer.max_model_memory = '1MB';
SELECT pg_temp.err(format('SELECT informer_train_now(%s, %L)', :pid, '{"units": 256, "batch": 512}'));
RESET informer.max_model_memory;
SET informer.device = 'cuda';
\set VERBOSITY terse
SELECT informer_train_now(:pid, :'opts');
\set VERBOSITY default
RESET informer.device;
SET informer.device = 'tpu';
SELECT informer_infer_now(424242);
SELECT informer_train_now(NULL, '{}') IS NULL AS strict_null;
-- a statement cancel stops a training in this backend, between two batches
SELECT count(*) AS models_before FROM informer.models \gset
SET statement_timeout = '300ms';
SELECT informer_train_now(:pid, '{"units": 8, "epochs": 100000, "patience": 100000, "history": 6, "horizon": 3, "batch": 4}');
RESET statement_timeout;
SELECT count(*) = :models_before AS no_model_written FROM informer.models;
-- queued forms check their options at once; this database runs no jobs
SELECT informer_train(:pid, '{"unit": 1}');
SELECT informer_infer(:pid, '{"step": 1}');
SELECT informer_train(424242, '{}');
SELECT informer_train(:pid, '{}');

-- security: models of other roles are invisible unless granted
CREATE ROLE model_a LOGIN;
CREATE ROLE model_b LOGIN;
GRANT SELECT ON informer.source, informer.source_state, informer.pattern, informer.pattern_rpc,
      informer.rpc, informer.traffic, informer.mining_run TO model_a, model_b;
GRANT SELECT ON mlog TO model_a;
SET ROLE model_a;
SELECT informer_train_now(:pid, :'opts') AS ma \gset
SELECT version AS va FROM informer.models WHERE model_id = :ma \gset
SELECT count(*) AS a_sees FROM informer.models;
SELECT informer_infer_now(:pid) > 0 AS a_forecasts;
RESET ROLE;
SET ROLE model_b;
SELECT count(*) AS b_sees_models, (SELECT count(*) FROM informer.predictions) AS b_sees_predictions,
       (SELECT count(*) FROM informer.model_stats) AS b_sees_stats FROM informer.models;
-- b may not read the log: it may not train on it, nor forecast with a's model
SELECT informer_train_now(:pid, :'opts');
SELECT informer_deploy_model(:pid, 1);
SELECT informer_drop_model(:pid, :va);
UPDATE informer.models SET active = false;
DELETE FROM informer.predictions;
INSERT INTO informer.models (pattern_id, version, config, metrics, weights, owner)
VALUES (:pid, 99, '{}', '{}', '', 'model_b');
RESET ROLE;
GRANT SELECT ON mlog TO model_b;
SET ROLE model_b;
SELECT informer_infer_now(:pid);
SELECT informer_drop_model(:pid, :va);
RESET ROLE;
-- granted a's privileges, b sees a's models and may manage them
GRANT model_a TO model_b;
SET ROLE model_b;
SELECT count(*) AS b_sees_models_now, bool_and(owner = 'model_a'::regrole) AS all_of_a FROM informer.models;
SELECT informer_infer_now(:pid) > 0 AS b_forecasts;
SELECT informer_drop_model(:pid, :va) AS b_drops_a_model;
RESET ROLE;
-- a pattern's models and predictions go with it
DELETE FROM informer.pattern WHERE pattern_id = :pid;
SELECT count(*) AS models_left FROM informer.models WHERE pattern_id = :pid;
DROP OWNED BY model_a, model_b;
DROP ROLE model_a, model_b;
-- leave informer's tables as the other tests expect them
DELETE FROM informer.mining_run WHERE source_name = 'mdl';
DELETE FROM informer.traffic t USING informer.rpc r
 WHERE r.rpc_id = t.rpc_id AND (r.src, r.dst) IN (SELECT src, dst FROM mlog);
DELETE FROM informer.rpc WHERE (src, dst) IN (SELECT src, dst FROM mlog);
SELECT informer_drop_source('mdl');
DROP TABLE next_fc, mlog;
