"""A worker killed in the middle of sending a webhook: the delivery is sent again, not
lost. Real `qcluster` processes on the test's database, the ORM broker, and a receiver on
127.0.0.1 that holds the first request unanswered while the worker is SIGKILLed."""

import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.conf import Conf

from accounts.identity import AccountRef
from accounts.ingestion import AchievementItem, milestones_record
from notifications import services
from notifications.models import WebhookDelivery
from tests.factories import MilestoneFactory
from tests.webhook_receiver import Receiver, verify
from tests.worker_helpers import (
    TIMEOUT_SECONDS,
    kill_worker,
    start_worker,
    stop_worker,
    worker_log,
)

Status = WebhookDelivery.Status


def wait_for(condition, worker, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not condition():
        assert worker.poll() is None, f"qcluster exited:\n{worker_log(worker)}"
        assert time.monotonic() < deadline, f"no {what} after {TIMEOUT_SECONDS} s:\n" + (
            worker_log(worker)
        )
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_delivery_whose_worker_was_killed_is_sent_again(workspace, tmp_path, monkeypatch):
    monkeypatch.setattr(Conf, "SYNC", False)  # queue in the ORM broker, as in production
    MilestoneFactory(workspace=workspace, key="paid-plan")
    hang = threading.Event()
    hang.set()
    with Receiver(hang=hang) as receiver:
        secret = services.webhook_endpoint_create(
            workspace=workspace,
            created_by=None,
            url=receiver.url,
            event_types=["milestone.reached"],
        ).secret
        milestones_record(
            workspace=workspace,
            items=[
                AchievementItem(
                    client_id="deal-1",
                    milestone="paid-plan",
                    occurred_at="2026-03-02T10:00:00Z",
                    account=AccountRef(domain="acme.com"),
                )
            ],
        )

        first = start_worker(tmp_path / "first.log")
        try:
            # The worker publishes the event and sends it; the receiver holds the request.
            wait_for(receiver.arrived.is_set, first, "request at the receiver")
            delivery = WebhookDelivery.objects.get()
            assert (delivery.status, delivery.attempts) == (Status.SENDING, 1)
            kill_worker(first)
        finally:
            stop_worker(first)

        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == (Status.SENDING, 1)  # left mid-send
        assert delivery.log.count() == 0
        # Time passes beyond the attempt's lease; the receiver is answering again.
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            lease_until=timezone.now() - timedelta(seconds=1)
        )
        hang.clear()
        receiver.arrived.clear()

        second = start_worker(tmp_path / "second.log")
        try:
            # The every-minute sweeper finds the abandoned delivery and queues it again.
            assert services.queue_due_deliveries() == 1
            wait_for(
                lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == Status.SUCCEEDED,
                second,
                "successful redelivery",
            )
        finally:
            stop_worker(second)

    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.response_status == 200
    held, sent = receiver.requests
    assert held.headers["webhook-id"] == sent.headers["webhook-id"] == delivery.event.event_id
    assert held.body == sent.body
    assert verify(secret, sent.headers, sent.body)
