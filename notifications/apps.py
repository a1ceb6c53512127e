from django.apps import AppConfig
from django.db.models.signals import post_migrate

from monitoring.schedules import after_migrate
from notifications.schedules import SWEEPER

install_sweeper = after_migrate(*SWEEPER)


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
        post_migrate.connect(install_sweeper, sender=self, dispatch_uid="notifications.schedules")
