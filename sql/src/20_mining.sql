-- informer install script, part 20: pattern mining (paper, section 3.2):
-- DBSCAN of chains, mining runs and their patterns, RPC graphs of patterns.

-- ---------------------------------------------------------------------------
-- DBSCAN of chain instances

CREATE FUNCTION @extschema@.informer_dbscan(
    chains_sql text,
    eps        float8 DEFAULT 0.05,
    min_pts    int DEFAULT 1)
RETURNS TABLE (chain_id text, cluster_id int, role text)
AS 'MODULE_PATHNAME', 'informer_dbscan'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_dbscan(text, float8, int)
    IS 'DBSCAN of the chains (chain_id, rpcs int4[]) a query returns, under the overlap distance; one row per chain with its cluster (NULL for noise and set-aside chains) and role: core, border, noise, duplicate or subset';

CREATE FUNCTION @extschema@.informer_dbscan_cluster(rpcs int4[], eps float8, min_pts int)
RETURNS int
AS 'MODULE_PATHNAME', 'informer_dbscan_window'
LANGUAGE C WINDOW IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.informer_dbscan_cluster(int4[], float8, int)
    IS 'window function: the DBSCAN cluster of each chain among the chains of its window partition (NULL for noise and set-aside chains), numbered in the partition''s order';

-- ---------------------------------------------------------------------------
-- Mining runs and their patterns

CREATE TABLE informer.mining_run (
    run_id      int4 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source_name text NOT NULL,
    from_ts     timestamptz NOT NULL,
    to_ts       timestamptz NOT NULL,
    sample_size int4 NOT NULL,
    seed        int8 NOT NULL,
    eps         float8 NOT NULL,
    min_pts     int4 NOT NULL,
    chains_used bigint NOT NULL,
    duplicates  bigint NOT NULL,
    set_aside   bigint NOT NULL,
    noise       bigint NOT NULL,
    patterns    int4 NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE informer.mining_run IS 'one row per informer_mine_patterns() call: its source, time range, sampling and DBSCAN settings and what it found';
SELECT pg_catalog.pg_extension_config_dump('informer.mining_run', '');

CREATE TABLE informer.pattern (
    pattern_id int4 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id     int4 NOT NULL REFERENCES informer.mining_run ON DELETE CASCADE,
    cluster_id int4 NOT NULL,
    chains     bigint NOT NULL,
    rpcs       int4 NOT NULL,
    UNIQUE (run_id, cluster_id)
);
COMMENT ON TABLE informer.pattern IS 'RPC chain patterns: the union of the chains of one DBSCAN cluster of a mining run';
SELECT pg_catalog.pg_extension_config_dump('informer.pattern', '');

CREATE TABLE informer.pattern_rpc (
    pattern_id int4 NOT NULL REFERENCES informer.pattern ON DELETE CASCADE,
    rpc_id     int4 NOT NULL REFERENCES informer.rpc,
    PRIMARY KEY (pattern_id, rpc_id)
);
CREATE INDEX ON informer.pattern_rpc (rpc_id);
COMMENT ON TABLE informer.pattern_rpc IS 'the RPCs of each pattern';
SELECT pg_catalog.pg_extension_config_dump('informer.pattern_rpc', '');

CREATE FUNCTION @extschema@.informer_sample_chains(
    source_name text,
    from_ts     timestamptz,
    to_ts       timestamptz,
    sample_size int DEFAULT 10000,
    seed        int8 DEFAULT 0)
RETURNS TABLE (chain_id text, rpcs int4[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s informer.source := informer._source(source_name);
BEGIN
    IF from_ts IS NULL OR to_ts IS NULL OR from_ts >= to_ts THEN
        RAISE EXCEPTION 'time range [%, %) is empty', from_ts, to_ts
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give from_ts before to_ts; the paper mines the last 24 hours.';
    END IF;
    IF sample_size IS NULL OR sample_size < 1 OR seed IS NULL THEN
        RAISE EXCEPTION 'sample_size must be at least 1 and seed not NULL'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('sample_size is %s, seed is %s.',
                                  coalesce(sample_size::text, 'NULL'), coalesce(seed::text, 'NULL')),
                  HINT = 'The paper samples 10000 chains.';
    END IF;
    RETURN QUERY EXECUTE format(
        'WITH ids AS (
             SELECT d.chain_id FROM (
                 SELECT DISTINCT l.%1$I::text AS chain_id FROM %2$s l
                  WHERE l.%3$I >= $1 AND l.%3$I < $2 AND l.%1$I IS NOT NULL) d
              ORDER BY pg_catalog.hashtextextended(d.chain_id, $4), d.chain_id
              LIMIT $3)
         SELECT ids.chain_id, @extschema@.informer_chain_agg(r.rpc_id)
           FROM %2$s l
           JOIN ids ON ids.chain_id OPERATOR(pg_catalog.=) l.%1$I::text
           JOIN informer.rpc r ON r.src OPERATOR(pg_catalog.=) l.%4$I::text
                              AND r.dst OPERATOR(pg_catalog.=) l.%5$I::text
          WHERE l.%3$I >= $1 AND l.%3$I < $2
          GROUP BY ids.chain_id
          ORDER BY pg_catalog.hashtextextended(ids.chain_id, $4), ids.chain_id',
        s.chain_column, s.log_table, s.ts_column, s.src_column, s.dst_column)
    USING from_ts, to_ts, sample_size, seed;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_sample_chains(text, timestamptz, timestamptz, int, int8)
    IS 'a deterministic sample of a source''s chains with a row in [from_ts, to_ts): the sample_size chain ids with the lowest hash under seed, whatever the row order, with their RPC id sets (call informer_refresh_rpcs first)';

CREATE FUNCTION @extschema@.informer_mine_patterns(
    source_name text,
    from_ts     timestamptz DEFAULT pg_catalog.now() - interval '24 hours',
    to_ts       timestamptz DEFAULT pg_catalog.now(),
    sample_size int DEFAULT 10000,
    eps         float8 DEFAULT 0.05,
    min_pts     int DEFAULT 1,
    seed        int8 DEFAULT 0)
RETURNS TABLE (run_id int, patterns int, chains_used bigint, duplicates bigint,
               set_aside bigint, noise bigint, pattern_rpcs int[])
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    s informer.source := informer._source(source_name);
    run int4;
BEGIN
    PERFORM @extschema@.informer_refresh_rpcs(source_name);
    IF pg_catalog.to_regclass('pg_temp._informer_chains') IS NOT NULL THEN
        DROP TABLE pg_temp._informer_chains;
    END IF;
    CREATE TEMP TABLE _informer_chains ON COMMIT DROP AS
        SELECT c.chain_id, c.rpcs
          FROM @extschema@.informer_sample_chains(source_name, from_ts, to_ts, sample_size, seed) c;

    IF pg_catalog.to_regclass('pg_temp._informer_clusters') IS NOT NULL THEN
        DROP TABLE pg_temp._informer_clusters;
    END IF;
    CREATE TEMP TABLE _informer_clusters ON COMMIT DROP AS
        SELECT d.chain_id, d.cluster_id, d.role
          FROM @extschema@.informer_dbscan('SELECT chain_id, rpcs FROM pg_temp._informer_chains',
                                           eps, min_pts) d;

    INSERT INTO informer.mining_run (source_name, from_ts, to_ts, sample_size, seed, eps, min_pts,
                                     chains_used, duplicates, set_aside, noise, patterns)
    SELECT s.source_name, from_ts, to_ts, sample_size, seed, eps, min_pts,
           count(*), count(*) FILTER (WHERE c.role = 'duplicate'),
           count(*) FILTER (WHERE c.role = 'subset'),
           count(*) FILTER (WHERE c.role = 'noise'),
           coalesce(max(c.cluster_id), 0)
      FROM pg_temp._informer_clusters c
    RETURNING mining_run.run_id INTO run;

    INSERT INTO informer.pattern (run_id, cluster_id, chains, rpcs)
    SELECT run, u.cluster_id, u.chains, cardinality(u.ids)
      FROM (SELECT c.cluster_id, count(DISTINCT c.chain_id) AS chains,
                   @extschema@.informer_chain_agg(x.rpc_id) AS ids
              FROM pg_temp._informer_clusters c
              JOIN pg_temp._informer_chains ch ON ch.chain_id = c.chain_id
             CROSS JOIN LATERAL unnest(ch.rpcs) x(rpc_id)
             WHERE c.cluster_id IS NOT NULL
             GROUP BY c.cluster_id) u;

    INSERT INTO informer.pattern_rpc (pattern_id, rpc_id)
    SELECT DISTINCT p.pattern_id, x.rpc_id
      FROM informer.pattern p
      JOIN pg_temp._informer_clusters c ON c.cluster_id = p.cluster_id
      JOIN pg_temp._informer_chains ch ON ch.chain_id = c.chain_id
     CROSS JOIN LATERAL unnest(ch.rpcs) x(rpc_id)
     WHERE p.run_id = run;

    RETURN QUERY
    SELECT r.run_id, r.patterns, r.chains_used, r.duplicates, r.set_aside, r.noise,
           coalesce((SELECT array_agg(p.rpcs ORDER BY p.rpcs DESC, p.cluster_id)
                       FROM informer.pattern p WHERE p.run_id = run), '{}')
      FROM informer.mining_run r WHERE r.run_id = run;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_mine_patterns(text, timestamptz, timestamptz, int, float8, int, int8)
    IS 'mines RPC chain patterns from a source: a deterministic sample of its chains in [from_ts, to_ts), DBSCAN, one pattern per cluster stored in informer.pattern and informer.pattern_rpc under a new mining run; returns the run''s summary';

-- ---------------------------------------------------------------------------
-- RPC graphs of patterns

CREATE FUNCTION @extschema@.informer_rpc_graph(pattern_id int)
RETURNS TABLE (from_rpc int, to_rpc int, weight float8)
AS 'MODULE_PATHNAME', 'informer_rpc_graph'
LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION @extschema@.informer_rpc_graph(int)
    IS 'edges of a pattern''s RPC graph (paper, Algorithm 1, without self-loops): 0.5 both ways between RPCs sharing a source or destination, 1 from caller-side to callee-side RPC';

CREATE FUNCTION @extschema@.informer_rpc_supports(pattern_id int)
RETURNS TABLE (support int, row_rpc int, col_rpc int, value float8)
AS 'MODULE_PATHNAME', 'informer_rpc_supports'
LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION @extschema@.informer_rpc_supports(int)
    IS 'non-zero entries of the DCRNN''s dual random-walk supports of a pattern''s graph W: support 0 = (D_O^-1 W)^T, support 1 = (D_I^-1 W^T)^T, applied as x'' = S x over nodes in rpc_id order';

CREATE FUNCTION @extschema@.informer_rpc_components(rpc_ids int4[] DEFAULT NULL)
RETURNS TABLE (rpc_id int, component_id int)
AS 'MODULE_PATHNAME', 'informer_rpc_components'
LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.informer_rpc_components(int4[])
    IS 'the paper''s baseline: connected components of the Algorithm 1 graph of the given RPCs (all of informer.rpc when NULL)';
