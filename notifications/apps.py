from django.apps import AppConfig
from django.db.models.signals import post_migrate


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from accounts import signals as accounts_signals
        from analytics import signals as analytics_signals
        from notifications import receivers

        for signal, receiver in (
            (accounts_signals.milestones_reached, receivers.on_milestones_reached),
            (accounts_signals.stage_entered, receivers.on_stage_entered),
            (accounts_signals.stage_status_changed, receivers.on_stage_status_changed),
            (accounts_signals.account_merged, receivers.on_account_merged),
            (analytics_signals.report_finished, receivers.on_report_finished),
        ):
            signal.connect(receiver, dispatch_uid=f"notifications.{receiver.__name__}")
        post_migrate.connect(
            install_schedules_after_migrate, sender=self, dispatch_uid="notifications.schedules"
        )


def install_schedules_after_migrate(sender, apps=None, using="default", **kwargs) -> None:
    from django.apps import apps as global_apps

    from notifications.schedules import install_schedules

    apps = apps or global_apps
    try:
        schedule_model = apps.get_model("django_q", "Schedule")
    except LookupError:
        return
    install_schedules(schedule_model, using=using)
