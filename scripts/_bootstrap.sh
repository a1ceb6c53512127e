# shellcheck shell=bash
# Sourced by scripts/dev.sh, scripts/test.sh and .ci/run: makes sure .venv exists and
# holds the project with its dev extras, then puts .venv/bin first on PATH and cd's to
# the repository root. Reinstalls only when pyproject.toml changed since the last install.
# Writes .env (DEBUG=1, local development) when there is none: settings read it, so that
# `./scripts/manage ...` and `.venv/bin/python manage.py ...` work as documented.
# Everything it prints goes to stderr, so `TOKEN=$(./scripts/manage ...)` stays clean.

WAYMARK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$WAYMARK_ROOT" || exit 1

_venv="$WAYMARK_ROOT/.venv"
_install_spec='.[dev]'
_stamp="$_venv/.waymark-install-stamp"

if [ ! -x "$_venv/bin/python" ]; then
    _python="${PYTHON:-python3}"
    if ! command -v "$_python" >/dev/null 2>&1; then
        echo "error: $_python not found; install Python 3.11 or newer (or set PYTHON=...)." >&2
        exit 1
    fi
    if ! "$_python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "error: Waymark needs Python 3.11 or newer; $_python is $("$_python" -V 2>&1)." >&2
        exit 1
    fi
    echo "==> Creating virtualenv .venv with $("$_python" -V 2>&1)" >&2
    "$_python" -m venv "$_venv"
fi

# The stamp records what was installed: the install spec and a hash of pyproject.toml.
_want="$_install_spec $("$_venv/bin/python" -c \
    'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' \
    "$WAYMARK_ROOT/pyproject.toml")"
if [ ! -f "$_stamp" ] || [ "$(cat "$_stamp")" != "$_want" ]; then
    echo "==> Installing waymark and its dev tools into .venv (pyproject.toml changed)" >&2
    # Not --quiet: a first install takes a while, and each package it fetches is shown.
    "$_venv/bin/python" -m pip install --disable-pip-version-check --progress-bar on \
        -e "$_install_spec" >&2
    printf '%s\n' "$_want" >"$_stamp"
fi

if [ ! -f "$WAYMARK_ROOT/.env" ]; then
    cat >"$WAYMARK_ROOT/.env" <<'DOTENV'
# Local development settings, written by scripts/_bootstrap.sh (see the README). The
# environment wins over this file. Production has no .env: set real settings there.
DEBUG=1
DOTENV
    echo "==> Wrote .env (DEBUG=1) for local development" >&2
fi

export VIRTUAL_ENV="$_venv"
export PATH="$_venv/bin:$PATH"
unset _venv _install_spec _stamp _want _python
