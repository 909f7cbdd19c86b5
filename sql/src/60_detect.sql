-- informer install script, part 60: detection.  Each complete bucket of an
-- RPC is judged against the forecast made for it; the results are kept in
-- the materialized view informer.anomalies, which every reader (the
-- informer_anomalies() function, the BI views, the plot) reads instead of
-- loading a model.

-- ---------------------------------------------------------------------------
-- Settings of the judgement (one row)

CREATE TABLE informer.detect_settings (
    one_row       boolean PRIMARY KEY DEFAULT true CHECK (one_row),
    horizon_step  int4 NOT NULL DEFAULT 1 CHECK (horizon_step BETWEEN 1 AND 1000),
    retired_after int4 NOT NULL DEFAULT 6 CHECK (retired_after BETWEEN 1 AND 100000)
);
COMMENT ON TABLE informer.detect_settings IS
    'how buckets are judged: against the forecast made horizon_step buckets before them; an RPC silent for more than retired_after buckets is retired, not a drop';
INSERT INTO informer.detect_settings DEFAULT VALUES;
SELECT pg_catalog.pg_extension_config_dump('informer.detect_settings', '');
GRANT SELECT ON informer.detect_settings TO PUBLIC;

CREATE FUNCTION @extschema@.informer_set_detection(
    horizon_step  int4 DEFAULT NULL,
    retired_after int4 DEFAULT NULL)
RETURNS informer.detect_settings
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d informer.detect_settings;
BEGIN
    IF horizon_step NOT BETWEEN 1 AND 1000 THEN
        RAISE EXCEPTION 'horizon_step must be between 1 and 1000, not %', horizon_step
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Step 1 judges each bucket against the forecast made one bucket before it; a step beyond the models'' horizon judges nothing.';
    END IF;
    IF retired_after NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'retired_after must be between 1 and 100000 buckets, not %', retired_after
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'It is how many silent buckets in a row are reported as drops before the RPC counts as retired.';
    END IF;
    UPDATE informer.detect_settings x
       SET horizon_step = COALESCE(informer_set_detection.horizon_step, x.horizon_step),
           retired_after = COALESCE(informer_set_detection.retired_after, x.retired_after)
    RETURNING * INTO STRICT d;
    RETURN d;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_set_detection(int4, int4)
    IS 'sets the forecast step buckets are judged against and after how many silent buckets an RPC counts as retired (NULL keeps a setting); takes effect at the next refresh of informer.anomalies';

-- ---------------------------------------------------------------------------
-- The judgement of every complete bucket that has a forecast
--
-- A bucket is complete once the source's watermark, less its lateness, has
-- passed its end.  Each (pattern, RPC, bucket) is judged against the newest
-- model version of the pattern that forecast it at informer.detect_settings'
-- horizon_step.  The bounds are the forecast's own (informer.predictions):
-- the calls whose stable value sqrt(calls + 3/8) lies in
-- sqrt(predicted + 3/8) + M -+ k*Sigma, so on that scale the forecast plus M
-- is their midpoint, and the score is (sqrt(observed + 3/8) - midpoint) /
-- Sigma (NULL when the forecast has no Sigma).  A bound below -3/8 is the
-- continuation of a stable bound below 0 (informer._stable inverts it).
-- A bucket without a traffic row had zero calls.  Zero calls after more than
-- retired_after silent buckets is 'retired', not an anomaly.
CREATE FUNCTION informer._stable(calls float8)
RETURNS float8
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN pg_catalog.sign(calls OPERATOR(pg_catalog.+) 0.375::float8)
       OPERATOR(pg_catalog.*) pg_catalog.sqrt(pg_catalog.abs(calls OPERATOR(pg_catalog.+) 0.375::float8));
COMMENT ON FUNCTION informer._stable(float8)
    IS 'internal: sqrt(calls + 3/8), the square-root scale of the detection statistics, continued as -sqrt(-(calls + 3/8)) below -3/8';

CREATE MATERIALIZED VIEW informer.anomalies AS
WITH settings AS (
    SELECT d.horizon_step, d.retired_after FROM informer.detect_settings d),
forecast AS (
    SELECT DISTINCT ON (m.pattern_id, p.rpc_id, p.bucket)
           m.pattern_id, p.rpc_id, p.bucket, m.model_id, m.version AS model_version,
           p.predicted, p.lower, p.upper, p.sigma, s.bucket_width
      FROM informer.predictions p
      JOIN informer.models m ON m.model_id OPERATOR(pg_catalog.=) p.model_id
      JOIN informer.pattern pt ON pt.pattern_id OPERATOR(pg_catalog.=) m.pattern_id
      JOIN informer.mining_run r ON r.run_id OPERATOR(pg_catalog.=) pt.run_id
      JOIN informer.source s ON s.source_name OPERATOR(pg_catalog.=) r.source_name
      JOIN informer.source_state st ON st.source_name OPERATOR(pg_catalog.=) s.source_name
      CROSS JOIN settings
     WHERE p.step OPERATOR(pg_catalog.=) settings.horizon_step
       AND (p.bucket OPERATOR(pg_catalog.+) s.bucket_width)
           OPERATOR(pg_catalog.<=) (st.watermark OPERATOR(pg_catalog.-) st.lateness)
     ORDER BY m.pattern_id, p.rpc_id, p.bucket, m.version DESC),
judged AS (
    SELECT f.*, COALESCE(t.calls, 0) AS observed,
           informer._stable(COALESCE(t.calls, 0)) OPERATOR(pg_catalog.-)
           ((informer._stable(f.lower) OPERATOR(pg_catalog.+) informer._stable(f.upper))
            OPERATOR(pg_catalog./) 2) AS distance,  -- from the midpoint, stable scale
           -- silent now and for the retired_after buckets before (the
           -- lookup runs only for silent buckets, which are few)
           (t.calls IS NULL) AND NOT EXISTS (
               SELECT FROM informer.traffic t2
                WHERE t2.rpc_id OPERATOR(pg_catalog.=) f.rpc_id
                  AND t2.bucket OPERATOR(pg_catalog.<=) f.bucket
                  AND t2.bucket OPERATOR(pg_catalog.>=)
                      (f.bucket OPERATOR(pg_catalog.-)
                       (settings.retired_after OPERATOR(pg_catalog.*) f.bucket_width))) AS retired
      FROM forecast f
      CROSS JOIN settings
      LEFT JOIN informer.traffic t
        ON t.rpc_id OPERATOR(pg_catalog.=) f.rpc_id AND t.bucket OPERATOR(pg_catalog.=) f.bucket)
SELECT j.pattern_id, j.rpc_id, r.src, r.dst, j.bucket, j.observed,
       j.predicted, j.lower, j.upper,
       CASE WHEN j.sigma IS NULL THEN NULL
            WHEN j.sigma OPERATOR(pg_catalog.>) 0 THEN j.distance OPERATOR(pg_catalog./) j.sigma
            WHEN j.distance OPERATOR(pg_catalog.=) 0 THEN 0
            ELSE pg_catalog.sign(j.distance) OPERATOR(pg_catalog.*) 'Infinity'::float8
       END AS score,
       CASE WHEN j.retired THEN 'retired'
            WHEN j.observed OPERATOR(pg_catalog.>) j.upper THEN 'spike'
            WHEN j.observed OPERATOR(pg_catalog.<) j.lower THEN 'drop'
       END AS direction,
       (NOT j.retired) AND (j.observed OPERATOR(pg_catalog.>) j.upper
                          OR j.observed OPERATOR(pg_catalog.<) j.lower) AS is_anomaly,
       j.model_id, j.model_version
  FROM judged j
  JOIN informer.rpc r ON r.rpc_id OPERATOR(pg_catalog.=) j.rpc_id;
COMMENT ON MATERIALIZED VIEW informer.anomalies IS
    'every complete bucket of every modelled RPC judged against its forecast: observed, predicted, bounds, score = (sqrt(observed + 3/8) - sqrt(predicted + 3/8) - M)/Sigma, direction spike|drop|retired, is_anomaly; refreshed by informer_detect() or informer_refresh_anomalies()';
CREATE UNIQUE INDEX anomalies_key ON informer.anomalies (pattern_id, rpc_id, bucket);
CREATE INDEX anomalies_rpc_idx ON informer.anomalies (rpc_id, bucket);
CREATE INDEX anomalies_found_idx ON informer.anomalies (bucket) WHERE is_anomaly;

-- Refreshing needs the view's owner; this wrapper lets any role that may run
-- detection do it (it reads nothing the view does not already show).
CREATE FUNCTION @extschema@.informer_refresh_anomalies(concurrent boolean DEFAULT true)
RETURNS bigint
LANGUAGE plpgsql STRICT VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- the planner's cost of the per-row lookups passes jit_above_cost, and
-- compiling the query then takes seconds to save nothing (2.3 s against
-- 0.04 s for 1800 rows)
SET jit = off
AS $$
DECLARE
    n bigint;
BEGIN
    IF concurrent THEN
        REFRESH MATERIALIZED VIEW CONCURRENTLY informer.anomalies;
    ELSE
        REFRESH MATERIALIZED VIEW informer.anomalies;
    END IF;
    SELECT pg_catalog.count(*) INTO n FROM informer.anomalies a WHERE a.is_anomaly;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_refresh_anomalies(boolean)
    IS 'recomputes informer.anomalies (concurrently by default: readers are never blocked); returns the number of anomalous buckets';

-- ---------------------------------------------------------------------------
-- Reading the results

CREATE FUNCTION @extschema@.informer_anomalies(
    since      timestamptz DEFAULT pg_catalog.now() OPERATOR(pg_catalog.-) interval '1 day',
    pattern_id int4 DEFAULT NULL,
    min_score  float8 DEFAULT NULL,
    rpc_id     int4 DEFAULT NULL,
    until      timestamptz DEFAULT NULL)
RETURNS SETOF informer.anomalies
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF since IS NULL THEN
        RAISE EXCEPTION 'since must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass ''-infinity'' for every anomaly ever found.';
    END IF;
    IF min_score < 0 OR min_score = 'NaN' THEN
        RAISE EXCEPTION 'min_score must be a non-negative number, not %', min_score
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'It bounds the absolute score, so that spikes and drops are filtered alike.',
                  HINT = 'The default threshold is 3 (informer.threshold_sigma).';
    END IF;
    IF informer_anomalies.pattern_id IS NOT NULL AND NOT EXISTS (
           SELECT FROM informer.pattern p
            WHERE p.pattern_id OPERATOR(pg_catalog.=) informer_anomalies.pattern_id) THEN
        RAISE EXCEPTION 'pattern % does not exist', informer_anomalies.pattern_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT pattern_id FROM informer.pattern lists the mined patterns.';
    END IF;
    RETURN QUERY
    SELECT a.* FROM informer.anomalies a
     WHERE a.is_anomaly
       AND a.bucket OPERATOR(pg_catalog.>=) since
       AND (until IS NULL OR a.bucket OPERATOR(pg_catalog.<) until)
       AND (informer_anomalies.pattern_id IS NULL
            OR a.pattern_id OPERATOR(pg_catalog.=) informer_anomalies.pattern_id)
       AND (informer_anomalies.rpc_id IS NULL
            OR a.rpc_id OPERATOR(pg_catalog.=) informer_anomalies.rpc_id)
       AND (min_score IS NULL OR pg_catalog.abs(a.score) OPERATOR(pg_catalog.>=) min_score)
     ORDER BY a.bucket, a.pattern_id, a.rpc_id;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_anomalies(timestamptz, int4, float8, int4, timestamptz)
    IS 'anomalous buckets from informer.anomalies since a time (default: the last day), optionally of one pattern or RPC, with |score| at least min_score, before until';

-- ---------------------------------------------------------------------------
-- The detection step: traffic, forecasts, judgement

-- The first bucket that is not complete yet for each active model's source:
-- a model is due when it has no forecast for it.
CREATE FUNCTION informer._due_models()
RETURNS TABLE (model_id bigint, pattern_id int4, next_bucket timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT m.model_id, m.pattern_id,
           informer._bucket(s.bucket_width, st.watermark OPERATOR(pg_catalog.-) st.lateness)
      FROM informer.models m
      JOIN informer.pattern pt ON pt.pattern_id OPERATOR(pg_catalog.=) m.pattern_id
      JOIN informer.mining_run r ON r.run_id OPERATOR(pg_catalog.=) pt.run_id
      JOIN informer.source s ON s.source_name OPERATOR(pg_catalog.=) r.source_name
      JOIN informer.source_state st ON st.source_name OPERATOR(pg_catalog.=) s.source_name
     WHERE m.active AND st.watermark IS NOT NULL
       AND NOT EXISTS (
           SELECT FROM informer.predictions p
            WHERE p.model_id OPERATOR(pg_catalog.=) m.model_id
              AND p.bucket OPERATOR(pg_catalog.>=)
                  informer._bucket(s.bucket_width, st.watermark OPERATOR(pg_catalog.-) st.lateness))
     ORDER BY m.pattern_id;
END;
COMMENT ON FUNCTION informer._due_models()
    IS 'internal: active models without a forecast of the first incomplete bucket of their source';

CREATE FUNCTION @extschema@.informer_detect(
    OUT sources     int4,
    OUT models      int4,
    OUT predictions bigint,
    OUT anomalies   bigint,
    OUT failures    int4)
RETURNS record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s record;
    m record;
    n bigint;
BEGIN
    sources := 0; models := 0; predictions := 0; failures := 0;
    -- one failing source or model (a dropped table, a role without access)
    -- is reported and skipped; the others are still judged
    FOR s IN SELECT x.source_name FROM informer.source x ORDER BY 1 LOOP
        BEGIN
            PERFORM @extschema@.informer_refresh_traffic(s.source_name);
            sources := sources + 1;
        EXCEPTION WHEN OTHERS THEN
            failures := failures + 1;
            RAISE WARNING 'detection skipped the traffic of source "%": %', s.source_name, SQLERRM;
        END;
    END LOOP;
    FOR m IN SELECT * FROM informer._due_models() LOOP
        BEGIN
            n := @extschema@.informer_infer_now(m.pattern_id);
            models := models + 1;
            predictions := predictions + n;
        EXCEPTION WHEN OTHERS THEN
            failures := failures + 1;
            RAISE WARNING 'detection skipped the forecast of pattern %: %', m.pattern_id, SQLERRM;
        END;
    END LOOP;
    anomalies := @extschema@.informer_refresh_anomalies(true);
END
$$;
COMMENT ON FUNCTION @extschema@.informer_detect()
    IS 'one detection step: refreshes the traffic of every source, forecasts with every active model that is due (synchronously), refreshes informer.anomalies';

CREATE FUNCTION @extschema@.informer_retrain_all(options jsonb DEFAULT '{}', together boolean DEFAULT false)
RETURNS TABLE (pattern_id int4, job_id bigint)
LANGUAGE plpgsql STRICT VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r record;
BEGIN
    -- each pattern is retrained with its active model's options, over the
    -- whole traffic up to now (its training range is dropped), and with
    -- the options given here on top; together: one informer_train_group
    -- job per set of patterns with equal options (at most 10,000 each)
    FOR r IN
        SELECT e.opts, pg_catalog.array_agg(e.pattern_id ORDER BY e.pattern_id) AS patterns
          FROM (SELECT o.*, pg_catalog.row_number() OVER (PARTITION BY o.opts ORDER BY o.pattern_id) AS n
                  FROM (SELECT x.pattern_id,
                               COALESCE((SELECT pg_catalog.jsonb_object_agg(c.key, c.value)
                                           FROM pg_catalog.jsonb_each(x.config) c
                                          WHERE c.key IN (SELECT pg_catalog.jsonb_object_keys(informer._train_options('{}')))
                                            AND c.key NOT IN ('train_from', 'train_to')
                                            AND c.value OPERATOR(pg_catalog.<>) 'null'), '{}')
                               OPERATOR(pg_catalog.||) options AS opts
                          FROM informer.models x WHERE x.active) o) e
         GROUP BY e.opts, CASE WHEN together THEN (e.n OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog./) 10000
                               ELSE e.pattern_id END
         ORDER BY pg_catalog.min(e.pattern_id)
    LOOP
        IF together THEN
            job_id := @extschema@.informer_train_group(r.patterns, r.opts);
        ELSE
            job_id := @extschema@.informer_train(r.patterns[1], r.opts);
        END IF;
        FOREACH pattern_id IN ARRAY r.patterns LOOP
            RETURN NEXT;
        END LOOP;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_retrain_all(jsonb, boolean)
    IS 'queues training for every pattern with an active model, with that model''s options plus the given ones, over all traffic up to now: one informer_train job per pattern, or with together one informer_train_group job per set of patterns with equal options; returns each pattern''s job id';
