#!/usr/bin/env bash
# Set up and run Waymark locally: the API (runserver) and the task worker (qcluster),
# on the embedded defaults (SQLite under var/, django-q2 ORM broker), with demo data.
#   ./scripts/dev.sh             # http://127.0.0.1:8000
#   PORT=8080 ./scripts/dev.sh
# Ctrl-C (or SIGTERM) stops both processes, also under a pipe (./scripts/dev.sh | tee log).
set -euo pipefail

# shellcheck source=scripts/_bootstrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"

export DEBUG="${DEBUG:-1}"
HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
BASE="http://$HOST:$PORT"

echo "==> Applying migrations"
python manage.py migrate --noinput

if python manage.py help seed_demo >/dev/null 2>&1; then
    echo "==> Loading demo data (workspace 'demo', user demo/demo)"
    python manage.py seed_demo
else
    echo "warning: manage.py seed_demo is not available; starting without demo data." >&2
fi

pids=()
stopping=0
stop() {
    [ "$stopping" = 1 ] && return
    stopping=1
    trap - INT TERM
    # Under a pipe (`./scripts/dev.sh | tee log`) Ctrl-C ends tee too: writing to stdout
    # would then kill this script (SIGPIPE) before it stops the children. So ignore
    # SIGPIPE and speak on stderr, whatever becomes of either.
    trap '' PIPE
    { echo; echo "==> Stopping API and worker"; } >&2 2>/dev/null || true
    local pid alive
    # SIGTERM to each leader first: qcluster then drains its workers gracefully. Each child
    # runs in its own process group (set -m below), so whatever a leader leaves behind
    # (runserver's autoreloaded child) is stopped through its group.
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 75); do
        alive=0
        for pid in "${pids[@]}"; do
            if kill -0 -- "-$pid" 2>/dev/null; then
                alive=1
                kill -0 "$pid" 2>/dev/null || kill -TERM -- "-$pid" 2>/dev/null || true
            fi
        done
        [ "$alive" = 0 ] && return
        sleep 0.2
    done
    echo "warning: still running after 15 s; killing." >&2 2>/dev/null || true
    for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap 'stop' EXIT

if [ -n "${DATABASE_URL:-}" ]; then
    DB_NOTE="database ${DATABASE_URL%%://*} from DATABASE_URL"
else
    DB_NOTE="SQLite database in ${WAYMARK_DATA_DIR:-var}/"
fi
cat <<INFO

  Waymark is starting (DEBUG=$DEBUG, $DB_NOTE, ${REDIS_URL:+Redis}${REDIS_URL:-ORM} task broker).

  GraphQL API + GraphiQL  $BASE/graphql/
  Django admin            $BASE/admin/
  Health check            $BASE/healthz
  Demo login              demo / demo
  Workspace header        X-Workspace: demo

  Ctrl-C stops the API and the worker.

INFO

set -m  # background jobs get their own process groups
python manage.py runserver "$HOST:$PORT" &
pids+=($!)
python manage.py qcluster &
pids+=($!)
set +m  # foreground commands stay in our group, so Ctrl-C reaches this script

# Run until one of them exits (or a signal arrives), then stop the other.
while true; do
    for pid in "${pids[@]}"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            status=0
            wait "$pid" || status=$?
            echo "error: a process exited (status $status); stopping." >&2
            exit "$status"
        fi
    done
    sleep 1
done
