-- Training several patterns' models together (informer_train_group_now,
-- informer_train_group's checks): the groups formed, each model against the
-- same pattern trained alone with the same options, the memory limit, and
-- the errors.  The job worker's side is test/shell/train_group.sh.

CREATE TABLE glog AS
SELECT * FROM informer_synthetic_logs(seed => 3, buckets => 96, services => 16, functionalities => 5,
                                      registration_rpcs => 12, chains_per_day => 3000, events => false);
SELECT informer_register_source('grp', 'glog', 'ts', 'chain_id', 'src', 'dst');
SELECT patterns FROM informer_mine_patterns('grp', '2026-01-05', '2026-01-07');
SELECT rows_read FROM informer_refresh_traffic('grp');
-- five patterns of 8, 12, 13, 13 and 29 RPCs
SELECT array_agg(p.rpcs ORDER BY p.rpcs, p.pattern_id) AS rpcs,
       (array_agg(p.pattern_id ORDER BY p.rpcs, p.pattern_id))[1] AS p8,
       (array_agg(p.pattern_id ORDER BY p.rpcs, p.pattern_id))[2] AS p12,
       (array_agg(p.pattern_id ORDER BY p.rpcs, p.pattern_id))[3] AS p13a,
       (array_agg(p.pattern_id ORDER BY p.rpcs, p.pattern_id))[4] AS p13b,
       (array_agg(p.pattern_id ORDER BY p.rpcs, p.pattern_id))[5] AS p29
  FROM informer.pattern p JOIN informer.mining_run r USING (run_id)
 WHERE r.source_name = 'grp' \gset
SELECT :'rpcs' AS rpcs;
CREATE TABLE ids AS SELECT ARRAY[:p29, :p13a, :p12, :p8, :p13b] AS all5;
SELECT all5 AS all5 FROM ids \gset
-- errors, with the ids of this run's patterns (numbered by the tests
-- before) written as the names used here
CREATE TABLE names AS SELECT * FROM (VALUES (:p8, 'p8'), (:p12, 'p12'), (:p13a, 'p13a'),
                                            (:p13b, 'p13b'), (:p29, 'p29')) v(id, name);
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; m text; d text; h text;
    n record;
BEGIN
    EXECUTE q;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL,
                            h = PG_EXCEPTION_HINT;
    m := st || ': ' || m || coalesce(' | ' || nullif(d, ''), '') || coalesce(' | ' || nullif(h, ''), '');
    FOR n IN SELECT * FROM names LOOP
        m := regexp_replace(m, 'pattern ' || n.id || '\M', 'pattern ' || n.name, 'g');
    END LOOP;
    RETURN m;
END $$;
-- from 00:20 on, every pattern has traffic, so all have equal buckets
\set opts '{"units": 4, "layers": 1, "epochs": 3, "history": 6, "horizon": 3, "batch": 8, "seed": 5, "train_from": "2026-01-05 00:20"}'

-- five patterns: 13, 13 and 12 RPCs train together (12 >= 0.8 * 13),
-- 29 and 8 alone; one row per pattern, in the order given
CREATE TABLE grouped AS SELECT * FROM informer_train_group_now(:'all5', :'opts');
SELECT g.pattern_id = ANY (:'all5') AS listed, g.model_id IS NOT NULL AS trained,
       m.pattern_id = g.pattern_id AS its_pattern, m.active, m.version, m.job_id IS NULL AS synchronous,
       (m.config->>'nodes')::int AS nodes, m.config->'group_size' AS group_size
  FROM grouped g JOIN informer.models m USING (model_id) ORDER BY array_position(:'all5', g.pattern_id);
SELECT array_agg(pattern_id) = :'all5' AS rows_in_given_order FROM grouped;
-- the configuration is a single training's plus group_size
SELECT (m.config - 'group_size') ?& ARRAY['units', 'seed', 'source', 'nodes', 'rpc_ids', 'data_from', 'device']
       AS single_config_keys, count(*)
  FROM grouped g JOIN informer.models m USING (model_id) GROUP BY 1;

-- the reference: each pattern trained alone with the same options
CREATE TABLE alone AS
SELECT p AS pattern_id, informer_train_now(p, :'opts') AS model_id FROM unnest(:'all5'::int[]) p;
SELECT (SELECT name FROM names WHERE id = g.pattern_id) AS pattern, a.model_id > g.model_id AS newer, m.config - 'group_size' = n.config AS same_config,
       (m.metrics->>'best_epoch') = (n.metrics->>'best_epoch') AS same_best_epoch,
       (m.metrics->>'epochs') = (n.metrics->>'epochs') AS same_epochs,
       abs((m.metrics->>'best_val_loss')::float8 - (n.metrics->>'best_val_loss')::float8)
           <= 1e-3 * (n.metrics->>'best_val_loss')::float8 AS same_val_loss,
       (SELECT bool_and(abs((x.e->>'mae')::float8 - (y.e->>'mae')::float8) <= 1e-3 * (y.e->>'mae')::float8)
          FROM jsonb_array_elements(m.metrics->'test') WITH ORDINALITY x(e, i)
          JOIN jsonb_array_elements(n.metrics->'test') WITH ORDINALITY y(e, i) USING (i)) AS same_test_mae,
       (SELECT count(*) FILTER (WHERE abs(s.err_mean - t.err_mean) <= 1e-3 * greatest(abs(t.err_mean), 1e-2)
                                AND abs(s.err_std - t.err_std) <= 1e-3 * greatest(t.err_std, 1e-2))
               = (m.config->>'nodes')::int * 3
          FROM informer.model_stats s JOIN informer.model_stats t USING (rpc_id, step)
         WHERE s.model_id = m.model_id AND t.model_id = n.model_id) AS same_detection_stats
  FROM grouped g JOIN alone a USING (pattern_id)
  JOIN informer.models m ON m.model_id = g.model_id JOIN informer.models n ON n.model_id = a.model_id
 ORDER BY array_position(:'all5', g.pattern_id);

-- without train_from, the 13-RPC pattern whose traffic starts a bucket
-- later has fewer buckets: it trains apart from the other two
\set opts_all '{"units": 4, "layers": 1, "epochs": 2, "history": 6, "horizon": 3, "batch": 8, "seed": 5}'
CREATE TEMP TABLE r1 AS SELECT * FROM informer_train_group_now(ARRAY[:p13a, :p12, :p13b], :'opts_all');
SELECT m.pattern_id = :p13b AS later_pattern, m.config->'group_size' AS group_size, count(*)
  FROM r1 g JOIN informer.models m USING (model_id) GROUP BY 1, 2 ORDER BY 1;

-- memory: a group's members, each at the group's largest N, fit
-- informer.max_model_memory together.  With batches of 256 windows a
-- 13-RPC model needs about 8.6 MB: 20 MB hold two, 9 MB one at a time
\set big '{"units": 4, "layers": 1, "epochs": 1, "history": 6, "horizon": 3, "batch": 256, "seed": 5, "train_from": "2026-01-05 00:20"}'
SET informer.max_model_memory = '20MB';
CREATE TEMP TABLE r2 AS SELECT * FROM informer_train_group_now(ARRAY[:p13a, :p12, :p13b], :'big');
SELECT array_agg(coalesce(m.config->>'group_size', '1') ORDER BY array_position(ARRAY[:p13a, :p12, :p13b], g.pattern_id))
       AS group_sizes
  FROM r2 g JOIN informer.models m USING (model_id);
SET informer.max_model_memory = '9MB';
CREATE TEMP TABLE r3 AS SELECT * FROM informer_train_group_now(ARRAY[:p13a, :p12, :p13b], :'big');
SELECT count(*) AS models, count(m.config->'group_size') AS grouped FROM r3 g JOIN informer.models m USING (model_id);
-- one model above the limit: the error of a single training, and no model at all
SELECT count(*) AS models_before FROM informer.models \gset
SET informer.max_model_memory = '8MB';
SELECT pg_temp.err(format('SELECT * FROM informer_train_group_now(ARRAY[%s, %s], %L)', :p8, :p13a, :'big'));
RESET informer.max_model_memory;
SELECT count(*) = :models_before AS no_model_stored FROM informer.models;

-- a statement cancel stops a group of three between two batches: no model
SELECT count(*) AS models_before FROM informer.models \gset
SET statement_timeout = '300ms';
SELECT * FROM informer_train_group_now(ARRAY[:p13a, :p12, :p13b],
    '{"units": 8, "epochs": 100000, "patience": 100000, "history": 6, "horizon": 3, "batch": 4, "train_from": "2026-01-05 00:20"}');
RESET statement_timeout;
SELECT count(*) = :models_before AS no_model_written FROM informer.models;

-- errors, of the synchronous and the queued form alike
SELECT pg_temp.err('SELECT * FROM informer_train_group_now(NULL, ''{}'')');
SELECT pg_temp.err('SELECT * FROM informer_train_group_now(''{}'', ''{}'')');
SELECT pg_temp.err(format('SELECT * FROM informer_train_group_now(ARRAY[%s, NULL], ''{}'')', :p8));
SELECT pg_temp.err(format('SELECT * FROM informer_train_group_now(ARRAY[%s, %s, %s], ''{}'')', :p8, :p12, :p8));
SELECT pg_temp.err('SELECT * FROM informer_train_group_now(ARRAY(SELECT i FROM generate_series(1, 10001) i), ''{}'')');
SELECT pg_temp.err(format('SELECT * FROM informer_train_group_now(ARRAY[%s, 424242], ''{}'')', :p8));
SELECT pg_temp.err(format('SELECT * FROM informer_train_group_now(ARRAY[[%s], [%s]], ''{}'')', :p8, :p12));
SELECT pg_temp.err(format('SELECT * FROM informer_train_group_now(ARRAY[%s], NULL)', :p8));
SELECT pg_temp.err(format('SELECT * FROM informer_train_group_now(ARRAY[%s], ''{"unit": 4}'')', :p8));
SELECT pg_temp.err(format('SELECT * FROM informer_train_group_now(ARRAY[%s], ''{"history": 1000}'')', :p8));
SELECT pg_temp.err('SELECT informer_train_group(NULL)');
SELECT pg_temp.err('SELECT informer_train_group(''{}'')');
SELECT pg_temp.err(format('SELECT informer_train_group(ARRAY[%s, NULL])', :p8));
SELECT pg_temp.err(format('SELECT informer_train_group(ARRAY[%s, %s])', :p12, :p12));
SELECT pg_temp.err('SELECT informer_train_group(ARRAY(SELECT i FROM generate_series(1, 10001) i))');
SELECT pg_temp.err('SELECT informer_train_group(ARRAY[424242])');
SELECT pg_temp.err(format('SELECT informer_train_group(ARRAY[%s], ''{"epochs": 0}'')', :p8));
SELECT pg_temp.err(format('SELECT informer_train_group(ARRAY[%s], NULL)', :p8));
-- valid: refused only because no launcher serves this database
SELECT pg_temp.err(format('SELECT informer_train_group(ARRAY[%s, %s])', :p8, :p12));
SELECT pg_temp.err('SELECT informer_retrain_all(''{}'', true)');
SELECT count(*) AS train_group_jobs FROM informer.jobs WHERE kind = 'train_group';

-- a role that may not read the log may not train on it
CREATE ROLE group_a LOGIN;
GRANT SELECT ON informer.source, informer.source_state, informer.pattern, informer.pattern_rpc,
      informer.rpc, informer.traffic, informer.mining_run TO group_a;
GRANT SELECT ON names TO group_a;
SET ROLE group_a;
SELECT pg_temp.err(format('SELECT * FROM informer_train_group_now(ARRAY[%s, %s], %L)', :p8, :p12, :'opts'));
RESET ROLE;
GRANT SELECT ON glog TO group_a;
SET ROLE group_a;
SELECT count(*) AS trained_once_granted FROM informer_train_group_now(ARRAY[:p8, :p12], :'opts');
RESET ROLE;
DROP OWNED BY group_a;
DROP ROLE group_a;

-- leave informer's tables as the other tests expect them
DELETE FROM informer.mining_run WHERE source_name = 'grp';
SELECT count(*) AS models_left FROM informer.models WHERE pattern_id = ANY (:'all5');
DELETE FROM informer.traffic t USING informer.rpc r
 WHERE r.rpc_id = t.rpc_id AND (r.src, r.dst) IN (SELECT src, dst FROM glog);
DELETE FROM informer.rpc WHERE (src, dst) IN (SELECT src, dst FROM glog);
SELECT informer_drop_source('grp');
DROP TABLE glog, ids, names, grouped, alone;
