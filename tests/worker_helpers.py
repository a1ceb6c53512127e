"""A real `manage.py qcluster` worker on the test's own database, for the tests that
need one (everything else runs tasks inline)."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

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


def start_worker(log_path: Path, **extra_env: str) -> subprocess.Popen:
    """Start `manage.py qcluster` on this test's database, in its own process group."""
    log = open(log_path, "w+b")  # noqa: SIM115
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "1",
        "SECRET_KEY": settings.SECRET_KEY,  # task packages are signed with it
        "DATABASE_URL": database_url(),
        "TASKS_SYNC": "0",
        "TASK_WORKERS": "1",
        "LOG_LEVEL": "INFO",
        **extra_env,
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its worker processes can be stopped as one group
    )
    process.log = log
    return process


def stop_worker(process: subprocess.Popen) -> None:
    """SIGTERM (qcluster drains gracefully), SIGKILL to the group after 30 s."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    process.log.close()


def kill_worker(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its children at once, as a crash or an OOM kill would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def worker_log(process) -> str:
    process.log.flush()
    process.log.seek(0)
    return process.log.read().decode(errors="replace")[-4000:]
