"""django-q2 entry point of the worker heartbeat (run every minute by the scheduler)."""

import socket

from django.utils import timezone

from monitoring.models import WorkerHeartbeat


def heartbeat() -> str:
    """Record that a worker on this host is alive; returns the host."""
    host = socket.gethostname()[:255]
    WorkerHeartbeat.objects.update_or_create(host=host, defaults={"beat_at": timezone.now()})
    return host
