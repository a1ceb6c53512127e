"""/healthz sees the task worker and the queue; /readyz only the database."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ, Schedule
from django_q.tasks import async_task

from monitoring.models import WorkerHeartbeat
from monitoring.schedules import HEARTBEAT
from monitoring.tasks import heartbeat
from notifications.schedules import SWEEPER

pytestmark = pytest.mark.django_db


def test_without_any_worker_healthz_is_503(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["worker"], body["workerLastSeenSeconds"]) == (
        "unavailable",
        "unavailable",
        None,
    )
    assert (body["database"], body["broker"]) == ("ok", "ok")


def test_a_worker_not_seen_within_the_limit_is_unavailable(client, settings):
    settings.HEALTH_WORKER_STALE_SECONDS = 300
    heartbeat()
    WorkerHeartbeat.objects.update(beat_at=timezone.now() - timedelta(seconds=400))

    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "unavailable"
    assert 400 <= response.json()["workerLastSeenSeconds"] < 460

    settings.HEALTH_WORKER_STALE_SECONDS = 900
    assert client.get("/healthz").status_code == 200


def test_the_newest_heartbeat_of_any_host_counts(client):
    WorkerHeartbeat.objects.create(host="old", beat_at=timezone.now() - timedelta(hours=3))
    heartbeat()
    assert client.get("/healthz").json()["worker"] == "ok"
    assert WorkerHeartbeat.objects.count() == 2


def test_queued_tasks_and_the_oldest_ones_age_are_reported(client, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # queue in the ORM broker instead of running
    heartbeat()
    async_task("monitoring.tasks.heartbeat")
    async_task("monitoring.tasks.heartbeat")
    first = OrmQ.objects.order_by("pk").first()
    OrmQ.objects.filter(pk=first.pk).update(lock=timezone.now() - timedelta(seconds=120))

    body = client.get("/healthz").json()

    assert body["queuedTasks"] == 2
    assert 120 <= body["oldestQueuedTaskSeconds"] < 180


def test_readyz_checks_only_the_database(client, monkeypatch):
    assert client.get("/readyz").status_code == 200  # no worker needed
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok"}

    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable"}


def test_the_heartbeat_and_the_webhook_sweeper_are_scheduled_every_minute():
    from monitoring.schedules import install_every_minute

    for name, func in (HEARTBEAT, SWEEPER):
        install_every_minute(name, func)
        install_every_minute(name, func)  # again: still one
        [schedule] = Schedule.objects.filter(name=name)
        assert (schedule.func, schedule.schedule_type, schedule.minutes) == (func, "I", 1)
