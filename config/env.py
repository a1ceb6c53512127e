"""Small readers for settings taken from environment variables."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def load_env_file(path) -> None:
    """Read KEY=VALUE lines of a `.env` file into the environment, without overriding
    variables that are already set. `scripts/_bootstrap.sh` writes one with `DEBUG=1` for
    local development; production has none, so its settings stay strict."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.removeprefix("export ").partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name.isidentifier():
            raise ImproperlyConfigured(f"{path}, line {number}: expected NAME=value.")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        os.environ.setdefault(name, value)


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}.") from exc


def env_list(name: str, default: str = "") -> list[str]:
    raw = os.environ.get(name, default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_peppers(raw: str | None, *, fallback: str) -> dict[str, str]:
    """'id:secret,id:secret' as a dict; without it, one pepper derived from SECRET_KEY."""
    if not raw:
        return {"default": fallback}
    peppers = {}
    for item in raw.split(","):
        pepper_id, sep, secret = item.strip().partition(":")
        if not sep or not pepper_id or len(secret) < 32:
            raise ImproperlyConfigured(
                "API_TOKEN_PEPPERS must read 'id:secret,...' with secrets of 32+ characters."
            )
        peppers[pepper_id] = secret
    return peppers
