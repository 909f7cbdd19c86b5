#!/usr/bin/env bash
# load_traces.sh -- tools/load_traces.sh loads the small real data sets in
# one step, with the column mappings of docs/data.md.  The expected numbers
# were computed from the CSV files by a separate script (Python csv module).
. "$REPO/test/lib/tap.sh"

if [ ! -d "$INFORMER_DATA" ]; then
    ok "real data sets # SKIP not found at $INFORMER_DATA (set INFORMER_DATA)"
    exit 0
fi

export PATH="$PG_BIN:$PATH" PGDATABASE=informer_traces
q "CREATE DATABASE informer_traces" >/dev/null
q "CREATE EXTENSION informer" informer_traces >/dev/null
t() { q "$1" informer_traces; }

load() { "$REPO/tools/load_traces.sh" "$@" >/dev/null 2>"$WORK/load_traces.err"; }

load alibaba-v2021 && ok "loads alibaba-v2021" || not_ok "loads alibaba-v2021: $(cat "$WORK/load_traces.err")"
check "alibaba-v2021: calls, RPCs, chains, calls without caller method" "822|371|21|316" \
    "$(t "SELECT count(*), count(DISTINCT (src, dst)), count(DISTINCT chain_id),
              count(*) FILTER (WHERE src NOT LIKE '%.%') FROM alibaba_v2021")"
check "alibaba-v2021: memcached calls and the longest chain" "361|210" \
    "$(t "SELECT (SELECT count(*) FROM alibaba_v2021 WHERE dst LIKE '%.mc'),
                 (SELECT max(n) FROM (SELECT count(*) n FROM alibaba_v2021 GROUP BY chain_id) x)")"
check "alibaba-v2021: times from the trace start" "2021-01-01 00:00:22.185+00|2021-01-01 00:04:50.173+00" \
    "$(t "SELECT min(ts), max(ts) FROM alibaba_v2021")"

load alibaba-v2022 && ok "loads alibaba-v2022" || not_ok "loads alibaba-v2022: $(cat "$WORK/load_traces.err")"
check "alibaba-v2022: calls, RPCs, chains, calls without caller method" "2787|1419|1415|1846" \
    "$(t "SELECT count(*), count(DISTINCT (src, dst)), count(DISTINCT chain_id),
              count(*) FILTER (WHERE src NOT LIKE '%.%') FROM alibaba_v2022")"
check "alibaba-v2022: entry calls from USER, longest chain" "69|41" \
    "$(t "SELECT (SELECT count(*) FROM alibaba_v2022 WHERE src = 'USER'),
                 (SELECT max(n) FROM (SELECT count(*) n FROM alibaba_v2022 GROUP BY chain_id) x)")"

check "alibaba: every call has a source and a destination" "0|0" \
    "$(t "SELECT (SELECT count(*) FROM alibaba_v2021 WHERE src IS NULL OR dst IS NULL),
                 (SELECT count(*) FROM alibaba_v2022 WHERE src IS NULL OR dst IS NULL)")"

load trainticket-normal && ok "loads trainticket-normal" || not_ok "loads trainticket-normal: $(cat "$WORK/load_traces.err")"
check "trainticket-normal: calls, RPCs, chains" "4819|237|71" \
    "$(t "SELECT count(*), count(DISTINCT (src, dst)), count(DISTINCT chain_id) FROM trainticket_normal")"
load trainticket-normal-spans && ok "loads trainticket-normal-spans" \
    || not_ok "loads trainticket-normal-spans: $(cat "$WORK/load_traces.err")"
check "spans through informer_import_spans give the derived calls" "0|0" \
    "$(t "WITH a AS (SELECT date_trunc('milliseconds', ts) AS ts, chain_id, src, dst FROM trainticket_normal),
               b AS (SELECT date_trunc('milliseconds', ts) AS ts, chain_id, src, dst FROM trainticket_normal_spans)
          SELECT (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b) x),
                 (SELECT count(*) FROM (SELECT * FROM b EXCEPT ALL SELECT * FROM a) x)")"

load alibaba-v2021 && not_ok "refuses to overwrite a table" || ok "refuses to overwrite a table"
"$REPO/tools/load_traces.sh" no-such-set >/dev/null 2>&1
check "unknown data set: usage, exit 2" 2 $?

q "DROP DATABASE informer_traces" >/dev/null
