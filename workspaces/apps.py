from django.apps import AppConfig


class WorkspacesConfig(AppConfig):
    name = "workspaces"
    verbose_name = "Workspaces and access"

    def ready(self):
        # The project's system checks live in config/, which is no app: load them here.
        # The request id travels with each task into the worker's log lines.
        from django_q.signals import post_execute_in_worker, pre_enqueue, pre_execute

        from config import checks  # noqa: F401
        from workspaces import observability

        pre_enqueue.connect(observability.stamp_task, dispatch_uid="waymark-stamp-task")
        pre_execute.connect(observability.task_started, dispatch_uid="waymark-task-started")
        post_execute_in_worker.connect(
            observability.task_finished, dispatch_uid="waymark-task-finished"
        )
