-- informer install script, part 50: trained models, their forecasts, and
-- the functions that train, deploy and run them (docs/models.md).

-- ---------------------------------------------------------------------------
-- Models: one row per trained model, weights as the bytea of model_io.h

CREATE TABLE informer.models (
    model_id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pattern_id int4 NOT NULL REFERENCES informer.pattern ON DELETE CASCADE,
    version    int4 NOT NULL CHECK (version > 0),
    config     jsonb NOT NULL,
    metrics    jsonb NOT NULL,
    weights    bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    active     boolean NOT NULL DEFAULT false,
    owner      regrole NOT NULL,
    job_id     bigint,               -- the training job; NULL when trained synchronously
    UNIQUE (pattern_id, version)
);
COMMENT ON TABLE informer.models IS
    'trained DCRNN models of patterns: config, test metrics, weights (with detection statistics) and which version is active';
CREATE UNIQUE INDEX models_one_active_idx ON informer.models (pattern_id) WHERE active;
SELECT pg_catalog.pg_extension_config_dump('informer.models', '');

-- Roles see the models of roles whose privileges they have; rows are
-- written only by the functions below, with the table owner's rights.
ALTER TABLE informer.models ENABLE ROW LEVEL SECURITY;
CREATE POLICY models_visible_to_owner ON informer.models FOR SELECT
    USING (pg_catalog.pg_has_role(owner::oid, 'USAGE'));
GRANT SELECT ON informer.models TO PUBLIC;

-- ---------------------------------------------------------------------------
-- Predictions: forecasts of a model for each RPC, bucket and horizon step

CREATE TABLE informer.predictions (
    model_id  bigint NOT NULL REFERENCES informer.models ON DELETE CASCADE,
    rpc_id    int4 NOT NULL,
    bucket    timestamptz NOT NULL,
    step      int4 NOT NULL CHECK (step > 0),
    predicted float8 NOT NULL,
    lower     float8 NOT NULL,
    upper     float8 NOT NULL,
    sigma     float8,               -- S of the band, square-root scale; NULL: unknown
    made_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (model_id, rpc_id, bucket, step)
);
COMMENT ON TABLE informer.predictions IS
    'forecast calls of each RPC per bucket, made step buckets ahead, with the band of calls whose sqrt(calls + 3/8) lies in sqrt(predicted + 3/8) + M +- k*S (the model''s detection statistics M, S; k from informer.threshold_sigma and informer.threshold_scope) and S itself';
CREATE INDEX predictions_bucket_idx ON informer.predictions (bucket);
SELECT pg_catalog.pg_extension_config_dump('informer.predictions', '');

ALTER TABLE informer.predictions ENABLE ROW LEVEL SECURITY;
CREATE POLICY predictions_visible_with_model ON informer.predictions FOR SELECT
    USING (EXISTS (SELECT 1 FROM informer.models m
                    WHERE m.model_id OPERATOR(pg_catalog.=) predictions.model_id));
GRANT SELECT ON informer.predictions TO PUBLIC;

INSERT INTO informer.job_kind VALUES
    ('train', 'trains a DCRNN for a pattern and stores it as a new active model, run as the submitting role'),
    ('infer', 'forecasts the next buckets of a pattern with its active model, run as the submitting role');

-- ---------------------------------------------------------------------------
-- Options of training, checked and completed with the paper's defaults

CREATE FUNCTION informer._train_options(options jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- key, default, kind, min, max
    spec CONSTANT text[][] := ARRAY[
        ['units',           '64',   'int',    '1', '1024'],
        ['layers',          '2',    'int',    '1', '8'],
        ['diffusion_steps', '2',    'int',    '0', '8'],
        ['history',         '12',   'int',    '1', '1000'],
        ['horizon',         '5',    'int',    '1', '1000'],
        ['epochs',          '100',  'int',    '1', '100000'],
        ['batch',           '64',   'int',    '1', '4096'],
        ['lr',              '0.01', 'number', '0', '1'],
        ['patience',        '10',   'int',    '1', '100000'],
        ['seed',            '1',    'int',    '0', '2147483647'],
        ['threads',         '1',    'int',    '1', '64'],
        ['train_from',      NULL,   'timestamptz', NULL, NULL],
        ['train_to',        NULL,   'timestamptz', NULL, NULL]];
    result jsonb := '{}';
    k text;
    v jsonb;
    i int;
    n numeric;
BEGIN
    IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'training options must be a jsonb object'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass e.g. ''{"units": 8, "epochs": 5}''.';
    END IF;
    FOR k IN SELECT jsonb_object_keys(options) LOOP
        IF k <> ALL (SELECT spec[j][1] FROM generate_subscripts(spec, 1) j) THEN
            RAISE EXCEPTION 'unknown training option "%"', k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Known options: units, layers, diffusion_steps, history, horizon, epochs, batch, lr, patience, seed, threads, train_from, train_to.';
        END IF;
    END LOOP;
    FOR i IN 1 .. array_length(spec, 1) LOOP
        v := options -> spec[i][1];
        IF v IS NULL OR v = 'null' THEN
            result := result || jsonb_build_object(spec[i][1], spec[i][2]::jsonb);
            CONTINUE;
        END IF;
        IF spec[i][3] = 'timestamptz' THEN
            IF jsonb_typeof(v) <> 'string' OR (v #>> '{}') IN ('infinity', '-infinity') THEN
                RAISE EXCEPTION 'training option "%" must be a timestamp string, not %', spec[i][1], v
                    USING ERRCODE = 'invalid_parameter_value';
            END IF;
            result := result || jsonb_build_object(spec[i][1], (v #>> '{}')::timestamptz);
            CONTINUE;
        END IF;
        IF jsonb_typeof(v) <> 'number' THEN
            RAISE EXCEPTION 'training option "%" must be a number, not %', spec[i][1], v
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        n := v::numeric;
        IF spec[i][3] = 'int' AND n <> trunc(n) THEN
            RAISE EXCEPTION 'training option "%" must be an integer, not %', spec[i][1], v
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF n < spec[i][4]::numeric OR n > spec[i][5]::numeric
           OR (spec[i][1] = 'lr' AND n = 0) THEN
            RAISE EXCEPTION 'training option "%" is out of range: %', spec[i][1], v
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('It must be %s %s and at most %s.',
                                      CASE WHEN spec[i][1] = 'lr' THEN 'above' ELSE 'at least' END,
                                      spec[i][4], spec[i][5]);
        END IF;
        result := result || jsonb_build_object(spec[i][1], v);
    END LOOP;
    IF (result ->> 'train_from')::timestamptz >= (result ->> 'train_to')::timestamptz THEN
        RAISE EXCEPTION 'training option "train_from" must be before "train_to"'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION informer._train_options(jsonb)
    IS 'internal: training options checked (unknown key, type, range) and completed with the paper''s defaults';

-- Options of a queued forecast: none, or a backfill range
CREATE FUNCTION informer._infer_options(options jsonb)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    k text;
BEGIN
    IF options IS NULL OR jsonb_typeof(options) <> 'object' THEN
        RAISE EXCEPTION 'inference options must be a jsonb object'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR k IN SELECT jsonb_object_keys(options) LOOP
        IF k NOT IN ('from', 'to') THEN
            RAISE EXCEPTION 'unknown inference option "%"', k
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Known options: from and to, timestamps of a range to backfill.';
        END IF;
        IF jsonb_typeof(options -> k) <> 'string' THEN
            RAISE EXCEPTION 'inference option "%" must be a timestamp string, not %', k, options -> k
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END LOOP;
    IF (options ? 'from') <> (options ? 'to') THEN
        RAISE EXCEPTION 'inference options "from" and "to" go together'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF options ? 'from' AND (options ->> 'from')::timestamptz >= (options ->> 'to')::timestamptz THEN
        RAISE EXCEPTION 'inference option "from" must be before "to"'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN options;
END
$$;
COMMENT ON FUNCTION informer._infer_options(jsonb)
    IS 'internal: inference options checked: none, or "from" and "to" of a range to backfill';

-- ---------------------------------------------------------------------------
-- Training and inference, queued or in the calling backend

CREATE FUNCTION @extschema@.informer_train(pattern_id int, options jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'informer_train'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_train(int, jsonb)
    IS 'queues training of a pattern''s DCRNN, run in the background as the calling role; returns the job id';

CREATE FUNCTION @extschema@.informer_infer(pattern_id int, options jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'informer_infer'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_infer(int, jsonb)
    IS 'queues a forecast of the next buckets of a pattern with its active model, run in the background as the calling role; returns the job id';

CREATE FUNCTION @extschema@.informer_train_now(pattern_id int, options jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'informer_train_now'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_train_now(int, jsonb)
    IS 'trains a pattern''s DCRNN in the calling backend and stores it as the pattern''s new active model; returns the model id';

CREATE FUNCTION @extschema@.informer_infer_now(pattern_id int)
RETURNS bigint
AS 'MODULE_PATHNAME', 'informer_infer_now'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_infer_now(int)
    IS 'forecasts the next horizon buckets after the source''s last complete bucket with the pattern''s active model; returns the predictions stored';

CREATE FUNCTION @extschema@.informer_infer_now(pattern_id int, from_ts timestamptz, to_ts timestamptz)
RETURNS bigint
AS 'MODULE_PATHNAME', 'informer_infer_range'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_infer_now(int, timestamptz, timestamptz)
    IS 'backfills forecasts: every bucket in [from_ts, to_ts) gets its step 1..horizon forecasts, each made from the buckets before its origin only; returns the predictions stored';

-- ---------------------------------------------------------------------------
-- Model management

CREATE FUNCTION @extschema@.informer_deploy_model(pattern_id int, version int)
RETURNS bigint
AS 'MODULE_PATHNAME', 'informer_deploy_model'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_deploy_model(int, int)
    IS 'makes the given version the pattern''s active model; returns its model id';

CREATE FUNCTION @extschema@.informer_rollback_model(pattern_id int)
RETURNS bigint
AS 'MODULE_PATHNAME', 'informer_rollback_model'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_rollback_model(int)
    IS 'activates the newest version older than the pattern''s active model; returns its model id';

CREATE FUNCTION @extschema@.informer_drop_model(pattern_id int, version int)
RETURNS boolean
AS 'MODULE_PATHNAME', 'informer_drop_model'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_drop_model(int, int)
    IS 'deletes a model version and its predictions; false when there is no such version';

CREATE FUNCTION @extschema@.informer_model_info(weights bytea)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'informer_model_info'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.informer_model_info(bytea)
    IS 'decodes a model bytea: configuration, nodes, supports, tensors, parameters and detection statistics sizes; a damaged bytea is an error';

CREATE FUNCTION informer._model_stats(weights bytea)
RETURNS TABLE (node int, step int, err_mean float8, err_std float8)
AS 'MODULE_PATHNAME', 'informer_model_stats'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION informer._model_stats(bytea)
    IS 'internal: the detection statistics of a model bytea, per node (0-based, rpc_id order) and horizon step';

CREATE VIEW informer.model_stats WITH (security_invoker = true) AS
SELECT m.model_id,
       (m.config -> 'rpc_ids' ->> s.node)::int4 AS rpc_id,
       s.step, s.err_mean, s.err_std
  FROM informer.models m, informer._model_stats(m.weights) s;
COMMENT ON VIEW informer.model_stats IS
    'detection statistics of each model: mean and standard deviation of sqrt(observed + 3/8) - sqrt(predicted + 3/8) per RPC and horizon step, on held-out windows';
GRANT SELECT ON informer.model_stats TO PUBLIC;
