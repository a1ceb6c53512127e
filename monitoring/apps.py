from django.apps import AppConfig
from django.db.models.signals import post_migrate

from monitoring.schedules import HEARTBEAT, after_migrate

install_heartbeat = after_migrate(*HEARTBEAT)


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        post_migrate.connect(install_heartbeat, sender=self, dispatch_uid="monitoring.schedules")
