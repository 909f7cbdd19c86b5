#!/usr/bin/env bash
# models.sh -- training and inference through SQL, on a throwaway cluster;
# prints one JSON object per line.
#
#   bash bench/models.sh
#   EPOCHS=10 UNITS=32 REPS=5 bash bench/models.sh
#
# Data: a generated week of 20-minute buckets; the largest mined pattern.
# - train: informer_train_now() with 1 and with EPOCHS epochs, in the same
#   run: the difference gives the cost of an epoch, the rest is the fixed
#   cost of the SQL path (reading and zero-filling the traffic, the test
#   windows' forecasts and statistics, packing, the model row).
# - backfill: predictions/s of informer_infer_now(pattern, from, to) against
#   the baseline of writing the same rows with a bare INSERT ... SELECT into
#   a table of the same shape (indexes included), in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS=${EPOCHS:-5}
UNITS=${UNITS:-16}
REPS=${REPS:-3}
export PGPORT=${PGPORT:-54343}
. bench/lib/mined_week.sh
read -r pid nodes < <(psql -c "SELECT pattern_id || ' ' || rpcs FROM informer.pattern ORDER BY rpcs DESC, pattern_id LIMIT 1")

opts() { echo "{\"units\": $UNITS, \"epochs\": $1, \"patience\": 1000, \"history\": 12, \"horizon\": 5, \"batch\": 64}"; }

for rep in $(seq "$REPS"); do
    t1=$(sql_seconds "SELECT informer_train_now($pid, '$(opts 1)')")
    tn=$(sql_seconds "SELECT informer_train_now($pid, '$(opts "$EPOCHS")')")
    awk -v t1="$t1" -v tn="$tn" -v e="$EPOCHS" -v n="$nodes" -v u="$UNITS" -v rep="$rep" 'BEGIN {
        per = (tn - t1) / (e - 1);
        printf "{\"bench\": \"train_now\", \"rep\": %d, \"nodes\": %d, \"units\": %d, \"epochs\": %d, \"seconds\": %.3f, \"one_epoch_run_s\": %.3f, \"per_epoch_s\": %.3f, \"fixed_s\": %.3f}\n",
            rep, n, u, e, tn, t1, per, t1 - per }'
done

psql -c "CREATE TABLE pred_copy (LIKE informer.predictions INCLUDING ALL)" >/dev/null
range="'2026-01-10 00:00', '2026-01-12 00:00'"
for rep in $(seq "$REPS"); do
    psql -c "DELETE FROM informer.predictions" -c "TRUNCATE pred_copy" >/dev/null
    ti=$(sql_seconds "SELECT informer_infer_now($pid, $range)")
    rows=$(psql -c "SELECT count(*) FROM informer.predictions")
    tb=$(sql_seconds "INSERT INTO pred_copy SELECT * FROM informer.predictions")
    awk -v ti="$ti" -v tb="$tb" -v rows="$rows" -v rep="$rep" 'BEGIN {
        printf "{\"bench\": \"infer_backfill\", \"rep\": %d, \"predictions\": %d, \"seconds\": %.4f, \"rows_per_s\": %.0f, \"baseline_insert_s\": %.4f, \"baseline_rows_per_s\": %.0f, \"ratio\": %.3f}\n",
            rep, rows, ti, rows / ti, tb, rows / tb, tb / ti }'
done
