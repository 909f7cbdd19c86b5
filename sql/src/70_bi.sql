-- informer install script, part 70: what dashboards and people look at.
-- Stable views for BI tools (Grafana, Metabase, Superset) and an SVG plot of
-- one RPC; all of them read informer.anomalies and plain tables, never a
-- model.  The views run with the privileges of the caller (security_invoker).

-- ---------------------------------------------------------------------------
-- Views for dashboards

CREATE VIEW informer.v_anomalies WITH (security_invoker = true) AS
SELECT a.bucket, a.pattern_id, a.rpc_id, a.src, a.dst,
       a.src OPERATOR(pg_catalog.||) ' -> ' OPERATOR(pg_catalog.||) a.dst AS rpc,
       a.observed, a.predicted, a.lower, a.upper, a.score,
       pg_catalog.abs(a.score) AS abs_score, a.direction, a.model_id, a.model_version
  FROM informer.anomalies a
 WHERE a.is_anomaly;
COMMENT ON VIEW informer.v_anomalies IS
    'anomalous buckets (spikes and drops) with a readable rpc label and |score|; one row per pattern, RPC and bucket';

CREATE VIEW informer.v_traffic_forecast WITH (security_invoker = true) AS
SELECT a.bucket, a.pattern_id, a.rpc_id,
       a.src OPERATOR(pg_catalog.||) ' -> ' OPERATOR(pg_catalog.||) a.dst AS rpc,
       a.observed, a.predicted, a.lower, a.upper, a.is_anomaly, a.direction, a.score,
       false AS pending
  FROM informer.anomalies a
UNION ALL
-- forecasts of buckets not complete yet: the active model's latest one
SELECT f.bucket, f.pattern_id, f.rpc_id,
       r.src OPERATOR(pg_catalog.||) ' -> ' OPERATOR(pg_catalog.||) r.dst,
       NULL::bigint, f.predicted, f.lower, f.upper, NULL::boolean, NULL::text, NULL::float8,
       true
  FROM (SELECT DISTINCT ON (m.pattern_id, p.rpc_id, p.bucket)
               m.pattern_id, p.rpc_id, p.bucket, p.predicted, p.lower, p.upper
          FROM informer.predictions p
          JOIN informer.models m ON m.model_id OPERATOR(pg_catalog.=) p.model_id
          JOIN informer.pattern pt ON pt.pattern_id OPERATOR(pg_catalog.=) m.pattern_id
          JOIN informer.mining_run mr ON mr.run_id OPERATOR(pg_catalog.=) pt.run_id
          JOIN informer.source s ON s.source_name OPERATOR(pg_catalog.=) mr.source_name
          JOIN informer.source_state st ON st.source_name OPERATOR(pg_catalog.=) s.source_name
         WHERE m.active
           AND (p.bucket OPERATOR(pg_catalog.+) s.bucket_width)
               OPERATOR(pg_catalog.>) (st.watermark OPERATOR(pg_catalog.-) st.lateness)
         ORDER BY m.pattern_id, p.rpc_id, p.bucket, p.made_at DESC, p.step) f
  JOIN informer.rpc r ON r.rpc_id OPERATOR(pg_catalog.=) f.rpc_id;
COMMENT ON VIEW informer.v_traffic_forecast IS
    'per pattern, RPC and bucket: observed calls next to the forecast and its bounds (judged buckets), and the pending forecasts of buckets not complete yet (pending, observed NULL)';

CREATE VIEW informer.v_models WITH (security_invoker = true) AS
SELECT m.model_id, m.pattern_id, m.version, m.active, m.created_at,
       pg_catalog.octet_length(m.weights) AS weight_bytes, m.config, m.metrics,
       (SELECT pg_catalog.max(p.made_at) FROM informer.predictions p
         WHERE p.model_id OPERATOR(pg_catalog.=) m.model_id) AS last_forecast_at,
       (SELECT pg_catalog.count(*) FROM informer.anomalies a
         WHERE a.model_id OPERATOR(pg_catalog.=) m.model_id AND a.is_anomaly) AS anomalies
  FROM informer.models m;
COMMENT ON VIEW informer.v_models IS
    'trained models without their weights: version, active flag, size, configuration, metrics, latest forecast, anomalies judged with it';

CREATE VIEW informer.v_rpc_status WITH (security_invoker = true) AS
SELECT r.rpc_id, r.src, r.dst,
       (SELECT pg_catalog.max(t.bucket) FROM informer.traffic t
         WHERE t.rpc_id OPERATOR(pg_catalog.=) r.rpc_id) AS last_seen,
       ARRAY(SELECT DISTINCT m.pattern_id
               FROM informer.models m
               JOIN informer.pattern_rpc pr ON pr.pattern_id OPERATOR(pg_catalog.=) m.pattern_id
              WHERE m.active AND pr.rpc_id OPERATOR(pg_catalog.=) r.rpc_id
              ORDER BY 1) AS active_patterns,
       CASE WHEN NOT EXISTS (
                SELECT FROM informer.models m
                  JOIN informer.pattern_rpc pr ON pr.pattern_id OPERATOR(pg_catalog.=) m.pattern_id
                 WHERE m.active AND pr.rpc_id OPERATOR(pg_catalog.=) r.rpc_id) THEN 'unmodelled'
            WHEN (SELECT a.direction FROM informer.anomalies a
                   WHERE a.rpc_id OPERATOR(pg_catalog.=) r.rpc_id
                   ORDER BY a.bucket DESC LIMIT 1) IS NOT DISTINCT FROM 'retired' THEN 'retired'
            ELSE 'modelled'
       END AS status
  FROM informer.rpc r;
COMMENT ON VIEW informer.v_rpc_status IS
    'each RPC: last bucket with calls, the patterns whose active model judges it, and status modelled | unmodelled (new: judged after retraining) | retired (silent beyond retired_after)';

GRANT SELECT ON informer.v_anomalies, informer.v_traffic_forecast, informer.v_models,
                informer.v_rpc_status TO PUBLIC;

-- ---------------------------------------------------------------------------
-- A picture of one RPC (the paper's Figure 4): observed calls, the forecast,
-- the band between the bounds, and a red dot on every anomalous bucket.
-- Built with xmlelement(), so names of services are escaped and the result
-- is always well-formed.

-- The judged buckets of one RPC of one pattern in [from_ts, to_ts).
CREATE FUNCTION informer._plot_rows(rpc_id int4, pattern_id int4, from_ts timestamptz, to_ts timestamptz)
RETURNS SETOF informer.anomalies
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT a.* FROM informer.anomalies a
     WHERE a.rpc_id OPERATOR(pg_catalog.=) _plot_rows.rpc_id
       AND a.pattern_id OPERATOR(pg_catalog.=) _plot_rows.pattern_id
       AND a.bucket OPERATOR(pg_catalog.>=) _plot_rows.from_ts
       AND a.bucket OPERATOR(pg_catalog.<) _plot_rows.to_ts;
END;
COMMENT ON FUNCTION informer._plot_rows(int4, int4, timestamptz, timestamptz)
    IS 'internal: the rows of informer.anomalies that informer_plot_svg() draws';

CREATE FUNCTION @extschema@.informer_plot_svg(
    rpc_id     int4,
    from_ts    timestamptz,
    to_ts      timestamptz,
    pattern_id int4 DEFAULT NULL,
    width      int4 DEFAULT 900,
    height     int4 DEFAULT 320)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r       informer.rpc;
    pats    int4[];
    n       bigint;
    ylo     float8;
    yhi     float8;
    t0      float8 := pg_catalog.date_part('epoch', from_ts);
    t1      float8 := pg_catalog.date_part('epoch', to_ts);
    pw      float8 := width - 80;    -- plot area: 60 left, 20 right
    ph      float8 := height - 70;   -- 30 top, 40 bottom
    svg     xml;
BEGIN
    IF rpc_id IS NULL OR from_ts IS NULL OR to_ts IS NULL THEN
        RAISE EXCEPTION 'rpc_id, from_ts and to_ts must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT from_ts < to_ts OR pg_catalog.isfinite(from_ts) IS NOT TRUE
       OR pg_catalog.isfinite(to_ts) IS NOT TRUE THEN
        RAISE EXCEPTION 'the time range must be finite and from_ts before to_ts, not [%, %)', from_ts, to_ts
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF width NOT BETWEEN 200 AND 10000 OR height NOT BETWEEN 120 AND 10000 THEN
        RAISE EXCEPTION 'the picture must be 200 to 10000 pixels wide and 120 to 10000 high, not %x%', width, height
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO r FROM informer.rpc x WHERE x.rpc_id OPERATOR(pg_catalog.=) informer_plot_svg.rpc_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'RPC % does not exist', rpc_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT rpc_id, src, dst FROM informer.rpc lists the RPCs.';
    END IF;
    IF pattern_id IS NULL THEN
        SELECT pg_catalog.array_agg(DISTINCT a.pattern_id) INTO pats FROM informer.anomalies a
         WHERE a.rpc_id OPERATOR(pg_catalog.=) informer_plot_svg.rpc_id
           AND a.bucket OPERATOR(pg_catalog.>=) from_ts AND a.bucket OPERATOR(pg_catalog.<) to_ts;
        IF pg_catalog.cardinality(pats) > 1 THEN
            RAISE EXCEPTION 'RPC % is judged in several patterns in this range', rpc_id
                USING ERRCODE = 'ambiguous_parameter',
                      DETAIL = pg_catalog.format('It belongs to patterns %s.', pats),
                      HINT = 'Pass pattern_id to pick one.';
        END IF;
        pattern_id := pats[1];
    END IF;

    SELECT pg_catalog.count(*) INTO n FROM informer._plot_rows(rpc_id, pattern_id, from_ts, to_ts);
    IF n > 20000 THEN
        RAISE EXCEPTION 'the range holds % buckets, more than a plot of 20000', n
            USING ERRCODE = 'program_limit_exceeded',
                  HINT = 'Plot a shorter range.';
    END IF;
    SELECT LEAST(0, pg_catalog.min(p.lower)),
           GREATEST(pg_catalog.max(p.observed), pg_catalog.max(p.upper), pg_catalog.max(p.predicted), 1)
      INTO ylo, yhi FROM informer._plot_rows(rpc_id, pattern_id, from_ts, to_ts) p;
    ylo := COALESCE(ylo, 0);
    yhi := COALESCE(yhi, 1);

    WITH pt AS (
        SELECT p.*, pg_catalog.round((60 + pw * (pg_catalog.date_part('epoch', p.bucket) - t0) / (t1 - t0))::numeric, 1) AS x,
               pg_catalog.round((30 + ph * (yhi - p.observed) / (yhi - ylo))::numeric, 1) AS y_obs,
               pg_catalog.round((30 + ph * (yhi - p.predicted) / (yhi - ylo))::numeric, 1) AS y_pred,
               pg_catalog.round((30 + ph * (yhi - p.upper) / (yhi - ylo))::numeric, 1) AS y_up,
               pg_catalog.round((30 + ph * (yhi - p.lower) / (yhi - ylo))::numeric, 1) AS y_lo
          FROM informer._plot_rows(rpc_id, pattern_id, from_ts, to_ts) p),
    line AS (
        SELECT pg_catalog.string_agg(x || ',' || y_obs, ' ' ORDER BY bucket) AS obs,
               pg_catalog.string_agg(x || ',' || y_pred, ' ' ORDER BY bucket) AS pred,
               pg_catalog.string_agg(x || ',' || y_up, ' ' ORDER BY bucket) AS up,
               pg_catalog.string_agg(x || ',' || y_lo, ' ' ORDER BY bucket) AS lo,
               pg_catalog.string_agg(x || ',' || y_up, ' ' ORDER BY bucket)
                 || ' ' || pg_catalog.string_agg(x || ',' || y_lo, ' ' ORDER BY bucket DESC) AS band
          FROM pt)
    SELECT xmlelement(name svg,
               xmlattributes('http://www.w3.org/2000/svg' AS xmlns, width AS width, height AS height,
                             pg_catalog.format('0 0 %s %s', width, height) AS "viewBox",
                             'sans-serif' AS "font-family", 11 AS "font-size"),
               xmlelement(name title, pg_catalog.format('calls of %s -> %s (RPC %s, pattern %s)',
                                                        r.src, r.dst, r.rpc_id, COALESCE(pattern_id::text, 'none'))),
               xmlelement(name rect, xmlattributes(0 AS x, 0 AS y, width AS width, height AS height, 'white' AS fill)),
               xmlelement(name text, xmlattributes(60 AS x, 18 AS y, 'bold' AS "font-weight"),
                          pg_catalog.format('%s -> %s', r.src, r.dst)),
               xmlelement(name polygon, xmlattributes('band' AS class, line.band AS points, '#cfe0f3' AS fill)),
               xmlelement(name polyline, xmlattributes('upper' AS class, line.up AS points, 'none' AS fill,
                          '#5b8fd0' AS stroke, '4 3' AS "stroke-dasharray")),
               xmlelement(name polyline, xmlattributes('lower' AS class, line.lo AS points, 'none' AS fill,
                          '#5b8fd0' AS stroke, '4 3' AS "stroke-dasharray")),
               xmlelement(name polyline, xmlattributes('predicted' AS class, line.pred AS points, 'none' AS fill,
                          '#1f4e99' AS stroke, 1.5 AS "stroke-width")),
               xmlelement(name polyline, xmlattributes('observed' AS class, line.obs AS points, 'none' AS fill,
                          '#222222' AS stroke, 1.5 AS "stroke-width")),
               (SELECT xmlagg(xmlelement(name circle,
                          xmlattributes('anomaly' AS class,
                                        pg_catalog.to_char(pt.bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "data-bucket",
                                        pt.direction AS "data-direction",
                                        pt.x AS cx, pt.y_obs AS cy, 4 AS r, '#d62728' AS fill))
                          ORDER BY pt.bucket)
                  FROM pt WHERE pt.is_anomaly),
               xmlelement(name line, xmlattributes(60 AS x1, 30 + ph AS y1, 60 + pw AS x2, 30 + ph AS y2, '#888888' AS stroke)),
               xmlelement(name line, xmlattributes(60 AS x1, 30 AS y1, 60 AS x2, 30 + ph AS y2, '#888888' AS stroke)),
               xmlelement(name text, xmlattributes(55 AS x, 34 AS y, 'end' AS "text-anchor"), pg_catalog.round(yhi::numeric, 1)),
               xmlelement(name text, xmlattributes(55 AS x, 30 + ph AS y, 'end' AS "text-anchor"), pg_catalog.round(ylo::numeric, 1)),
               xmlelement(name text, xmlattributes(60 AS x, height - 22 AS y),
                          pg_catalog.to_char(from_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')),
               xmlelement(name text, xmlattributes(60 + pw AS x, height - 22 AS y, 'end' AS "text-anchor"),
                          pg_catalog.to_char(to_ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')),
               xmlelement(name text, xmlattributes(60 AS x, height - 6 AS y),
                          'black: observed calls; blue: forecast; band: lower to upper bound; red: anomaly'))
      INTO svg
      FROM line;
    RETURN svg::text;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_plot_svg(int4, timestamptz, timestamptz, int4, int4, int4)
    IS 'an SVG picture of one RPC over [from_ts, to_ts): observed calls, forecast, bounds and anomalies, from informer.anomalies (pattern_id picks one when the RPC is judged in several)';
