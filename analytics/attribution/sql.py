"""The only backend-specific SQL of the attribution engine (SQLite and PostgreSQL).

Everything else in the engine is portable SQL: common table expressions, window
functions (ROW_NUMBER, LAG, COUNT/SUM/MIN/MAX OVER), CASE, COALESCE, POWER (Django
registers it on SQLite connections that lack it). Three things differ between the
backends and live here, each tested on both (tests/test_attribution.py):

- the number of seconds between two timestamps,
- "at most N days before" as a condition (sargable on PostgreSQL),
- joining the states of a journey, in order, into one path string (STRING_AGG on
  PostgreSQL; SQLite 3.40 has no ordered GROUP_CONCAT, so a running GROUP_CONCAT
  window over the ordered journey is taken at its last row).
"""

# ruff: noqa: S608 -- composes fixed SQL text; values travel as parameters.
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction

PATH_SEPARATOR = ","


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model) -> str:
    return quote(model._meta.db_table)


def timestamp(value: datetime) -> Any:
    """A timestamp parameter stored the way the backend stores DateTimeFields (on SQLite
    naive UTC text, so that text comparisons with stored values are exact)."""
    return connection.ops.adapt_datetimefield_value(value)


def real(expression: str) -> str:
    """A double-precision number: keeps PostgreSQL from doing arithmetic in NUMERIC."""
    return f"CAST({expression} AS DOUBLE PRECISION)"


def number(value: float) -> str:
    """A numeric literal (the engine's constants are floats it computed itself)."""
    return real(repr(float(value)))


def seconds_between(later: str, earlier: str) -> str:
    """Continuous seconds from `earlier` to `later` (both timestamp expressions)."""
    if is_postgresql():
        return real(f"EXTRACT(EPOCH FROM ({later} - {earlier}))")
    # Django's own SQLite function: exact microseconds between two stored timestamps.
    return f"(django_timestamp_diff({later}, {earlier}) / 1000000.0)"


def at_most_days_before(expression: str, reference: str, days: int) -> str:
    """Condition: `expression` >= `reference` - `days` days (exactly, to the microsecond)."""
    seconds = int(days) * 86400
    if is_postgresql():
        # Seconds, not days: an interval of days would follow the session's DST rules.
        return f"{expression} >= {reference} - INTERVAL '{seconds} seconds'"
    return f"{seconds_between(reference, expression)} <= {seconds}"


def path_strings(source: str, extra: Sequence[str] = ()) -> str:
    """A SELECT of (journey, *extra, path) over `source`, a relation with the columns
    journey, occurred_at, touch_id, state and the `extra` ones (constant per journey):
    one row per journey, its states joined in (occurred_at, touch_id) order."""
    extras = "".join(f", {column}" for column in extra)
    if is_postgresql():
        maxima = "".join(f", MAX({column}) AS {column}" for column in extra)
        return (
            f"SELECT journey{maxima}, "
            f"STRING_AGG(state, '{PATH_SEPARATOR}' ORDER BY occurred_at, touch_id) AS path "
            f"FROM {source} GROUP BY journey"
        )
    return (
        f"SELECT journey{extras}, path FROM ("
        f"SELECT journey{extras}, "
        f"GROUP_CONCAT(state, '{PATH_SEPARATOR}') OVER ("
        "PARTITION BY journey ORDER BY occurred_at, touch_id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS path, "
        "ROW_NUMBER() OVER ("
        "PARTITION BY journey ORDER BY occurred_at DESC, touch_id DESC) AS from_end "
        f"FROM {source}) ends WHERE from_end = 1"
    )


def fetch(sql: str, params: Sequence[Any], work_mem_mb: int | None = None) -> list[tuple]:
    """Run a query; on PostgreSQL optionally with more memory for its sorts and hashes
    (SET LOCAL, so only for this query's transaction)."""
    if work_mem_mb and is_postgresql():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{int(work_mem_mb)}MB'")
            cursor.execute(sql, list(params))
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


class Fragment:
    """SQL text with its parameters, built in order (placeholders are %s)."""

    def __init__(self, sql: str = "", params: Sequence[Any] = ()):
        self.sql = sql
        self.params = list(params)

    def __add__(self, other: "Fragment | str") -> "Fragment":
        if isinstance(other, str):
            return Fragment(self.sql + other, self.params)
        return Fragment(self.sql + other.sql, self.params + other.params)

    def __radd__(self, other: str) -> "Fragment":
        return Fragment(other + self.sql, self.params)


def with_ctes(ctes: Sequence[tuple[str, Fragment]], final: Fragment) -> Fragment:
    """WITH name AS (...), ... final. A name ending in "!" is materialized on PostgreSQL
    (computed once, as written), where the planner would otherwise inline it."""
    out = Fragment("WITH ")
    for index, (name, body) in enumerate(ctes):
        hint = ""
        if name.endswith("!"):
            name = name[:-1]
            hint = "MATERIALIZED " if is_postgresql() else ""
        out = out + (", " if index else "") + f"{name} AS {hint}(" + body + ")"
    return out + " " + final
