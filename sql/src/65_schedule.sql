-- informer install script, part 65: running detection and retraining on a
-- timetable with pg_cron, when it is installed in this database.

-- The cron schedule of a bucket width: one minute past each bucket's end
-- (buckets are aligned to whole hours and days, in UTC as pg_cron is).
CREATE FUNCTION informer._bucket_schedule(width interval)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    mins numeric := pg_catalog.date_part('epoch', width) / 60;
BEGIN
    IF mins = 1 THEN
        RETURN '* * * * *';
    ELSIF mins > 1 AND mins < 60 AND 60 % mins = 0 THEN
        RETURN pg_catalog.format('1-59/%s * * * *', mins::int4);
    ELSIF mins = 60 THEN
        RETURN '1 * * * *';
    ELSIF mins > 60 AND mins < 1440 AND 1440 % mins = 0 AND mins % 60 = 0 THEN
        RETURN pg_catalog.format('1 */%s * * *', (mins / 60)::int4);
    ELSIF mins = 1440 THEN
        RETURN '1 0 * * *';
    END IF;
    RAISE EXCEPTION 'no cron schedule runs once per bucket of %', width
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'Only widths of whole minutes that divide an hour, whole hours that divide a day, or one day map onto a cron schedule.',
              HINT = 'Pass detect_schedule explicitly, e.g. ''*/5 * * * *''.';
END
$$;
COMMENT ON FUNCTION informer._bucket_schedule(interval)
    IS 'internal: the cron schedule that fires one minute after the end of every bucket of this width';

CREATE FUNCTION informer._require_pg_cron()
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension e WHERE e.extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', pg_catalog.current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('pg_cron runs jobs only in the database named by cron.database_name (now "%s").',
                                             COALESCE(pg_catalog.current_setting('cron.database_name', true), 'unset: pg_cron is not preloaded')),
                  HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name to this database, restart, and run CREATE EXTENSION pg_cron; or call informer_detect() from another scheduler.';
    END IF;
END
$$;
COMMENT ON FUNCTION informer._require_pg_cron() IS 'internal: fails with a hint unless pg_cron is installed in this database';

CREATE FUNCTION @extschema@.informer_schedule(
    detect_schedule  text DEFAULT NULL,
    retrain_schedule text DEFAULT '30 3 * * *')
RETURNS TABLE (job_name text, schedule text, command text, jobid bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    width interval;
    ext   name;
BEGIN
    PERFORM informer._require_pg_cron();
    SELECT n.nspname INTO STRICT ext
      FROM pg_catalog.pg_extension e
      JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace
     WHERE e.extname OPERATOR(pg_catalog.=) 'informer';
    IF detect_schedule IS NULL THEN
        SELECT pg_catalog.min(s.bucket_width) INTO width FROM informer.source s;
        IF width IS NULL THEN
            RAISE EXCEPTION 'no source is registered, so the bucket width to detect at is unknown'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Register a source with informer_register_source() first, or pass detect_schedule.';
        END IF;
        detect_schedule := informer._bucket_schedule(width);
    END IF;
    FOR job_name, schedule, command IN
        SELECT 'informer-detect', detect_schedule,
               pg_catalog.format('SELECT %I.informer_detect()', ext)
        UNION ALL
        SELECT 'informer-retrain', retrain_schedule,
               pg_catalog.format('SELECT %I.informer_retrain_all()', ext)
    LOOP
        CONTINUE WHEN schedule IS NULL;
        -- pg_cron replaces a job of the same name and owner, so calling
        -- this again changes the schedules instead of adding jobs
        EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO jobid USING job_name, schedule, command;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_schedule(text, text)
    IS 'schedules informer_detect() once per bucket (or on detect_schedule) and informer_retrain_all() nightly (or on retrain_schedule; NULL skips it) as pg_cron jobs informer-detect and informer-retrain of the calling role';

CREATE FUNCTION @extschema@.informer_unschedule()
RETURNS int4
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n int4 := 0;
    j text;
BEGIN
    PERFORM informer._require_pg_cron();
    FOR j IN EXECUTE 'SELECT c.jobname FROM cron.job c
                       WHERE c.jobname IN (''informer-detect'', ''informer-retrain'')
                         AND c.username OPERATOR(pg_catalog.=) CURRENT_USER ORDER BY 1' LOOP
        EXECUTE 'SELECT cron.unschedule($1)' USING j;
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION @extschema@.informer_unschedule()
    IS 'removes the calling role''s pg_cron jobs informer-detect and informer-retrain; returns how many were removed';
