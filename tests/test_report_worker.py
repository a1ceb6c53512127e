"""A report requested over GraphQL is computed by a real `qcluster` worker process.

Everything else in the suite runs tasks inline (`Q_CLUSTER["sync"]`); this test queues
the task in the ORM broker instead and starts `manage.py qcluster` on the same database
(on SQLite a file: see config/test_settings.py; on PostgreSQL the test database), with
the real attribution engine on a tiny dataset. It stops the worker with SIGTERM.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import Success

from analytics.models import Report
from journeys.models import Channel
from tests.factories import (
    AccountFactory,
    InteractionFactory,
    MilestoneAchievementFactory,
    MilestoneFactory,
    TouchpointFactory,
)
from tests.graphql_helpers import run

BASE_DIR = Path(__file__).resolve().parent.parent
TIMEOUT_SECONDS = 60


def database_url() -> str:
    """The URL of the database this test runs on (the test database), for the worker."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = db["NAME"]
        if name == ":memory:" or "mode=memory" in str(name):
            pytest.skip("the SQLite test database is in memory: a worker cannot share it")
        return f"sqlite:///{name}"
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        port = f":{db['PORT']}" if db["PORT"] else ""
        return f"postgresql://{auth}@{host}{port}/{quote(db['NAME'], safe='')}"
    pytest.skip(f"no worker test for {connection.vendor}")


@pytest.fixture
def journeys(workspace):
    """Three journeys: two convert (2 x 1000), one does not."""
    now = timezone.now()
    webinar = TouchpointFactory(workspace=workspace, key="webinar", channel=Channel.WEBINAR)
    demo = TouchpointFactory(workspace=workspace, key="demo", channel=Channel.SALES)
    won = MilestoneFactory(
        workspace=workspace, key="deal-won", is_conversion=True, value=Decimal("1000.00")
    )
    for touches, converts in (([webinar, demo], True), ([demo], True), ([webinar], False)):
        account = AccountFactory(workspace=workspace)
        for n, touchpoint in enumerate(touches):
            InteractionFactory(
                account=account,
                touchpoint=touchpoint,
                occurred_at=now - timedelta(days=10 - n),
                received_at=now - timedelta(days=10 - n),
            )
        if converts:
            MilestoneAchievementFactory(
                account=account,
                milestone=won,
                occurred_at=now - timedelta(days=1),
                received_at=now - timedelta(days=1),
                value=Decimal("1000.00"),
            )


def worker_env() -> dict[str, str]:
    """The environment of a `qcluster` on this test's database, with one worker process."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SECRET_KEY": settings.SECRET_KEY,  # task packages are signed with it
        "DATABASE_URL": database_url(),
        "TASKS_SYNC": "0",
        "TASK_WORKERS": "1",
        "LOG_LEVEL": "INFO",
    }


def start_qcluster(log_path) -> subprocess.Popen:
    """`manage.py qcluster` on this test's database, its output in `log_path` (the open
    file is the process's `log`)."""
    log = open(log_path, "w+b")  # noqa: SIM115 - closed by whoever stops the process
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=BASE_DIR,
        env=worker_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its worker processes can be stopped as one group
    )
    process.log = log
    return process


@pytest.fixture
def worker(tmp_path):
    """Start `manage.py qcluster` on this test's database; stop it with SIGTERM."""
    process = start_qcluster(tmp_path / "qcluster.log")
    log = process.log
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)  # drains gracefully
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def worker_log(process) -> str:
    process.log.flush()
    process.log.seek(0)
    return process.log.read().decode(errors="replace")[-4000:]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_computes_a_requested_report(
    editor, workspace, journeys, worker, monkeypatch, django_capture_on_commit_callbacks
):
    # Queue in the ORM broker, as in production, instead of running inline.
    monkeypatch.setattr(Conf, "SYNC", False)
    payload = run(
        editor,
        "attributionReportRequest",
        "Report",
        "id status",
        {"models": ["FIRST_TOUCH", "LINEAR"], "conversionMilestones": ["deal-won"]},
        arg_type="AttributionReportInput!",
    )
    assert payload["status"] == "QUEUED", payload
    report = Report.objects.get()

    deadline = time.monotonic() + TIMEOUT_SECONDS
    while report.status in (Report.Status.QUEUED, Report.Status.RUNNING):
        assert worker.poll() is None, f"qcluster exited:\n{worker_log(worker)}"
        assert time.monotonic() < deadline, (
            f"report still {report.status} after {TIMEOUT_SECONDS} s:\n{worker_log(worker)}"
        )
        time.sleep(0.5)
        report.refresh_from_db()

    assert report.attempts == 1
    assert report.started_at is not None
    if report.status == Report.Status.FAILED and report.error.startswith("NotImplementedError"):
        pytest.skip(
            f"the worker ran the report; the attribution engine is not there yet: {report.error}"
        )
    assert report.status == Report.Status.SUCCEEDED, f"{report.error}\n{worker_log(worker)}"
    assert report.progress == 100
    totals = report.result["totals"]
    assert (totals["conversions"], totals["value"]) == (2, 2000.0)
    assert totals["converting_journeys"] == 2
    assert [entry["model"] for entry in report.result["models"]] == ["first_touch", "linear"]

    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0, worker_log(worker)
    # The worker's monitor recorded the task: it ran there, not in this process.
    assert Success.objects.filter(func="analytics.tasks.run_report", result="succeeded").exists()
