"""Every-minute schedules (the worker heartbeat; the webhook sweeper), installed
idempotently after every migrate by the app that owns each."""

from collections.abc import Callable

HEARTBEAT = ("monitoring: worker heartbeat", "monitoring.tasks.heartbeat")


def install_every_minute(name: str, func: str, schedule_model=None, using="default") -> None:
    """Create or update the schedule keyed by `name` to run `func` every minute."""
    if schedule_model is None:
        from django_q.models import Schedule as schedule_model
    schedules = schedule_model.objects.using(using)
    extra = list(schedules.filter(name=name).order_by("pk").values_list("pk", flat=True)[1:])
    if extra:
        schedules.filter(pk__in=extra).delete()
    schedules.update_or_create(
        name=name,
        defaults={
            "func": func,
            "args": None,
            "kwargs": None,
            "schedule_type": "I",  # Schedule.MINUTES
            "minutes": 1,
            "repeats": -1,
        },
    )


def after_migrate(name: str, func: str) -> Callable:
    """A post_migrate receiver that installs the schedule (also after a flush, which sends
    post_migrate without `apps`: the test suite's transactional tests)."""

    def install(sender, apps=None, using="default", **kwargs) -> None:
        from django.apps import apps as global_apps

        try:
            schedule_model = (apps or global_apps).get_model("django_q", "Schedule")
        except LookupError:  # django_q's tables are not there (migrated backwards)
            return
        install_every_minute(name, func, schedule_model, using=using)

    return install
