"""The accounts app's periodic tasks, installed idempotently after every migrate."""

from datetime import datetime

from croniter import croniter
from django.utils import timezone

NIGHTLY_ACTIVITY = "accounts: nightly activity processing"
NIGHTLY_FUNC = "accounts.tasks.process_all_activity"
NIGHTLY_CRON = "0 2 * * *"  # 02:00 in TIME_ZONE, which is UTC


def install_schedules(schedule_model=None, using: str = "default") -> None:
    """Create or update the nightly schedule, keyed by its name: running it again leaves
    one schedule and keeps its next run. `schedule_model` is django_q's Schedule (the
    historical model when called from post_migrate)."""
    if schedule_model is None:
        from django_q.models import Schedule as schedule_model
    schedules = schedule_model.objects.using(using)
    duplicates = schedules.filter(name=NIGHTLY_ACTIVITY).order_by("pk").values_list("pk", flat=True)
    extra = list(duplicates[1:])
    if extra:
        schedules.filter(pk__in=extra).delete()
    schedules.update_or_create(
        name=NIGHTLY_ACTIVITY,
        defaults={
            "func": NIGHTLY_FUNC,
            "args": None,
            "kwargs": None,
            "schedule_type": "C",  # Schedule.CRON
            "cron": NIGHTLY_CRON,
            "repeats": -1,
        },
        # Not now (the model's default): the first run waits for the next 02:00.
        create_defaults={
            "func": NIGHTLY_FUNC,
            "schedule_type": "C",
            "cron": NIGHTLY_CRON,
            "repeats": -1,
            "next_run": croniter(NIGHTLY_CRON, timezone.now()).get_next(datetime),
        },
    )
