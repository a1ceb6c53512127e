"""Work on a workspace's accounts in bounded batches, one transaction per batch.

Each batch locks its accounts (in id order, so two workers never deadlock on each other)
before reading their activity: two runs for the same account - a retried task next to
its first delivery, or the nightly run next to an ingestion task - then take turns, and
the later one reads what the earlier one wrote. On SQLite the IMMEDIATE transaction mode
serialises writers anyway.
"""

from collections.abc import Callable, Iterable

from django.db import transaction

from accounts.models import Account
from workspaces.models import Workspace

BATCH_SIZE = 500


def for_each_account_batch(
    workspace: Workspace,
    account_ids: Iterable[int] | None,
    work: Callable[[list[int]], int],
    *,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Call `work(ids)` on the given accounts (None: all of the workspace's) in batches of
    at most `batch_size` locked account ids, each inside its own transaction; ids of other
    workspaces or of deleted accounts are dropped. Returns the sum of what `work` returns."""
    total = 0
    accounts = Account.objects.filter(workspace=workspace)
    if account_ids is None:
        last = 0
        while True:
            with transaction.atomic():
                ids = _lock(accounts.filter(pk__gt=last), limit=batch_size)
                if ids:
                    total += work(ids)
            if len(ids) < batch_size:
                return total
            last = ids[-1]
    wanted = sorted(set(account_ids))
    for start in range(0, len(wanted), batch_size):
        with transaction.atomic():
            ids = _lock(accounts.filter(pk__in=wanted[start : start + batch_size]))
            if ids:
                total += work(ids)
    return total


def _lock(accounts, *, limit: int | None = None) -> list[int]:
    ids = accounts.select_for_update().order_by("pk").values_list("pk", flat=True)
    return list(ids[:limit] if limit else ids)
