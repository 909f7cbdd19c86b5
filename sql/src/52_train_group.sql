-- informer install script, part 52: training several patterns' models
-- together with one option set, queued or in the calling backend
-- (docs/models.md, "Training several patterns together").

INSERT INTO informer.job_kind VALUES
    ('train_group', 'trains DCRNNs for a list of patterns, similar ones together, each stored as a new active model, run as the submitting role');

CREATE FUNCTION @extschema@.informer_train_group(pattern_ids int[], options jsonb DEFAULT '{}')
RETURNS bigint
AS 'MODULE_PATHNAME', 'informer_train_group'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_train_group(int[], jsonb)
    IS 'queues training of the DCRNNs of several patterns with one option set, the models of patterns of similar size trained together, run in the background as the calling role; returns the job id';

CREATE FUNCTION @extschema@.informer_train_group_now(pattern_ids int[], options jsonb DEFAULT '{}')
RETURNS TABLE (pattern_id int4, model_id bigint)
AS 'MODULE_PATHNAME', 'informer_train_group_now'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_train_group_now(int[], jsonb)
    IS 'trains the DCRNNs of several patterns with one option set in the calling backend, the models of patterns of similar size together, and stores each as its pattern''s new active model; one row per pattern, model_id NULL where training diverged';
