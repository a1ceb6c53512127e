from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "workspaces"
    verbose_name = "Workspaces and access"

    def ready(self):
        # The project's system checks live in config/, which is no app: load them here.
        from config import checks  # noqa: F401
