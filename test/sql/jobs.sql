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

SELECT informer_drop_source('j');
DROP TABLE jlog;
