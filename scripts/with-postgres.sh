#!/usr/bin/env bash
# Run a command against a private, throw-away PostgreSQL cluster:
#   scripts/with-postgres.sh scripts/test.sh
#   scripts/with-postgres.sh .venv/bin/python manage.py migrate
# The cluster lives in a temporary directory, listens on 127.0.0.1 only on a free port,
# trusts local connections and has a database `waymark`; the command sees
#   DATABASE_URL=postgresql://postgres@127.0.0.1:PORT/waymark
# (and PGHOST/PGPORT/PGUSER/PGDATABASE). The cluster is stopped and its directory removed
# however the command ends; the script exits with the command's status.
# Installs Debian's postgresql package with apt-get when initdb is missing (root only).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

find_pg_bin() {
    local dir
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    # Debian/Ubuntu keep the server binaries off PATH; take the newest version.
    dir="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null |
        sort -V | tail -n 1)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
        return 0
    fi
    return 1
}

if ! PGBIN="$(find_pg_bin)"; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "==> initdb not found: installing postgresql with apt-get" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        apt-get install -y -qq postgresql >&2
    fi
    if ! PGBIN="$(find_pg_bin)"; then
        echo "error: PostgreSQL server binaries (initdb, pg_ctl) not found." >&2
        echo "       Install PostgreSQL (Debian: apt-get install postgresql)." >&2
        exit 1
    fi
fi

if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: the cluster belongs to the postgres user.
    if ! id postgres >/dev/null 2>&1; then
        echo "error: running as root, but there is no 'postgres' user to own the cluster." >&2
        exit 1
    fi
    RUNUSER="$(PATH="$PATH:/usr/sbin:/sbin" command -v runuser || true)"
    if [ -n "$RUNUSER" ]; then
        as_pg() { (cd "$PGTMP" && "$RUNUSER" -u postgres -- "$@"); }
    else
        # shellcheck disable=SC2016 # expanded by the inner shell
        as_pg() { (cd "$PGTMP" && su postgres -s /bin/sh -c '"$0" "$@"' -- "$@"); }
    fi
    TMP_PARENT=/tmp # the postgres user must be able to reach the cluster directory
else
    as_pg() { (cd "$PGTMP" && "$@"); }
    TMP_PARENT="${TMPDIR:-/tmp}"
fi

PYTHON_BIN="$(command -v python3 || command -v python)"
PGPORT="$("$PYTHON_BIN" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')"

PGTMP="$(mktemp -d "$TMP_PARENT/waymark-pg.XXXXXX")"
PGDATA_DIR="$PGTMP/data"

# shellcheck disable=SC2329 # called by the EXIT trap
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
        if ! as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 30 stop >/dev/null 2>&1; then
            local pid
            pid="$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)"
            if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
        fi
    fi
    rm -rf "$PGTMP"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" = 0 ]; then chown postgres: "$PGTMP"; fi

echo "==> Starting a private PostgreSQL ($("$PGBIN/postgres" --version)) on 127.0.0.1:$PGPORT" >&2
as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -U postgres -A trust -E UTF8 --no-locale \
    --no-sync >"$PGTMP/initdb.log" 2>&1 || {
    cat "$PGTMP/initdb.log" >&2
    exit 1
}
# A disposable cluster: durability off for speed, sockets only on 127.0.0.1 and in $PGTMP.
as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -l "$PGTMP/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PGPORT -c unix_socket_directories=$PGTMP \
        -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || {
    cat "$PGTMP/postgres.log" >&2
    exit 1
}
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres waymark

export DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/waymark"
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=waymark
# For the recovery tests, which restart the cluster (tests/test_worker_recovery.py).
export WAYMARK_PG_CTL="$PGBIN/pg_ctl" WAYMARK_PGDATA="$PGDATA_DIR"

# The command runs in the background so that a SIGTERM or SIGINT sent to this script is
# passed on to it at once; the cluster is removed once it has ended. (`<&0` keeps stdin:
# the command may be interactive.)
"$@" <&0 &
child=$!
trap 'kill -INT "$child" 2>/dev/null || true' INT
trap 'kill -TERM "$child" 2>/dev/null || true' TERM
while :; do
    status=0
    wait "$child" || status=$?
    kill -0 "$child" 2>/dev/null || break
done
exit "$status"
