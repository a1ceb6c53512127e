"""Settings for the test suite: the same as production-like settings, with inline tasks."""

import os

os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")

from config.settings import *  # noqa: F403
from config.settings import Q_CLUSTER

# django-q2 reads its settings once at import: inline execution must be set here.
Q_CLUSTER["sync"] = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Rate limits are exercised by their own tests, which set them.
RATE_LIMIT_PER_MINUTE = 0
RATE_LIMIT_ANONYMOUS_PER_MINUTE = 0

# On SQLite the test database is a file, not pytest-django's in-memory default: the
# worker test (tests/test_report_worker.py) starts a real `qcluster` process, which must
# see the same database. One file per test process, so concurrent runs never share one,
# in memory-backed /dev/shm where there is one (as fast as in-memory); Django deletes it
# when the run ends. PostgreSQL runs use Django's test_<name> database as always.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import tempfile

    _shm = "/dev/shm"  # noqa: S108
    _dir = _shm if os.path.isdir(_shm) and os.access(_shm, os.W_OK) else tempfile.gettempdir()
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(_dir, f"waymark-test-{os.getpid()}.sqlite3")
    }
