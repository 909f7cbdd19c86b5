-- Registering a log table as a source, and filling the RPC dictionary.

CREATE TABLE rpc_log (ts timestamptz, trace_id text, caller text, callee text, latency int);
INSERT INTO rpc_log VALUES
    ('2026-01-01 00:00', 't1', 'gw', 'auth', 3),
    ('2026-01-01 00:00', 't1', 'auth', 'db', 1),
    ('2026-01-01 00:01', 't2', 'gw', 'auth', 2),
    ('2026-01-01 00:01', 't2', NULL, 'db', 2);

SELECT informer_register_source('web', 'rpc_log', 'ts', 'trace_id', 'caller', 'callee');
SELECT source_name, log_table, ts_column, chain_column, src_column, dst_column, bucket_width
  FROM informer.source;
SELECT informer_refresh_rpcs('web') AS new_rpcs;
SELECT informer_refresh_rpcs('web') AS new_rpcs_again;
SELECT src, dst FROM informer.rpc ORDER BY rpc_id;

-- errors
SELECT informer_register_source('web', 'rpc_log', 'ts', 'trace_id', 'caller', 'callee');
SELECT informer_register_source('x', 'no_such_table', 'ts', 'trace_id', 'caller', 'callee');
SELECT informer_register_source('x', 'rpc_log', 'tstamp', 'trace_id', 'caller', 'callee');
SELECT informer_register_source('x', 'rpc_log', 'caller', 'trace_id', 'caller', 'callee');
SELECT informer_register_source('x', 'rpc_log', 'ts', 'trace_id', 'latency', 'callee');
SELECT informer_register_source('x', 'rpc_log', 'ts', 'ts', 'caller', 'callee');
SELECT informer_register_source('x', 'rpc_log', 'ts', 'trace_id', 'caller', 'callee', interval '0');
SELECT informer_register_source('x', 'rpc_log', 'ts', 'trace_id', 'caller', 'callee', interval '1 month');
SELECT informer_register_source('', 'rpc_log', 'ts', 'trace_id', 'caller', 'callee');
SELECT informer_register_source('x', 'rpc_log', 'ts', NULL, 'caller', 'callee') IS NULL AS strict_null;
SELECT informer_refresh_rpcs('nope');
CREATE SEQUENCE not_a_table;
SELECT informer_register_source('x', 'not_a_table', 'ts', 'trace_id', 'caller', 'callee');

-- a view with casts works, quoted identifiers too
CREATE VIEW "Odd View" AS SELECT ts::timestamp AS "When", trace_id::varchar AS "Chain Id",
       caller AS "From", callee AS "To" FROM rpc_log;
SELECT informer_register_source('odd', '"Odd View"', 'When', 'Chain Id', 'From', 'To', '5 minutes');
SELECT informer_refresh_rpcs('odd') AS nothing_new;

-- a role without SELECT on the table cannot register it
CREATE ROLE informer_nobody;
GRANT USAGE ON SCHEMA informer TO informer_nobody;
GRANT INSERT ON informer.source TO informer_nobody;
SET ROLE informer_nobody;
SELECT informer_register_source('sneaky', 'rpc_log', 'ts', 'trace_id', 'caller', 'callee');
RESET ROLE;

SELECT informer_drop_source('odd');
SELECT informer_drop_source('odd');
SELECT count(*) AS sources FROM informer.source;

SELECT informer_drop_source('web');
DROP VIEW "Odd View";
DROP TABLE rpc_log;
DROP SEQUENCE not_a_table;
REVOKE ALL ON informer.source FROM informer_nobody;
REVOKE ALL ON SCHEMA informer FROM informer_nobody;
DROP ROLE informer_nobody;
