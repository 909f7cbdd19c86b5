#!/usr/bin/env bash
# launcher.sh -- the informer launcher starts with the server, reloads on
# SIGHUP, exits for good on SIGTERM, and is back after a restart.
. "$REPO/test/lib/tap.sh"

count_sql="SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'informer launcher'"

wait_for "$count_sql" 1 30 && ok "launcher runs after start" || not_ok "launcher runs after start"
check "launcher is connected to informer.database" postgres \
    "$(q "SELECT datname FROM pg_stat_activity WHERE backend_type = 'informer launcher'")"

q "ALTER SYSTEM SET informer.launcher_naptime = '2s'" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null
found=0
for _ in $(seq 50); do
    grep -q "informer launcher reloaded its configuration, naptime is 2000 ms" "$PG_LOG" && { found=1; break; }
    sleep 0.2
done
check "SIGHUP reloads the naptime" 1 "$found"
q "ALTER SYSTEM RESET informer.launcher_naptime" >/dev/null
q "SELECT pg_reload_conf()" >/dev/null

pid=$(q "SELECT pid FROM pg_stat_activity WHERE backend_type = 'informer launcher'")
q "SELECT pg_terminate_backend($pid)" >/dev/null
wait_for "$count_sql" 0 10 && ok "launcher exits on SIGTERM" || not_ok "launcher exits on SIGTERM"
grep -q "informer launcher shutting down" "$PG_LOG" && ok "launcher logs a clean shutdown" \
    || not_ok "launcher logs a clean shutdown"
sleep 12   # longer than the restart interval of a crashed launcher
check "a launcher stopped by SIGTERM stays stopped" 0 "$(q "$count_sql")"

cluster_restart
wait_for "$count_sql" 1 30 && ok "launcher is back after a server restart" \
    || not_ok "launcher is back after a server restart"
