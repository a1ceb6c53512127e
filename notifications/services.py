"""Webhook endpoints, publishing events to them, and delivering each event at least once.

Delivery. Publishing an event stores it (its body fixed once) and one delivery per
subscribed endpoint, and queues a `deliver` task per delivery after the transaction
commits. An attempt first claims its delivery under a row lock: it becomes SENDING with a
lease, and the HTTP request runs outside any transaction. A 2xx answer delivers it; any
other answer, a timeout or a network error schedules the next attempt after the next
delay of RETRY_DELAYS (1 minute doubling to 256 minutes, then 8 hours three times: 13
attempts over about 32.5 hours). After the last one the delivery FAILED and its endpoint
is disabled with the reason. A worker that dies mid-request leaves the delivery SENDING;
once its lease runs out the sweeper (every minute) sends it again - so a receiver may see
an event twice, never zero times, and de-duplicates on its id.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications import events, outbound, signing
from notifications.models import (
    EventType,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from workspaces.errors import field_error
from workspaces.models import Workspace
from workspaces.services import validated_save

Status = WebhookDelivery.Status
RETRY_DELAYS: tuple[timedelta, ...] = tuple(
    [timedelta(minutes=2**n) for n in range(9)] + [timedelta(hours=8)] * 3
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# How long the sweeper waits before queueing a due delivery again whose task never ran.
REQUEUE_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 1000
MAX_ENDPOINTS_PER_WORKSPACE = 20


# Endpoints ------------------------------------------------------------------------------


def clean_event_types(values: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(str(value) for value in values))
    unknown = [value for value in wanted if value not in EventType.values]
    if unknown:
        raise field_error("eventTypes", f"Unknown event types: {', '.join(unknown)}.", "invalid")
    if not wanted:
        raise field_error("eventTypes", "Subscribe to at least one event type.", "required")
    return [value for value in EventType.values if value in wanted]  # in a stable order


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str


@transaction.atomic
def webhook_endpoint_create(
    *,
    workspace: Workspace,
    created_by: AbstractBaseUser | None,
    url: str,
    event_types: Sequence[str],
    description: str = "",
    enabled: bool = True,
) -> CreatedEndpoint:
    """Add an endpoint; its signing secret is returned this once (and readable in the
    admin)."""
    if WebhookEndpoint.objects.filter(workspace=workspace).count() >= MAX_ENDPOINTS_PER_WORKSPACE:
        raise field_error(
            None, f"At most {MAX_ENDPOINTS_PER_WORKSPACE} endpoints a workspace.", "too_many"
        )
    endpoint = WebhookEndpoint(
        workspace=workspace,
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,
        url=outbound.check_url(url),
        event_types=clean_event_types(event_types),
        description=description.strip(),
        enabled=enabled,
        secret=signing.new_secret(),
    )
    validated_save(endpoint)
    return CreatedEndpoint(endpoint, endpoint.secret)


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint. Enabling a disabled one clears its reason; its pending
    deliveries then resume."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if url is not None:
        endpoint.url = outbound.check_url(url)
    if event_types is not None:
        endpoint.event_types = clean_event_types(event_types)
    if description is not None:
        endpoint.description = description.strip()
    if enabled is not None and enabled != endpoint.enabled:
        endpoint.enabled = enabled
        endpoint.disabled_at = None if enabled else timezone.now()
        endpoint.disabled_reason = "" if enabled else "Disabled by a user."
    validated_save(endpoint)
    if endpoint.enabled:
        _queue_due(endpoint.deliveries.filter(status=Status.PENDING), timezone.now())
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> CreatedEndpoint:
    """Give the endpoint a new signing secret; the old one stops signing at once."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.secret = signing.new_secret()
    validated_save(endpoint)
    return CreatedEndpoint(endpoint, endpoint.secret)


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    endpoint.delete()


# Publishing -----------------------------------------------------------------------------


def subscribed(workspace_id: int, event_types: Iterable[EventType]) -> bool:
    """Whether an enabled endpoint of the workspace takes one of these types (one query:
    the cheap check made on the ingestion path before queueing any work)."""
    wanted = {str(t) for t in event_types}
    rows = WebhookEndpoint.objects.filter(workspace_id=workspace_id, enabled=True).values_list(
        "event_types", flat=True
    )
    return any(wanted & set(types) for types in rows)


@transaction.atomic
def publish(*, workspace: Workspace, new_events: Sequence[events.NewEvent]) -> int:
    """Store the events that an enabled endpoint subscribes to and queue their deliveries;
    an event published again (same key) is not stored or delivered twice. Returns how
    many deliveries were created."""
    endpoints = list(WebhookEndpoint.objects.filter(workspace=workspace, enabled=True))
    wanted = [e for e in new_events if any(str(e.type) in ep.event_types for ep in endpoints)]
    if not wanted:
        return 0
    now = timezone.now()
    rows = []
    for event in wanted:
        event_id = events.new_event_id()
        rows.append(
            WebhookEvent(
                workspace=workspace,
                event_id=event_id,
                type=event.type,
                key=event.key,
                body=events.body(workspace, event_id, event, now),
            )
        )
    WebhookEvent.objects.bulk_create(rows, ignore_conflicts=True)
    stored = {
        row.key: row
        for row in WebhookEvent.objects.filter(
            workspace=workspace, key__in=[e.key for e in wanted]
        ).only("pk", "key", "type")
    }
    deliveries = [
        WebhookDelivery(
            workspace=workspace,
            endpoint=endpoint,
            event=stored[event.key],
            next_attempt_at=now,
        )
        for event in wanted
        for endpoint in endpoints
        if str(event.type) in endpoint.event_types and event.key in stored
    ]
    WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    fresh = WebhookDelivery.objects.filter(
        event__in=list(stored.values()), status=Status.PENDING, attempts=0
    )
    return _queue_due(fresh, now)


def _queue_due(deliveries, now: datetime) -> int:
    """Mark these deliveries queued and queue a `deliver` task for each after commit."""
    ids = list(deliveries.order_by("pk").values_list("pk", flat=True)[:SWEEP_BATCH])
    if not ids:
        return 0
    WebhookDelivery.objects.filter(pk__in=ids).update(queued_until=now + REQUEUE_AFTER)

    def enqueue():
        from django_q.tasks import async_task

        for pk in ids:
            async_task("notifications.tasks.deliver", pk, group="webhooks")

    transaction.on_commit(enqueue)
    return len(ids)


@transaction.atomic
def queue_due_deliveries(*, now: datetime | None = None) -> int:
    """The sweeper: queue deliveries whose next attempt is due and that are not queued
    already, and those whose sending attempt outlived its lease (the worker died)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(
        Q(status=Status.PENDING, next_attempt_at__lte=now)
        & (Q(queued_until__isnull=True) | Q(queued_until__lt=now))
        | Q(status=Status.SENDING, lease_until__lt=now)
        & (Q(queued_until__isnull=True) | Q(queued_until__lt=now)),
        endpoint__enabled=True,
    )
    return _queue_due(due, now)


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now, with the same event id and body, and a fresh series of
    retries should it fail; whatever its status was."""
    delivery = (
        WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    )
    if not delivery.endpoint.enabled:
        raise field_error("id", "The endpoint is disabled: enable it first.", "endpoint_disabled")
    if delivery.status == Status.SENDING and delivery.lease_until > timezone.now():
        raise field_error("id", "The delivery is being sent right now.", "in_progress")
    now = timezone.now()
    delivery.status = Status.PENDING
    delivery.next_attempt_at = now
    delivery.lease_until = None
    delivery.schedule_start = delivery.attempts
    delivery.save(
        update_fields=["status", "next_attempt_at", "lease_until", "schedule_start", "updated_at"]
    )
    _queue_due(WebhookDelivery.objects.filter(pk=delivery.pk), now)
    delivery.refresh_from_db()
    return delivery


# Delivering -----------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS + 30)


def _claim(delivery_id: int, now: datetime) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint", "event")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status in (Status.SUCCEEDED, Status.FAILED):
            return None
        if not delivery.endpoint.enabled:
            return None  # resumes when the endpoint is enabled again
        if delivery.status == Status.SENDING and delivery.lease_until > now:
            return None  # a duplicate task while another attempt is alive
        if delivery.status == Status.PENDING and delivery.next_attempt_at > now:
            return None  # a stray task before its retry time
        delivery.status = Status.SENDING
        delivery.attempts += 1
        delivery.lease_until = now + _lease()
        delivery.last_attempt_at = now
        delivery.queued_until = None  # its task ran; the sweeper may queue it again
        delivery.save(
            update_fields=[
                "status",
                "attempts",
                "lease_until",
                "queued_until",
                "last_attempt_at",
                "updated_at",
            ]
        )
        return delivery


def deliver(delivery_id: int, *, now: datetime | None = None) -> WebhookDelivery | None:
    """One attempt of a delivery, if it is due; idempotent, so a task delivered twice
    sends once. Returns the delivery as it stands after the attempt (None: no attempt)."""
    started = now or timezone.now()
    delivery = _claim(delivery_id, started)
    if delivery is None:
        return None
    body = delivery.event.body.encode()
    headers = signing.headers(
        delivery.endpoint.secret, delivery.event.event_id, int(started.timestamp()), body
    )
    status, latency, error = None, None, ""
    try:
        response = outbound.post(
            delivery.endpoint.url,
            body=body,
            headers=headers,
            timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
        )
        status, latency = response.status, response.latency_ms
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except outbound.UnsafeURL as unsafe:
        error = unsafe.message
    except (OSError, ValueError) as failure:  # network errors, timeouts, bad answers
        error = f"{type(failure).__name__}: {failure}"[:500]
    except Exception as failure:  # http.client's protocol errors
        error = f"{type(failure).__name__}: {failure}"[:500]
    return _record(delivery, started, status, latency, error)


def _record(delivery, started, status, latency, error) -> WebhookDelivery | None:
    now = timezone.now()
    with transaction.atomic():
        current = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=delivery.pk, status=Status.SENDING, attempts=delivery.attempts)
            .first()
        )
        if current is None:
            return None  # another attempt took the delivery over: its outcome counts
        WebhookAttempt.objects.create(
            workspace_id=delivery.workspace_id,
            delivery=delivery,
            number=delivery.attempts,
            started_at=started,
            response_status=status,
            latency_ms=latency,
            error=error,
            succeeded=not error,
        )
        current.response_status, current.latency_ms, current.last_error = status, latency, error
        current.lease_until = None
        endpoint = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
        if not error:
            current.status, current.delivered_at = Status.SUCCEEDED, now
            endpoint.update(last_success_at=now)
        else:
            endpoint.update(last_failure_at=now)
            tried = current.attempts - current.schedule_start
            if tried >= MAX_ATTEMPTS:
                current.status = Status.FAILED
                _disable(delivery, tried, error, now)
            else:
                current.status = Status.PENDING
                current.next_attempt_at = now + RETRY_DELAYS[tried - 1]
                current.queued_until = None
        current.save()
    return current


def _disable(delivery: WebhookDelivery, tried: int, error: str, now: datetime) -> None:
    hours = sum(RETRY_DELAYS, timedelta()).total_seconds() / 3600
    reason = (
        f"Event {delivery.event.event_id} failed {tried} attempts over {hours:.1f} hours; "
        f"last: {error}"
    )[:500]
    WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, enabled=True).update(
        enabled=False, disabled_at=now, disabled_reason=reason, updated_at=now
    )
