from django.apps import AppConfig
from django.db.models.signals import post_migrate

from journeys.signals import journey_design_changed


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and activity"

    def ready(self) -> None:
        post_migrate.connect(
            install_schedules_after_migrate, sender=self, dispatch_uid="accounts.schedules"
        )
        journey_design_changed.connect(
            reprocess_after_design_change, dispatch_uid="accounts.design_changed"
        )


def reprocess_after_design_change(sender, workspace_id: int, **kwargs) -> None:
    """Maps, stages, exit milestones or rules changed: where accounts stand may too."""
    from accounts.tasks import enqueue_workspace_processing

    enqueue_workspace_processing(workspace_id)


def install_schedules_after_migrate(sender, apps=None, using="default", **kwargs) -> None:
    """Keep the nightly schedule installed: every migrate creates or updates it (and
    every flush, which sends post_migrate without `apps`: the test suite's transactional
    tests)."""
    from django.apps import apps as global_apps

    from accounts.schedules import install_schedules

    apps = apps or global_apps

    try:
        schedule_model = apps.get_model("django_q", "Schedule")
    except LookupError:  # django_q's tables are not there (migrated backwards)
        return
    install_schedules(schedule_model, using=using)
