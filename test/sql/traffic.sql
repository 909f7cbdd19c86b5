-- Incremental traffic refresh: counts per RPC and bucket equal a direct
-- GROUP BY over the whole log, however the rows arrive; re-read buckets are
-- replaced, never added to.

CREATE TABLE tlog (ts timestamptz, trace text, caller text, callee text);
SELECT informer_register_source('t', 'tlog', 'ts', 'trace', 'caller', 'callee', '10 minutes');

-- the independent reference: a plain GROUP BY over everything
CREATE FUNCTION expected_traffic() RETURNS TABLE (src text, dst text, bucket timestamptz, calls bigint)
LANGUAGE sql AS $$
    SELECT caller, callee,
           timestamptz '2000-01-01 00:00+00' + floor(extract(epoch FROM ts - timestamptz '2000-01-01 00:00+00') / 600) * interval '10 minutes',
           count(*)
      FROM tlog WHERE caller IS NOT NULL AND callee IS NOT NULL AND ts IS NOT NULL
     GROUP BY 1, 2, 3 $$;
CREATE FUNCTION traffic_matches() RETURNS boolean LANGUAGE sql AS $$
    SELECT NOT EXISTS (
        (SELECT * FROM expected_traffic()
         EXCEPT ALL
         SELECT r.src, r.dst, t.bucket, t.calls FROM informer.traffic t JOIN informer.rpc r USING (rpc_id))
        UNION ALL
        (SELECT r.src, r.dst, t.bucket, t.calls FROM informer.traffic t JOIN informer.rpc r USING (rpc_id)
         EXCEPT ALL
         SELECT * FROM expected_traffic())) $$;

-- an empty log: nothing counted, no watermark yet
SELECT * FROM informer_refresh_traffic('t');

INSERT INTO tlog VALUES
    ('2026-03-01 10:00:00+00', 'a', 'gw', 'auth'),
    ('2026-03-01 10:09:59+00', 'a', 'auth', 'db'),
    ('2026-03-01 10:10:00+00', 'b', 'gw', 'auth'),
    ('2026-03-01 10:11:00+00', 'b', 'gw', 'auth'),
    ('2026-03-01 10:12:00+00', 'b', NULL, 'db'),
    (NULL, 'c', 'gw', 'auth');
SELECT * FROM informer_refresh_traffic('t');
SELECT r.src, r.dst, t.bucket, t.calls
  FROM informer.traffic t JOIN informer.rpc r USING (rpc_id) ORDER BY 1, 2, 3;
SELECT traffic_matches();

-- a second run counts nothing twice (it re-reads the newest bucket only)
SELECT * FROM informer_refresh_traffic('t');
SELECT traffic_matches();

-- with no lateness, a row that arrives behind the watermark's bucket is not
-- counted; rows in the watermark's bucket are
INSERT INTO tlog VALUES
    ('2026-03-01 10:05:00+00', 'd', 'gw', 'auth'),
    ('2026-03-01 10:15:00+00', 'd', 'gw', 'auth'),
    ('2026-03-01 10:31:00+00', 'd', 'auth', 'cache');
SELECT * FROM informer_refresh_traffic('t');
SELECT traffic_matches() AS matches_without_the_too_late_row;
DELETE FROM tlog WHERE ts = '2026-03-01 10:05:00+00';
SELECT traffic_matches();

-- a lateness window of 25 minutes: late rows within it are counted, the
-- buckets they fall in are recomputed in full
SELECT informer_set_lateness('t', '25 minutes');
INSERT INTO tlog VALUES
    ('2026-03-01 10:09:00+00', 'e', 'gw', 'auth'),
    ('2026-03-01 10:19:00+00', 'e', 'auth', 'db'),
    ('2026-03-01 10:40:00+00', 'e', 'gw', 'auth');
SELECT * FROM informer_refresh_traffic('t');
SELECT traffic_matches();
SELECT * FROM informer_refresh_traffic('t');
SELECT traffic_matches();
SELECT source_name, lateness, watermark FROM informer.source_state;

-- many rows in scrambled time order: still equal to the reference
INSERT INTO tlog
SELECT timestamptz '2026-03-01 10:41:00+00' + (i * 7 % 3600) * interval '1 second',
       'g' || (i / 3), 's' || (i % 5), 's' || (i % 7)
  FROM generate_series(1, 20000) i;
SELECT rows_read > 20000 AS read_all, rpcs FROM informer_refresh_traffic('t');
SELECT traffic_matches();
SELECT sum(calls) = (SELECT count(*) FROM tlog WHERE caller IS NOT NULL AND ts IS NOT NULL) AS every_row_once
  FROM informer.traffic;

-- a timestamp (without time zone) column in a view, quoted names
CREATE VIEW "Log View" AS SELECT ts::timestamp AS "At", trace, caller AS "From", callee AS "To" FROM tlog;
SET TimeZone = 'UTC';
SELECT informer_register_source('v', '"Log View"', 'At', 'trace', 'From', 'To', '10 minutes');
SELECT rows_read, buckets, changed FROM informer_refresh_traffic('v');
RESET TimeZone;

-- errors
SELECT * FROM informer_refresh_traffic('nope');
SELECT informer_set_lateness('nope', '1 minute');
SELECT informer_set_lateness('t', '-1 minute');
SELECT informer_set_lateness('t', '1 month');
SELECT informer_set_lateness('t', '31 days');
SELECT informer_refresh_traffic(NULL) IS NULL AS strict_null;
SELECT informer_set_lateness('t', NULL) IS NULL AS strict_null;
CREATE TABLE gone (ts timestamptz, trace text, caller text, callee text);
SELECT informer_register_source('gone', 'gone', 'ts', 'trace', 'caller', 'callee');
DROP TABLE gone;
SELECT * FROM informer_refresh_traffic('gone');

-- dropping a source forgets its refresh state, not the traffic
SELECT informer_drop_source('t');
SELECT count(*) AS states FROM informer.source_state WHERE source_name = 't';
SELECT informer_drop_source('gone');
SELECT informer_drop_source('v');
DROP VIEW "Log View";
DROP TABLE tlog;
DROP FUNCTION traffic_matches();
DROP FUNCTION expected_traffic();
