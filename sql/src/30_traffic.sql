-- informer install script, part 30: per-bucket call counts of each RPC,
-- refreshed incrementally from a source's new rows.

-- ---------------------------------------------------------------------------
-- Refresh state of each source: how far its log has been read

CREATE TABLE informer.source_state (
    source_name  text PRIMARY KEY
                 REFERENCES informer.source (source_name) ON DELETE CASCADE,
    lateness     interval NOT NULL DEFAULT interval '0'
                 CHECK (lateness >= interval '0'),
    watermark    timestamptz,
    refreshed_at timestamptz
);
COMMENT ON TABLE informer.source_state IS
    'refresh state of each source: the newest timestamp read (watermark) and how late rows may arrive (lateness)';
SELECT pg_catalog.pg_extension_config_dump('informer.source_state', '');

-- ---------------------------------------------------------------------------
-- Traffic: calls per RPC per bucket of the source's bucket width

CREATE TABLE informer.traffic (
    rpc_id int4 NOT NULL,       -- informer.rpc; no foreign key: its per-row
                                -- check cost a tenth of a refresh, and only the
                                -- refresh writes here, with ids it just looked up
    bucket timestamptz NOT NULL,
    calls  bigint NOT NULL CHECK (calls > 0),
    PRIMARY KEY (rpc_id, bucket)
);
COMMENT ON TABLE informer.traffic IS
    'calls of each RPC per time bucket (start of the bucket); buckets without calls have no row';
SELECT pg_catalog.pg_extension_config_dump('informer.traffic', '');

-- Buckets are aligned to this origin, so every refresh cuts the same buckets.
CREATE FUNCTION informer._bucket(width interval, ts timestamptz)
RETURNS timestamptz
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN pg_catalog.date_bin(width, ts, timestamptz '2000-01-01 00:00:00+00');
COMMENT ON FUNCTION informer._bucket(interval, timestamptz)
    IS 'internal: start of the bucket of the given width that holds ts (buckets aligned to 2000-01-01 UTC)';

CREATE FUNCTION @extschema@.informer_set_lateness(source_name text, lateness interval)
RETURNS void
LANGUAGE plpgsql STRICT VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s informer.source := informer._source(source_name);
BEGIN
    IF lateness < interval '0' OR pg_catalog.date_part('month', lateness) <> 0
       OR lateness > interval '30 days' THEN
        RAISE EXCEPTION 'lateness must be between 0 and 30 days, not %', lateness
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The lateness window is how long after its timestamp a log row may still arrive, e.g. interval ''5 minutes''.';
    END IF;
    INSERT INTO informer.source_state AS st (source_name, lateness)
    VALUES (s.source_name, lateness)
    ON CONFLICT ON CONSTRAINT source_state_pkey DO UPDATE SET lateness = EXCLUDED.lateness;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_set_lateness(text, interval)
    IS 'sets how long after its timestamp a row of the source may still arrive and be counted';

-- One refresh: re-reads the rows from the start of the bucket that holds
-- (watermark - lateness), so every bucket it touches is counted in full, and
-- REPLACES those buckets' counts.  Running it twice counts nothing twice.
CREATE FUNCTION @extschema@.informer_refresh_traffic(
    source_name text,
    OUT rows_read bigint,
    OUT buckets bigint,
    OUT rpcs bigint,
    OUT changed bigint,
    OUT watermark timestamptz)
RETURNS record
LANGUAGE plpgsql STRICT VOLATILE
SET search_path = pg_catalog, pg_temp
-- JIT would compile the statement's ~45 expressions with inlining and
-- optimisation, about a third of a refresh of millions of rows, to save
-- little on a scan that is mostly hashing text
SET jit = off
AS $$
DECLARE
    s  informer.source := informer._source(source_name);
    st informer.source_state;
    lo timestamptz;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) s.log_table::oid) THEN
        RAISE EXCEPTION 'log table of source "%" no longer exists', s.source_name
            USING ERRCODE = 'undefined_table',
                  DETAIL = 'The table it was registered on has been dropped.',
                  HINT = 'Drop the source with informer_drop_source() and register the new table.';
    END IF;

    -- one refresh of a source at a time: the row lock orders them
    INSERT INTO informer.source_state (source_name) VALUES (s.source_name)
    ON CONFLICT ON CONSTRAINT source_state_pkey DO NOTHING;
    SELECT * INTO STRICT st FROM informer.source_state x
     WHERE x.source_name OPERATOR(pg_catalog.=) s.source_name FOR UPDATE;
    lo := informer._bucket(s.bucket_width, st.watermark OPERATOR(pg_catalog.-) st.lateness);

    -- One pass over the new rows: aggregate, upsert their RPC pairs (DO
    -- UPDATE returns existing and concurrently inserted pairs too), then
    -- replace the counts of every bucket read.
    EXECUTE pg_catalog.format(
        'WITH g AS MATERIALIZED (
             SELECT %1$I::text AS src, %2$I::text AS dst,
                    informer._bucket($1, %3$I::timestamptz) AS bucket,
                    pg_catalog.count(*) AS calls, pg_catalog.max(%3$I::timestamptz) AS newest
               FROM %4$s
              WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL AND %3$I IS NOT NULL
                AND ($2::timestamptz IS NULL OR %3$I OPERATOR(pg_catalog.>=) $2)
              GROUP BY 1, 2, 3),
         ids AS (
             INSERT INTO informer.rpc AS r (src, dst)
             SELECT DISTINCT g.src, g.dst FROM g
             ON CONFLICT (src, dst) DO UPDATE SET src = EXCLUDED.src
             RETURNING r.rpc_id, r.src, r.dst),
         up AS (
             INSERT INTO informer.traffic AS t (rpc_id, bucket, calls)
             SELECT ids.rpc_id, g.bucket, g.calls
               FROM g JOIN ids
                 ON ids.src OPERATOR(pg_catalog.=) g.src AND ids.dst OPERATOR(pg_catalog.=) g.dst
             ON CONFLICT (rpc_id, bucket) DO UPDATE SET calls = EXCLUDED.calls
                 WHERE t.calls OPERATOR(pg_catalog.<>) EXCLUDED.calls
             RETURNING 1)
         SELECT COALESCE((SELECT pg_catalog.sum(g.calls) FROM g), 0)::bigint,
                (SELECT pg_catalog.count(*) FROM g),
                (SELECT pg_catalog.count(*) FROM ids),
                (SELECT pg_catalog.count(*) FROM up),
                (SELECT pg_catalog.max(g.newest) FROM g)',
        s.src_column, s.dst_column, s.ts_column, s.log_table)
    INTO rows_read, buckets, rpcs, changed, watermark
    USING s.bucket_width, lo;

    watermark := GREATEST(st.watermark, watermark);  -- NULLs are ignored
    UPDATE informer.source_state x
       SET watermark = informer_refresh_traffic.watermark,
           refreshed_at = pg_catalog.now()
     WHERE x.source_name OPERATOR(pg_catalog.=) s.source_name;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_refresh_traffic(text)
    IS 'counts the source''s new rows per RPC and bucket into informer.traffic; re-read buckets are replaced, never added to';
