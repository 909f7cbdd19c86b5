-- informer_import_spans on a hand-made trace: one RPC per span whose parent
-- is in the same trace, parent's service.operation -> child's.
SET timezone = 'UTC';

CREATE TABLE spans (trace_id text, span_id text, parent_span_id text,
                    service text, operation text, start_time timestamptz);
INSERT INTO spans VALUES
    -- trace t1: frontend -> (frontend client span) -> cart -> cart's cache call; frontend -> auth
    ('t1', 's1', NULL, 'frontend', 'GET /home', '2026-01-01 10:00:00.000+00'),
    ('t1', 's2', 's1', 'frontend', 'call cart', '2026-01-01 10:00:00.001+00'),
    ('t1', 's3', 's2', 'cart', 'GetCart',       '2026-01-01 10:00:00.002+00'),
    ('t1', 's4', 's3', 'cart', 'redis.get',     '2026-01-01 10:00:00.003+00'),
    ('t1', 's5', 's1', 'auth', 'Verify',        '2026-01-01 10:00:00.004+00'),
    -- trace t2 reuses span ids of t1: parents are looked up within the trace only
    ('t2', 's1', '',   'frontend', 'GET /checkout', '2026-01-01 10:00:01+00'),
    ('t2', 's2', 's1', 'checkout', 'PlaceOrder',    '2026-01-01 10:00:02+00'),
    ('t2', 's3', 's2', 'payment', 'Charge',         '2026-01-01 10:00:03+00'),
    ('t2', 's3', 's2', 'payment', 'Charge',         '2026-01-01 10:00:03+00'),  -- exported twice
    ('t2', 's9', 'gone', 'email', 'Send',           '2026-01-01 10:00:04+00'),  -- parent not exported
    (NULL, 's7', 's1', 'ghost', 'Boo',              '2026-01-01 10:00:05+00');

SELECT informer_import_spans('spans', 'rpc_log') AS rpcs_added;
SELECT ts, chain_id, src, dst FROM rpc_log ORDER BY ts;
\d rpc_log

-- appending to an existing table, inter-service calls only
SELECT informer_import_spans('spans', 'rpc_log', cross_service_only => true) AS rpcs_added;
SELECT src, dst, count(*) FROM rpc_log GROUP BY 1, 2 ORDER BY 1, 2;

-- Unix time columns and quoted names (OpenTelemetry: nanoseconds, Jaeger: microseconds)
CREATE TABLE "My Spans" ("Trace" uuid, "Span" bigint, "Parent" bigint, "Svc" varchar,
                         "Op" name, "Start" bigint);
INSERT INTO "My Spans" VALUES
    ('5f0c2a9e-0000-4000-8000-000000000001', 1, NULL, 'gw', 'POST /login', 1674982159219813595),
    ('5f0c2a9e-0000-4000-8000-000000000001', 2, 1, 'account', 'Login', 1674982159221196428);
SELECT informer_import_spans('"My Spans"', 'public."Imported RPCs"', 'Trace', 'Span', 'Parent',
                             'Svc', 'Op', 'Start', time_unit => 'ns');
SELECT * FROM "Imported RPCs";
UPDATE "My Spans" SET "Start" = "Start" / 1000;
SELECT informer_import_spans('"My Spans"', '"Imported RPCs"', 'Trace', 'Span', 'Parent',
                             'Svc', 'Op', 'Start', time_unit => 'us');
SELECT count(DISTINCT ts) AS same_time_both_ways FROM "Imported RPCs";

-- errors
SELECT informer_import_spans('no_such_table', 'x');
SELECT informer_import_spans('spans', 'x', trace_id => 'traceid');
SELECT informer_import_spans('spans', 'x', service => 'start_time');
SELECT informer_import_spans('spans', 'x', start_time => 'service');
SELECT informer_import_spans('spans', 'x', time_unit => 'ns');
SELECT informer_import_spans('"My Spans"', 'x', 'Trace', 'Span', 'Parent', 'Svc', 'Op', 'Start');
SELECT informer_import_spans('"My Spans"', 'x', 'Trace', 'Span', 'Parent', 'Svc', 'Op', 'Start', 'hours');
SELECT informer_import_spans('spans', 'a.b.c');
SELECT informer_import_spans('spans', 'bad"name');
SELECT informer_import_spans('spans', 'spans');
SELECT informer_import_spans('spans', NULL);
SELECT informer_import_spans('spans', 'x', operation => NULL);
SELECT to_regclass('x') IS NULL AS nothing_created;

-- a role that may not read the spans
CREATE ROLE informer_importer;
SET ROLE informer_importer;
SELECT informer_import_spans('spans', 'x');
RESET ROLE;
GRANT SELECT ON spans TO informer_importer;
SET ROLE informer_importer;
SELECT informer_import_spans('spans', 'rpc_log');
RESET ROLE;
GRANT INSERT ON rpc_log TO informer_importer;
SET ROLE informer_importer;
SELECT informer_import_spans('spans', 'rpc_log') AS imported_with_grants;
RESET ROLE;
REVOKE ALL ON spans, rpc_log FROM informer_importer;

SELECT count(*) AS rows_after_role FROM rpc_log;

DROP TABLE spans, rpc_log, "My Spans", "Imported RPCs";
DROP ROLE informer_importer;
RESET timezone;
