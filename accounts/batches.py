"""Work on a workspace's accounts in bounded batches, one transaction per batch.

Each batch locks its accounts (in id order, so two workers never deadlock on each other)
before reading their activity: two runs for the same account - a retried task next to
its first delivery, or the nightly run next to an ingestion task - then take turns, and
the later one reads what the earlier one wrote. On SQLite the IMMEDIATE transaction mode
serialises writers anyway. A batch that still loses a race (a deadlock with another
writer) is rolled back and run again, a few times, inside the task instead of failing it.
"""

from collections.abc import Callable, Iterable

from accounts.models import Account
from workspaces.models import Workspace
from workspaces.transactions import atomic_with_retry

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

    def batch(queryset, limit=None):
        ids = _lock(queryset, limit=limit)
        return ids, (work(ids) if ids else 0)

    if account_ids is None:
        last = 0
        while True:
            queryset = accounts.filter(pk__gt=last)
            ids, done = atomic_with_retry(lambda q=queryset: batch(q, batch_size))
            total += done
            if len(ids) < batch_size:
                return total
            last = ids[-1]
    wanted = sorted(set(account_ids))
    for start in range(0, len(wanted), batch_size):
        queryset = accounts.filter(pk__in=wanted[start : start + batch_size])
        total += atomic_with_retry(lambda q=queryset: batch(q))[1]
    return total


def _lock(accounts, *, limit: int | None = None) -> list[int]:
    ids = accounts.select_for_update().order_by("pk").values_list("pk", flat=True)
    return list(ids[:limit] if limit else ids)
