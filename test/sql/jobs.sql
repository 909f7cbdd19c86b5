-- The job queue's SQL surface and its errors.  Jobs themselves run in the
-- database named by informer.database ('postgres' here); test/shell/jobs.sh
-- runs them for real.

SELECT kind, description FROM informer.job_kind ORDER BY kind;
SELECT count(*) AS jobs FROM informer.jobs;

CREATE TABLE jlog (ts timestamptz, trace text, caller text, callee text);
SELECT informer_register_source('j', 'jlog', 'ts', 'trace', 'caller', 'callee');

-- errors
SELECT informer_submit_refresh('nope');
SELECT informer_submit_refresh('j');
SELECT informer_submit_refresh(NULL) IS NULL AS strict_null;
SELECT informer_cancel(424242);
SELECT informer_cancel(NULL) IS NULL AS strict_null;
INSERT INTO informer.jobs (kind, owner) VALUES ('no such kind', current_user::regrole);
\set VERBOSITY terse
INSERT INTO informer.jobs (kind, owner, options) VALUES ('refresh', current_user::regrole, '[1]');
\set VERBOSITY default

-- a role may read informer.jobs, but not write it
CREATE ROLE informer_jobs_reader LOGIN;
SET ROLE informer_jobs_reader;
SELECT count(*) AS visible FROM informer.jobs;
INSERT INTO informer.jobs (kind, owner) VALUES ('refresh', current_user::regrole);
UPDATE informer.jobs SET status = 'failed';
RESET ROLE;
DROP ROLE informer_jobs_reader;

-- the queue is written with the table owner's rights, never through the
-- caller's search_path: an operator planted ahead of pg_catalog is not used
CREATE ROLE informer_evil LOGIN;
CREATE SCHEMA evil AUTHORIZATION informer_evil;
SET ROLE informer_evil;
CREATE FUNCTION evil.eq(text, text) RETURNS boolean LANGUAGE plpgsql AS
    $$ BEGIN RAISE NOTICE 'evil ran as %', current_user; RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.eq);
CREATE FUNCTION evil.eq8(bigint, bigint) RETURNS boolean LANGUAGE plpgsql AS
    $$ BEGIN RAISE NOTICE 'evil ran as %', current_user; RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.eq8);
SET search_path = evil, pg_catalog;
SELECT 'x'::text = 'x'::text AS planted_operator_is_found;
SELECT public.informer_submit_refresh('j');
SELECT public.informer_cancel(1);
RESET search_path;
RESET ROLE;
DROP SCHEMA evil CASCADE;
DROP ROLE informer_evil;

SELECT informer_drop_source('j');
DROP TABLE jlog;
