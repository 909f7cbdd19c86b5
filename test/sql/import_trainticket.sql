-- informer_import_spans on real OpenTelemetry spans: one fault-free minute
-- of TrainTicket (4,890 spans, 71 traces).  The data set ships the parent ->
-- child calls its curators derived from the same spans; the import must give
-- exactly those rows.  Counts below were checked with a separate script.
SET timezone = 'UTC';
\getenv data INFORMER_DATA
\set spans_cmd 'xz -dc ' :data '/trainticket-nezha-2023-01-29/normal_phase_08_50_spans.csv.xz'
\set calls_cmd 'xz -dc ' :data '/trainticket-nezha-2023-01-29/normal_phase_08_50_rpc_calls.csv.xz'

CREATE TABLE tt_spans ("TraceID" text, "SpanID" text, "ParentID" text, "PodName" text,
                       "OperationName" text, "StartTimeUnixNano" bigint,
                       "EndTimeUnixNano" bigint, "Duration" bigint);
COPY tt_spans FROM PROGRAM :'spans_cmd' WITH (FORMAT csv, HEADER);
-- the service is the pod name without its last two dash-separated parts
CREATE VIEW tt_span_view AS
SELECT *, regexp_replace("PodName", '-[^-]+-[^-]+$', '') AS service FROM tt_spans;
SELECT count(*) AS spans, count(DISTINCT "TraceID") AS traces,
       count(DISTINCT service) AS services, count(*) FILTER (WHERE "ParentID" = 'root') AS roots
  FROM tt_span_view;

SELECT informer_import_spans('tt_span_view', 'tt_rpc', 'TraceID', 'SpanID', 'ParentID',
                             'service', 'OperationName', 'StartTimeUnixNano', 'ns') AS rpcs;

-- the curators' derived calls: the same multiset of (ms, trace, src, dst)
CREATE TABLE tt_ref (ts_ms bigint, trace_id text, src_service text, src_method text,
                     dst_service text, dst_method text, duration_us bigint);
COPY tt_ref FROM PROGRAM :'calls_cmd' WITH (FORMAT csv, HEADER);
CREATE VIEW tt_mine AS
SELECT floor(extract(epoch FROM ts) * 1000)::bigint AS ts_ms, chain_id, src, dst FROM tt_rpc;
CREATE VIEW tt_theirs AS
SELECT ts_ms, trace_id AS chain_id, src_service || '.' || src_method AS src,
       dst_service || '.' || dst_method AS dst FROM tt_ref;
SELECT (SELECT count(*) FROM tt_ref) AS reference_rows,
       (SELECT count(*) FROM (SELECT * FROM tt_mine EXCEPT ALL SELECT * FROM tt_theirs) x) AS only_imported,
       (SELECT count(*) FROM (SELECT * FROM tt_theirs EXCEPT ALL SELECT * FROM tt_mine) x) AS only_reference;

-- real RPC names and chain shapes
SELECT count(DISTINCT (src, dst)) AS rpcs, count(DISTINCT chain_id) AS chains,
       min(ts) AS first_call, max(ts) AS last_call FROM tt_rpc;
SELECT src, dst, count(*) AS calls
  FROM tt_rpc WHERE split_part(src, '.', 1) <> split_part(dst, '.', 1)
 GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2 LIMIT 3;

-- inter-service calls only
SELECT informer_import_spans('tt_span_view', 'tt_cross', 'TraceID', 'SpanID', 'ParentID',
                             'service', 'OperationName', 'StartTimeUnixNano', 'ns',
                             cross_service_only => true) AS cross_service_rpcs;
SELECT count(DISTINCT (src, dst)) AS cross_rpcs, max(n) AS most_calls_in_a_chain
  FROM tt_cross, LATERAL (SELECT count(*) AS n FROM tt_cross c WHERE c.chain_id = tt_cross.chain_id) x;

DROP VIEW tt_mine, tt_theirs, tt_span_view;
DROP TABLE tt_spans, tt_ref, tt_rpc, tt_cross;
RESET timezone;
