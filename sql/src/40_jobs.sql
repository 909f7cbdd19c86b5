-- informer install script, part 40: the job queue that the background
-- launcher serves (states in src/pg/README.md).

CREATE TABLE informer.job_kind (
    kind        text PRIMARY KEY,
    description text NOT NULL
);
COMMENT ON TABLE informer.job_kind IS 'the kinds of jobs the background worker knows how to run';
INSERT INTO informer.job_kind VALUES
    ('refresh', 'informer_refresh_traffic() of a source, run as the submitting role');

CREATE TABLE informer.jobs (
    job_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind             text NOT NULL REFERENCES informer.job_kind (kind),
    source_name      text,
    pattern_id       int4,
    options          jsonb NOT NULL DEFAULT '{}'
                     CHECK (pg_catalog.jsonb_typeof(options) OPERATOR(pg_catalog.=) 'object'),
    owner            regrole NOT NULL,
    status           text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'starting', 'running',
                                       'succeeded', 'failed', 'cancelled')),
    cancel_requested boolean NOT NULL DEFAULT false,
    progress         jsonb NOT NULL DEFAULT '{}',
    device           text,
    device_reason    text,
    submitted_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    error            text,
    worker_pid       int4
);
COMMENT ON TABLE informer.jobs IS
    'background jobs and their history: queued -> starting -> running -> succeeded | failed | cancelled';
CREATE INDEX jobs_queued_idx ON informer.jobs (job_id) WHERE status IN ('queued', 'starting', 'running');
CREATE INDEX jobs_finished_idx ON informer.jobs (finished_at) WHERE finished_at IS NOT NULL;

-- Everyone sees the jobs of the roles whose privileges they have; rows are
-- written only through the functions below and by the worker.
ALTER TABLE informer.jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_visible_to_owner ON informer.jobs FOR SELECT
    USING (pg_catalog.pg_has_role(owner::oid, 'USAGE'));
GRANT USAGE ON SCHEMA informer TO PUBLIC;
GRANT SELECT ON informer.jobs, informer.job_kind TO PUBLIC;

CREATE FUNCTION @extschema@.informer_submit_refresh(source_name text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'informer_submit_refresh'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_submit_refresh(text)
    IS 'queues a traffic refresh of the source, run in the background as the calling role; returns the job id';

CREATE FUNCTION @extschema@.informer_cancel(job_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'informer_cancel'
LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.informer_cancel(bigint)
    IS 'cancels a queued or running job of the calling role; false when the job had already ended';
