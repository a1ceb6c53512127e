from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        post_migrate.connect(
            install_schedules_after_migrate, sender=self, dispatch_uid="analytics.schedules"
        )


def install_schedules_after_migrate(sender, apps=None, using="default", **kwargs) -> None:
    """Keep the scheduled-definitions schedule installed: every migrate creates or
    updates it (and every flush, which sends post_migrate without `apps`)."""
    from django.apps import apps as global_apps

    from analytics.schedules import install_schedules

    apps = apps or global_apps

    try:
        schedule_model = apps.get_model("django_q", "Schedule")
    except LookupError:  # django_q's tables are not there (migrated backwards)
        return
    install_schedules(schedule_model, using=using)
