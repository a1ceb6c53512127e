"""The ORM task broker with short, renewed leases.

django-q2's ORM broker locks a task it hands to a cluster until `retry` seconds later
(timeout + margin, 15 minutes by default); a cluster killed meanwhile (SIGKILL, OOM, a
lost machine) leaves every task it had pulled - running or waiting in its in-memory queue
- locked for that long. Here a pulled task is locked for `TASK_LEASE_SECONDS` only, and a
thread of the pulling process renews the lease of each task it still holds (not yet
acknowledged) every third of that, for at most `retry` seconds after it pulled it. So:

- a live cluster keeps its tasks for as long as before (a task that fails, and is not
  acknowledged, is delivered again `retry` seconds after it was pulled);
- a dead cluster's tasks are free one lease after its last renewal, and the next poll of
  any cluster - a surviving one, or the restarted one - takes them.

Tasks must be idempotent either way (they are: see analytics.runner and accounts.tasks).
"""

import logging
import os
import threading
import time
from datetime import timedelta

from django import db
from django.conf import settings
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ

logger = logging.getLogger(__name__)


def lease_seconds() -> int:
    return settings.TASK_LEASE_SECONDS


class LeasedORM(ORM):
    def __init__(self, list_key: str | None = None) -> None:
        super().__init__(list_key=list_key)
        self._held: dict[int, float] = {}  # task id -> when this process pulled it
        self._held_lock = threading.Lock()
        self._renewer_pid: int | None = None

    def timeout(self, task) -> object:
        return timezone.now() + timedelta(seconds=lease_seconds())

    def dequeue(self):
        self._ensure_renewer()
        tasks = super().dequeue()
        if tasks:
            pulled = time.monotonic()
            with self._held_lock:
                for task_id, _payload in tasks:
                    self._held.setdefault(task_id, pulled)
        return tasks

    def _ensure_renewer(self) -> None:
        # The broker is made in the cluster's main process and used by the pusher
        # process it forks: the thread must run where the tasks are pulled.
        if self._renewer_pid == os.getpid():
            return
        self._renewer_pid = os.getpid()
        self._held = {}
        thread = threading.Thread(target=self._renew_forever, name="lease-renewer", daemon=True)
        thread.start()

    def _renew_forever(self) -> None:
        while True:
            time.sleep(max(1.0, lease_seconds() / 3))
            try:
                self.renew()
            except Exception:
                # The database may be restarting: try again at the next round, on a
                # fresh connection.
                logger.warning("Could not renew task leases", exc_info=True)
                db.connection.close()

    def renew(self) -> int:
        """Extend the lease of each task still held; forget the acknowledged ones and
        those pulled more than `retry` seconds ago. Returns how many were extended."""
        now = time.monotonic()
        with self._held_lock:
            self._held = {pk: at for pk, at in self._held.items() if now - at < Conf.RETRY}
            held = list(self._held)
        if not held:
            return 0
        db.close_old_connections()
        rows = OrmQ.objects.using(Conf.ORM).filter(pk__in=held)
        extended = rows.update(lock=timezone.now() + timedelta(seconds=lease_seconds()))
        if extended < len(held):
            remaining = set(rows.values_list("pk", flat=True))
            with self._held_lock:
                for pk in held:
                    if pk not in remaining:
                        self._held.pop(pk, None)
        return extended
