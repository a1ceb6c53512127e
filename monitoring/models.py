from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time a task worker on a host ran the heartbeat task: proof that the
    scheduler, the broker and a worker all work (see monitoring/checks.py)."""

    host = models.CharField(max_length=255, unique=True)
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-beat_at"]

    def __str__(self) -> str:
        return f"{self.host} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
