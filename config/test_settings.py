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
