-- informer install script, part 80: evaluation of detection against labels:
-- labels expanded to (RPC, bucket) pairs, the seasonal-naive ±kσ baseline,
-- precision and recall of any detector, and seeded anomaly injection into a
-- real RPC log.

-- ---------------------------------------------------------------------------
-- Labels: any table or view with the columns kind, src, dst, ts_start, ts_end
-- (informer_synthetic_labels() and informer_inject_anomalies() both give them)

CREATE FUNCTION informer._check_labels(labels regclass)
RETURNS void
LANGUAGE plpgsql STRICT STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (SELECT count(*) FROM pg_attribute a
         WHERE a.attrelid = labels AND NOT a.attisdropped AND a.attnum > 0
           AND (a.attname, a.atttypid) IN (('kind', 'text'::regtype), ('src', 'text'::regtype),
                                           ('dst', 'text'::regtype),
                                           ('ts_start', 'timestamptz'::regtype),
                                           ('ts_end', 'timestamptz'::regtype))) <> 5 THEN
        RAISE EXCEPTION 'relation % is not a label table', labels
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'A label table has the columns kind text, src text, dst text, ts_start timestamptz and ts_end timestamptz.',
                  HINT = 'Store the labels with CREATE TABLE ... AS SELECT * FROM informer_synthetic_labels(...).';
    END IF;
END
$$;
COMMENT ON FUNCTION informer._check_labels(regclass)
    IS 'internal: raises an error unless the relation has the columns of a label table';

CREATE FUNCTION @extschema@.informer_eval_truth(source_name text, labels regclass)
RETURNS TABLE (kind text, rpc_id int4, src text, dst text, bucket timestamptz)
LANGUAGE plpgsql STRICT STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s informer.source := informer._source(source_name);
BEGIN
    PERFORM informer._check_labels(labels);
    RETURN QUERY EXECUTE format(
        'SELECT l.kind, r.rpc_id, l.src, l.dst, b
           FROM %s l
           LEFT JOIN informer.rpc r ON r.src = l.src AND r.dst = l.dst
          CROSS JOIN LATERAL generate_series(informer._bucket($1, l.ts_start), l.ts_end, $1) b
          WHERE b < l.ts_end', labels)
        USING s.bucket_width;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_eval_truth(text, regclass)
    IS 'labels expanded to one row per labelled (RPC, bucket) of the source''s bucket width; rpc_id is NULL for an RPC the dictionary lacks';

-- ---------------------------------------------------------------------------
-- The seasonal-naive baseline: the forecast of a bucket is the count of the
-- same bucket one season earlier; the error mean M and standard deviation Σ
-- come from the training range, per RPC; outside predicted + M ± kΣ is an
-- anomaly.  It judges the RPCs of the source's latest mining run.

CREATE FUNCTION informer._check_range(what text, lo timestamptz, hi timestamptz)
RETURNS void
LANGUAGE plpgsql STRICT IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT (isfinite(lo) AND isfinite(hi) AND lo < hi) THEN
        RAISE EXCEPTION '% must be finite and end after it starts', what
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The range given was [%s, %s).', lo, hi);
    END IF;
END
$$;
COMMENT ON FUNCTION informer._check_range(text, timestamptz, timestamptz)
    IS 'internal: raises an error unless lo < hi, both finite';

CREATE FUNCTION informer._latest_run_rpcs(source_name text)
RETURNS int4[]
LANGUAGE plpgsql STRICT STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rpcs int4[];
BEGIN
    SELECT array_agg(DISTINCT pr.rpc_id ORDER BY pr.rpc_id) INTO rpcs
      FROM informer.pattern p JOIN informer.pattern_rpc pr USING (pattern_id)
     WHERE p.run_id = (SELECT max(m.run_id) FROM informer.mining_run m
                        WHERE m.source_name = $1);
    IF rpcs IS NULL THEN
        RAISE EXCEPTION 'source "%" has no mined patterns', source_name
            USING ERRCODE = 'no_data_found',
                  HINT = 'Mine patterns first with informer_mine_patterns().';
    END IF;
    RETURN rpcs;
END
$$;
COMMENT ON FUNCTION informer._latest_run_rpcs(text)
    IS 'internal: the RPC ids of the patterns of the source''s latest mining run';

CREATE FUNCTION @extschema@.informer_seasonal_naive(
    source_name text,
    train_from  timestamptz,
    train_to    timestamptz,
    test_from   timestamptz,
    test_to     timestamptz,
    season      interval DEFAULT interval '1 day',
    k           float8 DEFAULT 3)
RETURNS TABLE (rpc_id int4, bucket timestamptz, observed bigint, predicted bigint,
               lower float8, upper float8, score float8, is_anomaly boolean)
LANGUAGE plpgsql STRICT STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s informer.source := informer._source(source_name);
    w interval := s.bucket_width;
    judged int4[] := informer._latest_run_rpcs(s.source_name);
BEGIN
    PERFORM informer._check_range('the training range', train_from, train_to);
    PERFORM informer._check_range('the test range', test_from, test_to);
    IF NOT (k > 0 AND k < 'Infinity') THEN
        RAISE EXCEPTION 'k must be a positive finite number'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The value given was %s.', k),
                  HINT = 'The method''s threshold is k = 3 standard deviations.';
    END IF;
    IF season < w OR date_part('month', season) <> 0
       OR extract(epoch FROM season) % extract(epoch FROM w) <> 0 THEN
        RAISE EXCEPTION 'season must be a whole number of buckets of the source'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The season given was %s, the bucket width of source "%s" is %s.',
                                  season, s.source_name, w),
                  HINT = 'Use interval ''1 day'' for daily traffic.';
    END IF;
    IF train_to - train_from < season + 2 * w THEN
        RAISE EXCEPTION 'the training range must be longer than the season plus two buckets'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The training range is %s long, the season %s.',
                                  train_to - train_from, season),
                  HINT = 'The error statistics need at least two buckets with a forecast.';
    END IF;
    RETURN QUERY
    WITH rpcs AS (SELECT unnest(judged) AS rpc_id),
    grid AS (
        SELECT r.rpc_id, b AS bucket, b >= informer._bucket(w, test_from) AS is_test
          FROM rpcs r,
               generate_series(informer._bucket(w, train_from) + season, informer._bucket(w, train_to) - w, w) b
        UNION ALL
        SELECT r.rpc_id, b, true
          FROM rpcs r, generate_series(informer._bucket(w, test_from), test_to - w / 2, w) b),
    series AS (
        SELECT g.rpc_id, g.bucket, g.is_test,
               coalesce(cur.calls, 0) AS observed, coalesce(prev.calls, 0) AS predicted
          FROM grid g
          LEFT JOIN informer.traffic cur ON cur.rpc_id = g.rpc_id AND cur.bucket = g.bucket
          LEFT JOIN informer.traffic prev ON prev.rpc_id = g.rpc_id AND prev.bucket = g.bucket - season),
    stats AS (
        SELECT x.rpc_id, avg(x.observed - x.predicted)::float8 AS m,
               stddev_samp(x.observed - x.predicted)::float8 AS sd
          FROM series x WHERE NOT x.is_test GROUP BY x.rpc_id)
    SELECT x.rpc_id, x.bucket, x.observed, x.predicted,
           x.predicted + st.m - k * st.sd, x.predicted + st.m + k * st.sd,
           CASE WHEN st.sd > 0 THEN (x.observed - x.predicted - st.m) / st.sd END,
           x.observed < x.predicted + st.m - k * st.sd OR x.observed > x.predicted + st.m + k * st.sd
      FROM series x JOIN stats st USING (rpc_id)
     WHERE x.is_test
     ORDER BY 1, 2;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_seasonal_naive(text, timestamptz, timestamptz, timestamptz, timestamptz, interval, float8)
    IS 'seasonal-naive baseline: each test bucket forecast by the same bucket one season earlier, flagged outside predicted + M ± k·Σ (M, Σ: per-RPC error mean and standard deviation over the training range)';

-- ---------------------------------------------------------------------------
-- Precision and recall of a detector: flagged is any table or view with the
-- columns rpc_id and bucket, one row per flagged pair.  Attacks are the
-- labels of every kind but the legitimate changes new_rpc and retired_rpc.

CREATE FUNCTION @extschema@.informer_evaluate(
    source_name text,
    labels      regclass,
    flagged     regclass,
    eval_from   timestamptz,
    eval_to     timestamptz)
RETURNS TABLE (flagged_pairs bigint, correct bigint, attack_pairs bigint, found bigint,
               "precision" float8, recall float8, change_flags bigint)
LANGUAGE plpgsql STRICT STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM informer._check_range('the evaluation range', eval_from, eval_to);
    IF (SELECT count(*) FROM pg_attribute a
         WHERE a.attrelid = flagged AND NOT a.attisdropped AND a.attnum > 0
           AND (a.attname, a.atttypid) IN (('rpc_id', 'int4'::regtype),
                                           ('bucket', 'timestamptz'::regtype))) <> 2 THEN
        RAISE EXCEPTION 'relation % is not a set of flagged buckets', flagged
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'It needs the columns rpc_id int4 and bucket timestamptz.',
                  HINT = 'Put the anomalous rows of a detector in a view or table with these columns.';
    END IF;
    RETURN QUERY EXECUTE format(
        'WITH truth AS (
             SELECT DISTINCT t.rpc_id, t.bucket, t.kind IN (''new_rpc'', ''retired_rpc'') AS is_change
               FROM @extschema@.informer_eval_truth($1, $2) t
              WHERE t.bucket >= $3 AND t.bucket < $4),
         attack AS (SELECT DISTINCT rpc_id, bucket FROM truth WHERE NOT is_change),
         changed AS (SELECT DISTINCT rpc_id FROM truth WHERE is_change AND rpc_id IS NOT NULL),
         f AS (SELECT DISTINCT x.rpc_id, x.bucket FROM %s x
                WHERE x.bucket >= $3 AND x.bucket < $4)
         SELECT (SELECT count(*) FROM f),
                (SELECT count(*) FROM f JOIN attack USING (rpc_id, bucket)),
                (SELECT count(*) FROM attack),
                (SELECT count(*) FROM attack JOIN f USING (rpc_id, bucket)),
                (SELECT count(*) FROM f JOIN attack USING (rpc_id, bucket))::float8
                    / nullif((SELECT count(*) FROM f), 0),
                (SELECT count(*) FROM attack JOIN f USING (rpc_id, bucket))::float8
                    / nullif((SELECT count(*) FROM attack), 0),
                (SELECT count(*) FROM f JOIN changed USING (rpc_id)
                  WHERE NOT EXISTS (SELECT FROM attack a
                                     WHERE a.rpc_id = f.rpc_id AND a.bucket = f.bucket))',
        flagged)
        USING source_name, labels, eval_from, eval_to;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_evaluate(text, regclass, regclass, timestamptz, timestamptz)
    IS 'precision and recall of flagged (rpc_id, bucket) pairs against labelled attack pairs in [eval_from, eval_to); change_flags counts flags on RPCs of a legitimate change (false alarms too)';

-- ---------------------------------------------------------------------------
-- Anomaly injection into a real RPC log, reproducibly: every choice is an
-- order by a seeded hash, so the same seed on the same log gives the same
-- places.  Injections sit in disjoint windows of `buckets` buckets after
-- `after`, at least `buckets` buckets apart.
--   replay: the chains of one functionality (chains whose first call has the
--           same caller) in the window are copied replay_factor - 1 times
--   drop:   the calls of one RPC in the window are deleted but a share drop_keep
-- Labels follow the generator's rule: an RPC is labelled when its count in
-- the window changes by a factor of at least 1.2 either way.

CREATE FUNCTION informer._inject_slots(s informer.source, after timestamptz, seed bigint,
                                       n int, buckets int, min_calls int)
RETURNS SETOF timestamptz
LANGUAGE plpgsql STRICT STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    w interval := s.bucket_width;
    first timestamptz := informer._bucket(w, after) + CASE WHEN informer._bucket(w, after) < after THEN w ELSE interval '0' END;
    newest timestamptz;
    slots int;
    got int;
BEGIN
    EXECUTE format('SELECT max(%I) FROM %s', s.ts_column, s.log_table) INTO newest;
    slots := greatest(coalesce(floor(extract(epoch FROM informer._bucket(w, newest) - first)
                                     / extract(epoch FROM 2 * buckets * w))::int, 0), 0);
    -- windows with traffic only (a trace may have gaps)
    RETURN QUERY EXECUTE format(
        'SELECT lo FROM generate_series(0, $4 - 1) i,
                LATERAL (SELECT $1 + i * 2 * $2 * $3 AS lo) x
          WHERE (SELECT count(*) FROM (SELECT FROM %s WHERE %I >= lo AND %I < lo + $2 * $3 LIMIT $5) c) >= $5
          ORDER BY hashtextextended(i::text, $6), i
          LIMIT $7', s.log_table, s.ts_column, s.ts_column)
        USING first, buckets, w, slots, min_calls, seed, n;
    GET DIAGNOSTICS got = ROW_COUNT;
    IF got < n THEN
        RAISE EXCEPTION 'the log of source "%" has room for % injections after %, % were asked for',
                        s.source_name, got, after, n
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Each injection takes %s buckets of %s and as many apart, in a window with at least %s calls.',
                                  buckets, w, min_calls),
                  HINT = 'Ask for fewer injections, fewer buckets each, or start them earlier.';
    END IF;
END
$$;
COMMENT ON FUNCTION informer._inject_slots(informer.source, timestamptz, bigint, int, int, int)
    IS 'internal: n seeded, disjoint, bucket-aligned injection windows with at least min_calls calls after a time';

CREATE FUNCTION informer._inject_replay(s informer.source, lo timestamptz, hi timestamptz,
                                        seed bigint, times int, min_chains int)
RETURNS TABLE (kind text, src text, dst text, ts_start timestamptz, ts_end timestamptz, factor float8)
LANGUAGE plpgsql STRICT VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    chosen text;
    q text := format('SELECT %1$I::text AS chain_id, %2$I::text AS src, %3$I::text AS dst, %4$I AS ts
                        FROM %5$s WHERE %4$I >= $1 AND %4$I < $2',
                     s.chain_column, s.src_column, s.dst_column, s.ts_column, s.log_table);
BEGIN
    EXECUTE format('CREATE TEMP TABLE _informer_window ON COMMIT DROP AS %s', q) USING lo, hi;
    CREATE TEMP TABLE _informer_entry ON COMMIT DROP AS
        SELECT DISTINCT ON (w.chain_id) w.chain_id, w.src AS entry
          FROM _informer_window w ORDER BY w.chain_id, w.ts, w.src, w.dst;
    SELECT e.entry INTO chosen FROM _informer_entry e
     GROUP BY e.entry HAVING count(*) >= min_chains
     ORDER BY hashtextextended(e.entry, seed), e.entry LIMIT 1;
    IF chosen IS NULL THEN
        RAISE EXCEPTION 'no functionality has % chains between % and %', min_chains, lo, hi
            USING ERRCODE = 'no_data_found',
                  HINT = 'Lower min_calls, or inject where the log has traffic.';
    END IF;
    EXECUTE format('INSERT INTO %s (%I, %I, %I, %I)
                    SELECT w.chain_id || ''-replay'' || c, w.src, w.dst, w.ts
                      FROM _informer_window w JOIN _informer_entry e USING (chain_id),
                           generate_series(1, $2 - 1) c
                     WHERE e.entry = $1',
                   s.log_table, s.chain_column, s.src_column, s.dst_column, s.ts_column)
        USING chosen, times;
    RETURN QUERY
    SELECT 'replay', w.src, w.dst, lo, hi,
           1 + (times - 1) * count(*) FILTER (WHERE e.entry = chosen)::float8 / count(*)
      FROM _informer_window w JOIN _informer_entry e USING (chain_id)
     GROUP BY w.src, w.dst
    HAVING 1 + (times - 1) * count(*) FILTER (WHERE e.entry = chosen)::float8 / count(*) >= 1.2
     ORDER BY 2, 3;
    DROP TABLE _informer_window, _informer_entry;
END
$$;
COMMENT ON FUNCTION informer._inject_replay(informer.source, timestamptz, timestamptz, bigint, int, int)
    IS 'internal: replays the chains of one seeded functionality in a window; returns the labels';

CREATE FUNCTION informer._inject_drop(s informer.source, lo timestamptz, hi timestamptz,
                                      seed bigint, keep float8, min_calls int)
RETURNS TABLE (kind text, src text, dst text, ts_start timestamptz, ts_end timestamptz, factor float8)
LANGUAGE plpgsql STRICT VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    victim record;
    gone bigint;
BEGIN
    EXECUTE format('SELECT %1$I::text AS src, %2$I::text AS dst, count(*) AS calls
                      FROM %3$s WHERE %4$I >= $1 AND %4$I < $2
                     GROUP BY 1, 2 HAVING count(*) >= $3
                     ORDER BY hashtextextended(%1$I || '' '' || %2$I, $4), 1, 2 LIMIT 1',
                   s.src_column, s.dst_column, s.log_table, s.ts_column)
        INTO victim USING lo, hi, min_calls, seed;
    IF victim IS NULL THEN
        RAISE EXCEPTION 'no RPC has % calls between % and %', min_calls, lo, hi
            USING ERRCODE = 'no_data_found',
                  HINT = 'Lower min_calls, or inject where the log has traffic.';
    END IF;
    EXECUTE format('DELETE FROM %s WHERE %I >= $1 AND %I < $2 AND %I = $3 AND %I = $4
                      AND (hashtextextended(%I || '' '' || %I::text, $5) & 1023) >= $6 * 1024',
                   s.log_table, s.ts_column, s.ts_column, s.src_column, s.dst_column,
                   s.chain_column, s.ts_column)
        USING lo, hi, victim.src, victim.dst, seed, keep;
    GET DIAGNOSTICS gone = ROW_COUNT;
    IF 1 - gone::float8 / victim.calls <= 1 / 1.2 THEN
        RETURN QUERY SELECT 'drop', victim.src, victim.dst, lo, hi, 1 - gone::float8 / victim.calls;
    END IF;
END
$$;
COMMENT ON FUNCTION informer._inject_drop(informer.source, timestamptz, timestamptz, bigint, float8, int)
    IS 'internal: deletes the calls of one seeded RPC in a window but a share keep; returns its label';

CREATE FUNCTION @extschema@.informer_inject_anomalies(
    source_name   text,
    after         timestamptz,
    seed          bigint DEFAULT 1,
    replays       int DEFAULT 2,
    drops         int DEFAULT 2,
    buckets       int DEFAULT 3,
    replay_factor int DEFAULT 5,
    drop_keep     float8 DEFAULT 0.1,
    min_calls     int DEFAULT 20)
RETURNS TABLE (kind text, src text, dst text, ts_start timestamptz, ts_end timestamptz, factor float8)
LANGUAGE plpgsql STRICT VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s informer.source := informer._source(source_name);
    lo timestamptz;
    i int := 0;
BEGIN
    IF replays < 0 OR drops < 0 OR replays + drops = 0 OR replays + drops > 1000 THEN
        RAISE EXCEPTION 'between 1 and 1000 injections can be made, not % replays and % drops', replays, drops
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF buckets NOT BETWEEN 1 AND 1000 OR replay_factor NOT BETWEEN 2 AND 1000
       OR NOT (drop_keep >= 0 AND drop_keep < 1) OR min_calls < 1 THEN
        RAISE EXCEPTION 'injection parameters out of range'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('buckets must be 1 to 1000 (is %s), replay_factor 2 to 1000 (is %s), drop_keep in [0, 1) (is %s), min_calls at least 1 (is %s).',
                                  buckets, replay_factor, drop_keep, min_calls);
    END IF;
    IF NOT has_table_privilege(s.log_table, 'INSERT, DELETE') THEN
        RAISE EXCEPTION 'permission denied for table %', s.log_table
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Injecting anomalies inserts and deletes rows of the log table.',
                  HINT = 'Inject into a copy of the log that you own.';
    END IF;
    FOR lo IN SELECT * FROM informer._inject_slots(s, after, seed, replays + drops, buckets, min_calls) LOOP
        IF i < replays THEN
            RETURN QUERY SELECT * FROM informer._inject_replay(s, lo, lo + buckets * s.bucket_width,
                                                                seed + i, replay_factor, min_calls);
        ELSE
            RETURN QUERY SELECT * FROM informer._inject_drop(s, lo, lo + buckets * s.bucket_width,
                                                              seed + i, drop_keep, min_calls);
        END IF;
        i := i + 1;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_inject_anomalies(text, timestamptz, bigint, int, int, int, int, float8, int)
    IS 'injects seeded traffic anomalies into a source''s log table (replayed chains of one functionality, dropped calls of one RPC) and returns their labels; run it before the traffic of those times is refreshed';
