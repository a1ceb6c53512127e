"""The webhook sweeper's schedule, installed idempotently after every migrate."""

SWEEPER = "notifications: queue due webhook deliveries"
SWEEPER_FUNC = "notifications.tasks.deliver_due"


def install_schedules(schedule_model=None, using: str = "default") -> None:
    """Create or update the every-minute sweeper, keyed by its name."""
    if schedule_model is None:
        from django_q.models import Schedule as schedule_model
    schedules = schedule_model.objects.using(using)
    extra = list(schedules.filter(name=SWEEPER).order_by("pk").values_list("pk", flat=True)[1:])
    if extra:
        schedules.filter(pk__in=extra).delete()
    schedules.update_or_create(
        name=SWEEPER,
        defaults={
            "func": SWEEPER_FUNC,
            "args": None,
            "kwargs": None,
            "schedule_type": "I",  # Schedule.MINUTES
            "minutes": 1,
            "repeats": -1,
        },
    )
