"""The analytics app's periodic task, installed idempotently after every migrate: every
15 minutes, request the reports of saved definitions whose next run has come."""

from datetime import datetime

from croniter import croniter
from django.utils import timezone

DUE_DEFINITIONS = "analytics: scheduled report definitions"
DUE_DEFINITIONS_FUNC = "analytics.tasks.run_due_definitions"
DUE_DEFINITIONS_CRON = "*/15 * * * *"


def install_schedules(schedule_model=None, using: str = "default") -> None:
    """Create or update the schedule, keyed by its name: running it again leaves one
    schedule and keeps its next run. `schedule_model` is django_q's Schedule (the
    historical model when called from post_migrate)."""
    if schedule_model is None:
        from django_q.models import Schedule as schedule_model
    schedules = schedule_model.objects.using(using)
    duplicates = schedules.filter(name=DUE_DEFINITIONS).order_by("pk").values_list("pk", flat=True)
    extra = list(duplicates[1:])
    if extra:
        schedules.filter(pk__in=extra).delete()
    fields = {
        "func": DUE_DEFINITIONS_FUNC,
        "schedule_type": "C",  # Schedule.CRON
        "cron": DUE_DEFINITIONS_CRON,
        "repeats": -1,
    }
    schedules.update_or_create(
        name=DUE_DEFINITIONS,
        defaults={**fields, "args": None, "kwargs": None},
        create_defaults={
            **fields,
            "next_run": croniter(DUE_DEFINITIONS_CRON, timezone.now()).get_next(datetime),
        },
    )
