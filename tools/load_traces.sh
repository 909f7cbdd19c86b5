#!/usr/bin/env bash
# load_traces.sh -- loads one of the real trace data sets into an RPC log
# table (ts timestamptz, chain_id text, src text, dst text), in one step.
#
#   tools/load_traces.sh DATASET [TABLE]
#
# Connection: the usual libpq variables (PGHOST, PGPORT, PGDATABASE, PGUSER).
# Data: $INFORMER_DATA, default ../shared/data beside the checkout.
# TABLE defaults to the data set's name with '-' as '_'; it must not exist.
# Files are read by psql on this machine (\copy ... FROM PROGRAM 'xz -dc ...').
#
# Data sets:
#   alibaba-v2021              Alibaba 2021 call graph sample (999 rows)
#   alibaba-v2022              Alibaba 2022 call graph RPC sample (2,787 rows)
#   trainticket                TrainTicket RPC calls around 28 faults (316,585 rows)
#                              plus TABLE_faults
#   trainticket-normal         one fault-free TrainTicket minute (4,819 rows)
#   trainticket-normal-spans   the same minute from its raw spans, through
#                              informer_import_spans() (needs the extension)
#   onlineboutique-2022-08-22  Online Boutique RPC calls (2,399,399 rows) plus TABLE_faults
#   onlineboutique-2022-08-23  Online Boutique RPC calls (3,308,300 rows) plus TABLE_faults
#
# The Alibaba traces give times as milliseconds from the start of the trace;
# they are placed from ALIBABA_START (default 2021-01-01 00:00+00 and
# 2022-01-01 00:00+00).  See docs/data.md for every column mapping.
set -euo pipefail

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
dataset=$1
table=${2:-${dataset//-/_}}
[[ $table =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "load_traces.sh: table name must be a lower-case identifier" >&2; exit 2; }
here=$(cd "$(dirname "$0")/.." && pwd)
data=${INFORMER_DATA:-$(cd "$here/.." && pwd)/shared/data}

run_psql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# program DECOMPRESSOR FILE: the quoted SQL literal of a shell command that
# prints FILE (psql's \copy takes no variables, so the literal is built here)
program() {
    local cmd
    cmd="$1 $(printf '%q' "$2")"
    printf "'%s'" "${cmd//\'/\'\'}"
}

# rpc_calls.csv(.xz): ts_ms, trace_id, src_service, src_method, dst_service, dst_method, duration_us
load_rpc_calls() { # FILE
    run_psql <<SQL
BEGIN;
CREATE TEMP TABLE raw_calls (ts_ms bigint, trace_id text, src_service text, src_method text,
                             dst_service text, dst_method text, duration_us bigint);
\\copy raw_calls FROM PROGRAM $(program 'xz -dc' "$1") WITH (FORMAT csv, HEADER)
CREATE TABLE $table AS
SELECT 'epoch'::timestamptz + ts_ms * interval '1 millisecond' AS ts, trace_id AS chain_id,
       src_service || '.' || src_method AS src, dst_service || '.' || dst_method AS dst,
       duration_us
  FROM raw_calls ORDER BY ts_ms;
COMMIT;
SQL
}

# faults*.csv: fault_id, inject_time_utc, start_unix_s, end_unix_s, upstream_inject_timestamp,
# upstream_timestamp_minus_start_s, pod, service, fault_type
load_faults() { # FILE
    run_psql <<SQL
BEGIN;
CREATE TEMP TABLE raw_faults (fault_id int, inject_time_utc text, start_unix_s bigint,
    end_unix_s bigint, upstream_inject_timestamp bigint, upstream_timestamp_minus_start_s bigint,
    pod text, service text, fault_type text);
\\copy raw_faults FROM PROGRAM $(program cat "$1") WITH (FORMAT csv, HEADER)
CREATE TABLE ${table}_faults AS
SELECT fault_id, to_timestamp(start_unix_s) AS starts, to_timestamp(end_unix_s) AS ends,
       pod, service, fault_type FROM raw_faults ORDER BY fault_id;
COMMIT;
SQL
}

# Alibaba: chain = traceid, ts = start + timestamp ms, dst = dm.interface (the
# rpctype when the interface is empty), src = um.<interface of the parent call>
# (the row one level up in rpcid whose dm is this um), um alone when the parent
# row is not in the sample; an empty um or dm is Alibaba's unknown, '(?)'.
# Caller and callee records of one call (same traceid, rpcid, um, dm) are kept
# once: the earlier.
alibaba_sql() { # FILE COLUMNS: the SQL, which reads :start
    cat <<SQL
BEGIN;
CREATE TEMP TABLE raw_cg ($2);
\\copy raw_cg FROM PROGRAM $(program cat "$1") WITH (FORMAT csv, HEADER)
CREATE TEMP TABLE calls AS
SELECT DISTINCT ON (traceid, rpcid, um, dm) traceid, timestamp AS ts_ms, rpcid, um, dm, rpctype, interface
  FROM raw_cg ORDER BY traceid, rpcid, um, dm, timestamp;
CREATE TABLE $table AS
SELECT :'start'::timestamptz + c.ts_ms * interval '1 millisecond' AS ts, c.traceid AS chain_id,
       coalesce(nullif(c.um, ''), '(?)') || coalesce('.' || p.interface, '') AS src,
       coalesce(nullif(c.dm, ''), '(?)') || '.' ||
           coalesce(nullif(c.interface, ''), nullif(c.rpctype, ''), '?') AS dst,
       c.rpctype, c.rpcid
  FROM calls c
  LEFT JOIN LATERAL (SELECT nullif(x.interface, '') AS interface FROM calls x
                      WHERE x.traceid = c.traceid AND x.dm = c.um
                        AND x.rpcid = regexp_replace(c.rpcid, '\.[^.]*$', '')
                        AND c.rpcid LIKE '%.%'
                      ORDER BY x.interface LIMIT 1) p ON true
 ORDER BY c.ts_ms, c.traceid, c.rpcid;
COMMIT;
SQL
}

case $dataset in
alibaba-v2021)
    alibaba_sql "$data/alibaba-v2021-callgraph-sample/MSCallGraph_sample.csv" \
        "idx int, traceid text, timestamp bigint, rpcid text, um text, rpctype text, dm text, interface text, rt numeric" \
        | run_psql -v start="${ALIBABA_START:-2021-01-01 00:00+00}" ;;
alibaba-v2022)
    alibaba_sql "$data/alibaba-v2022-callgraph-rpc-sample/CallGraph_0_casper_rpc_sample.csv" \
        "idx int, timestamp bigint, traceid text, service text, rpcid text, rpctype text, um text, uminstanceid text, interface text, dm text, dminstanceid text, rt numeric" \
        | run_psql -v start="${ALIBABA_START:-2022-01-01 00:00+00}" ;;
trainticket)
    load_rpc_calls "$data/trainticket-nezha-2023-01-29/rpc_calls.csv.xz"
    load_faults "$data/trainticket-nezha-2023-01-29/faults.csv" ;;
trainticket-normal)
    load_rpc_calls "$data/trainticket-nezha-2023-01-29/normal_phase_08_50_rpc_calls.csv.xz" ;;
trainticket-normal-spans)
    run_psql <<SQL
BEGIN;
CREATE TEMP TABLE raw_spans ("TraceID" text, "SpanID" text, "ParentID" text, "PodName" text,
    "OperationName" text, "StartTimeUnixNano" bigint, "EndTimeUnixNano" bigint, "Duration" bigint);
\\copy raw_spans FROM PROGRAM $(program 'xz -dc' "$data/trainticket-nezha-2023-01-29/normal_phase_08_50_spans.csv.xz") WITH (FORMAT csv, HEADER)
-- the service is the pod name without its last two dash-separated parts
CREATE TEMP VIEW spans AS
SELECT "TraceID", "SpanID", "ParentID", "OperationName", "StartTimeUnixNano",
       regexp_replace("PodName", '-[^-]+-[^-]+\$', '') AS service FROM raw_spans;
SELECT informer_import_spans('spans', '$table', 'TraceID', 'SpanID', 'ParentID', 'service',
                             'OperationName', 'StartTimeUnixNano', 'ns') AS rpcs \\gset
COMMIT;
SQL
    ;;
onlineboutique-2022-08-22|onlineboutique-2022-08-23)
    day=${dataset#onlineboutique-}
    load_rpc_calls "$data/onlineboutique-2022-08/rpc_calls_$day.csv.xz"
    load_faults "$data/onlineboutique-2022-08/faults_$day.csv" ;;
*)
    echo "load_traces.sh: unknown data set \"$dataset\"" >&2; usage ;;
esac
echo "$dataset: $(run_psql -At -c "SELECT count(*) FROM $table") rows in $table"
