-- informer install script, part 00: schema, sources, the RPC dictionary and
-- RPC id sets.  The Makefile joins sql/src/*.sql in name order into
-- sql/informer--<version>.sql.

\echo Use "CREATE EXTENSION informer" to load this file. \quit

CREATE SCHEMA informer;
COMMENT ON SCHEMA informer IS 'informer: tables and views of RPC traffic, patterns, models and anomalies';

-- ---------------------------------------------------------------------------
-- Sources: registered RPC log tables

CREATE TABLE informer.source (
    source_name  text PRIMARY KEY,
    log_table    regclass NOT NULL,
    ts_column    name NOT NULL,
    chain_column name NOT NULL,
    src_column   name NOT NULL,
    dst_column   name NOT NULL,
    bucket_width interval NOT NULL DEFAULT interval '20 minutes',
    owner        regrole NOT NULL DEFAULT current_user::regrole,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE informer.source IS 'RPC log tables registered with informer_register_source()';
SELECT pg_catalog.pg_extension_config_dump('informer.source', '');

CREATE FUNCTION @extschema@.informer_register_source(
    source_name  text,
    log_table    regclass,
    ts_column    name,
    chain_column name,
    src_column   name,
    dst_column   name,
    bucket_width interval DEFAULT interval '20 minutes')
RETURNS void
AS 'MODULE_PATHNAME', 'informer_register_source'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_register_source(text, regclass, name, name, name, name, interval)
    IS 'registers an RPC log table: its timestamp, chain id, source and destination columns are checked against the catalog';

CREATE FUNCTION @extschema@.informer_drop_source(source_name text)
RETURNS void
LANGUAGE plpgsql STRICT VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    DELETE FROM informer.source s WHERE s.source_name OPERATOR(pg_catalog.=) $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'source "%" does not exist', $1
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT source_name FROM informer.source lists the registered sources.';
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_drop_source(text) IS 'forgets a registered source (the log table itself is untouched)';

-- ---------------------------------------------------------------------------
-- The RPC dictionary: everything downstream works on integer ids

CREATE TABLE informer.rpc (
    rpc_id int4 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    src    text NOT NULL,
    dst    text NOT NULL,
    UNIQUE (src, dst)
);
COMMENT ON TABLE informer.rpc IS 'dictionary of RPCs (caller -> callee); rpc_id is what chain sets, patterns and models use';
SELECT pg_catalog.pg_extension_config_dump('informer.rpc', '');

-- Look up a registered source or fail with a hint.
CREATE FUNCTION informer._source(source_name text)
RETURNS informer.source
LANGUAGE plpgsql STRICT STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s informer.source;
BEGIN
    SELECT * INTO s FROM informer.source x WHERE x.source_name OPERATOR(pg_catalog.=) $1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'source "%" does not exist', $1
            USING ERRCODE = 'undefined_object',
                  HINT = 'Register the log table first with informer_register_source().';
    END IF;
    RETURN s;
END
$$;
COMMENT ON FUNCTION informer._source(text) IS 'internal: the row of a registered source, or an error';

CREATE FUNCTION @extschema@.informer_refresh_rpcs(source_name text)
RETURNS bigint
LANGUAGE plpgsql STRICT VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s informer.source := informer._source(source_name);
    added bigint;
BEGIN
    EXECUTE format(
        'INSERT INTO informer.rpc (src, dst)
         SELECT DISTINCT %1$I::text, %2$I::text FROM %3$s
          WHERE %1$I IS NOT NULL AND %2$I IS NOT NULL
         ON CONFLICT (src, dst) DO NOTHING',
        s.src_column, s.dst_column, s.log_table);
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN added;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_refresh_rpcs(text)
    IS 'adds the source''s new (src, dst) pairs to informer.rpc; returns how many were new';

-- ---------------------------------------------------------------------------
-- RPC id sets

CREATE FUNCTION @extschema@.informer_overlap_distance(int4[], int4[])
RETURNS float8
AS 'MODULE_PATHNAME', 'informer_overlap_distance'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.informer_overlap_distance(int4[], int4[])
    IS 'overlap distance 1 - |A n B| / min(|A|,|B|) of two RPC id sets; order and duplicates are ignored, NULL if a set is empty';

CREATE FUNCTION informer._chain_agg_sfunc(internal, int4)
RETURNS internal AS 'MODULE_PATHNAME', 'informer_chain_agg_sfunc'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION informer._chain_agg_combine(internal, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'informer_chain_agg_combine'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION informer._chain_agg_final(internal)
RETURNS int4[] AS 'MODULE_PATHNAME', 'informer_chain_agg_final'
LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION informer._chain_agg_serial(internal)
RETURNS bytea AS 'MODULE_PATHNAME', 'informer_chain_agg_serial'
LANGUAGE C STRICT PARALLEL SAFE;
CREATE FUNCTION informer._chain_agg_deserial(bytea, internal)
RETURNS internal AS 'MODULE_PATHNAME', 'informer_chain_agg_deserial'
LANGUAGE C STRICT PARALLEL SAFE;
COMMENT ON FUNCTION informer._chain_agg_sfunc(internal, int4) IS 'internal: informer_chain_agg transition';
COMMENT ON FUNCTION informer._chain_agg_combine(internal, internal) IS 'internal: informer_chain_agg combine';
COMMENT ON FUNCTION informer._chain_agg_final(internal) IS 'internal: informer_chain_agg final';
COMMENT ON FUNCTION informer._chain_agg_serial(internal) IS 'internal: informer_chain_agg serialisation';
COMMENT ON FUNCTION informer._chain_agg_deserial(bytea, internal) IS 'internal: informer_chain_agg deserialisation';

CREATE AGGREGATE @extschema@.informer_chain_agg(int4) (
    SFUNC = informer._chain_agg_sfunc,
    STYPE = internal,
    FINALFUNC = informer._chain_agg_final,
    COMBINEFUNC = informer._chain_agg_combine,
    SERIALFUNC = informer._chain_agg_serial,
    DESERIALFUNC = informer._chain_agg_deserial,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.informer_chain_agg(int4)
    IS 'the chain set of a group of RPC ids: sorted, duplicate-free int4[]; NULL ids are skipped, an empty group gives NULL';
