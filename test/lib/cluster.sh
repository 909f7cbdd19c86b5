# cluster.sh -- sourced by test/run.sh and the demo: a throwaway PostgreSQL 15
# cluster with informer and pg_cron preloaded.
#
# The extension is installed into a private copy of the server's tree
# (make install DESTDIR=...), so nothing is written to the system's
# PostgreSQL and several clusters can run side by side.  The server listens
# only on a Unix socket in a private directory.  When run as root, the
# server runs as the "postgres" user (PostgreSQL refuses root).

PG_VERSION=15
PG_SYS_BIN=/usr/lib/postgresql/$PG_VERSION/bin
PG_CONFIG=$PG_SYS_BIN/pg_config
export PG_CONFIG

# as_pg CMD...: run a server-side command as the cluster's OS user
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# cluster_stage DIR: copy the server tree to DIR/root and install informer there
cluster_stage() {
    local root=$1/root
    mkdir -p "$root/usr/lib/postgresql" "$root/usr/share/postgresql"
    cp -a "/usr/lib/postgresql/$PG_VERSION" "$root/usr/lib/postgresql/"
    cp -a "/usr/share/postgresql/$PG_VERSION" "$root/usr/share/postgresql/"
    make -s install DESTDIR="$root" PG_CONFIG="$PG_CONFIG" >/dev/null
    PG_BIN=$root/usr/lib/postgresql/$PG_VERSION/bin
    export PG_BIN
}

# cluster_start DIR: initdb and start; sets PGHOST PGPORT PGUSER PGDATA PG_LOG
cluster_start() {
    local dir=$1
    export PGDATA=$dir/data PGHOST=$dir/sock PGPORT=${PGPORT:-54329} PGUSER=postgres
    export PG_LOG=$dir/postgres.log
    mkdir -p "$PGHOST"
    chmod 755 "$dir"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "$dir" "$PGHOST"
    fi
    (cd / && as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres -A trust -N -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log") \
        || { cat "$dir/initdb.log"; return 1; }
    cat >>"$PGDATA/postgresql.conf" <<CONF
listen_addresses = ''
port = $PGPORT
unix_socket_directories = '$PGHOST'
shared_preload_libraries = 'informer, pg_cron'
max_worker_processes = 32
fsync = off
synchronous_commit = off
full_page_writes = off
cron.database_name = 'postgres'
cron.use_background_workers = on
informer.database = 'postgres'
log_line_prefix = '%m [%p] %b '
CONF
    (cd / && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 start >/dev/null) \
        || { cat "$PG_LOG"; return 1; }
}

# cluster_stop: fast stop, ignoring a server that is already gone
cluster_stop() {
    [ -n "${PGDATA:-}" ] && [ -f "$PGDATA/postmaster.pid" ] || return 0
    (cd / && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1) || true
}

# cluster_restart: a clean restart (used by tests of the launcher)
cluster_restart() {
    (cd / && as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PG_LOG" -w -t 60 restart >/dev/null)
}

# cluster_throwaway: stage and start a cluster in a new temporary directory
# (WORK) that is stopped and removed when the calling script exits
cluster_throwaway() {
    WORK=$(mktemp -d /tmp/informer-bench.XXXXXX)
    trap 'cluster_stop; rm -rf "$WORK"' EXIT
    cluster_stage "$WORK" >/dev/null && cluster_start "$WORK" >/dev/null
}
