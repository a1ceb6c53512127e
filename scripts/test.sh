#!/usr/bin/env bash
# Run the whole test suite: ./scripts/test.sh [pytest args...]
# SQLite by default; set DATABASE_URL to run against another database, or wrap it:
#   scripts/with-postgres.sh scripts/test.sh
# Exits with pytest's status (5 means no test was collected).
set -euo pipefail

# shellcheck source=scripts/_bootstrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"

if [ -n "${DATABASE_URL:-}" ]; then
    echo "==> pytest on ${DATABASE_URL%%://*} (DATABASE_URL)"
else
    echo "==> pytest on SQLite"
fi
status=0
python -m pytest "$@" || status=$?
exit "$status"
