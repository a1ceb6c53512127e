"""Run a unit of work in a transaction (a savepoint inside an outer one), again when it
lost a race with a concurrent one: a deadlock, a serialization failure, or a unique
index another transaction filled first (the retry reads what the winner wrote)."""

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, OperationalError, transaction

logger = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 4
# SQLSTATE of the failures that succeed when run again: serialization_failure,
# deadlock_detected, unique_violation (PostgreSQL).
RETRIED_SQLSTATES = frozenset({"40001", "40P01", "23505"})


def lost_race(error: Exception) -> bool:
    """Whether a database error comes from a concurrent transaction, not from the data."""
    cause = error.__cause__
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is not None:
        return sqlstate in RETRIED_SQLSTATES
    # SQLite: a writer that waited past busy_timeout.
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def atomic_with_retry(work: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """`work()` inside `transaction.atomic()`, run up to `attempts` times while it loses a
    race; `work` must be safe to run again (it is: a failed attempt rolled back)."""
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return work()
        except (IntegrityError, OperationalError) as error:
            if attempt == attempts or not lost_race(error):
                raise
            logger.info("Retrying after a concurrent transaction won (%s)", error.__cause__)
            time.sleep(random.uniform(0, 0.05 * attempt))  # noqa: S311 - jitter, not secrets
    raise AssertionError("unreachable")
