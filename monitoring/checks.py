"""What /healthz and /readyz report.

- database: answers `SELECT 1`;
- broker: the django-q2 broker answers a ping (with the ORM broker it is the database);
- worker: some worker ran the heartbeat task within HEALTH_WORKER_STALE_SECONDS. The
  heartbeat is a scheduled task (every minute), so it proves that the scheduler, the
  broker and a worker all work: a cluster that is down, wedged or cut off from the queue
  stops beating;
- queue: how many tasks wait and, with the ORM broker, how long the oldest has waited.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker():
    from django_q.brokers import get_broker

    return get_broker()


def broker_ok() -> bool:
    try:
        return bool(_broker().ping())
    except Exception:
        return False


@dataclass(frozen=True)
class WorkerState:
    ok: bool
    last_seen_seconds: int | None


def worker_state() -> WorkerState:
    from monitoring.models import WorkerHeartbeat

    try:
        beat = WorkerHeartbeat.objects.aggregate(last=Max("beat_at"))["last"]
    except Exception:
        return WorkerState(False, None)
    if beat is None:
        return WorkerState(False, None)
    age = timezone.now() - beat
    stale = timedelta(seconds=settings.HEALTH_WORKER_STALE_SECONDS)
    return WorkerState(age <= stale, max(0, int(age.total_seconds())))


@dataclass(frozen=True)
class QueueState:
    queued: int | None
    oldest_seconds: int | None


def queue_state() -> QueueState:
    """Tasks waiting for a worker; the age of the oldest is known with the ORM broker
    (a waiting task's lock is the time it was queued or last released)."""
    try:
        broker = _broker()
        queued = broker.queue_size()
    except Exception:
        return QueueState(None, None)
    if "orm" not in settings.Q_CLUSTER:
        return QueueState(queued, None)
    from django_q.models import OrmQ

    now = timezone.now()
    oldest = OrmQ.objects.filter(key=broker.list_key, lock__lte=now).aggregate(oldest=Min("lock"))[
        "oldest"
    ]
    age = None if oldest is None else max(0, int((now - oldest).total_seconds()))
    return QueueState(queued, age)
