"""Waymark settings, read from environment variables (see the README's configuration table)."""

from pathlib import Path

import dj_database_url
from corsheaders.defaults import default_headers as default_cors_headers
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, load_env_file, parse_peppers

BASE_DIR = Path(__file__).resolve().parent.parent
# Local development: scripts/_bootstrap.sh writes .env (DEBUG=1) into the checkout, so that
# every documented command works as written. The environment always wins over the file.
load_env_file(env_str("WAYMARK_ENV_FILE") or BASE_DIR / ".env")

DEBUG = env_bool("DEBUG", default=False)
SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-debug-mode-0123456789"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
# Front ends on other origins (django-cors-headers): only the listed origins get CORS
# headers, and so credentials; their session POSTs pass CSRF's origin check too.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/graphql/$"
CORS_ALLOW_HEADERS = (*default_cors_headers, "x-workspace")
CSRF_TRUSTED_ORIGINS = list(dict.fromkeys(env_list("CSRF_TRUSTED_ORIGINS") + CORS_ALLOWED_ORIGINS))
# A front end on a sibling subdomain reads the CSRF cookie when it is set for the parent
# domain, e.g. ".example.com".
CSRF_COOKIE_DOMAIN = env_str("CSRF_COOKIE_DOMAIN") or None

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "csp",
    "django_jsonform",
    "strawberry_django",
    "django_q",
    "workspaces",
    "journeys",
    "accounts",
    "analytics",
    "notifications",
    "monitoring",
]

MIDDLEWARE = [
    "workspaces.observability.RequestContextMiddleware",  # request id, access log, metrics
    "corsheaders.middleware.CorsMiddleware",
    "config.http_errors.BodySizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # /static/ without a separate server
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "workspaces.middleware.WorkspaceAccessMiddleware",
    "workspaces.ratelimit.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # config/templates: templates of the assembled site (GraphiQL's page).
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database_from_url(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=0)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL and IMMEDIATE transactions let the web process and the task worker
        # write to one SQLite file without "database is locked".
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
            ),
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        timeout_ms = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 30_000)
        config["OPTIONS"] = {"options": f"-c statement_timeout={timeout_ms}"}
        if env_bool("DATABASE_POOL", default=False):
            config["OPTIONS"]["pool"] = True
        else:
            config["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
            config["CONN_HEALTH_CHECKS"] = True
    return config


DATA_DIR = Path(env_str("WAYMARK_DATA_DIR") or BASE_DIR / "var")
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'waymark.sqlite3'}"
if DATABASE_URL.startswith("sqlite:///"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": _database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# config/static: the site's own assets and vendored front-end packages (GraphiQL).
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
# whitenoise serves the collected files (gunicorn alone serves the admin), compressed;
# in development it serves them from the apps directly, without collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
if DEBUG:
    STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing one

# Ingestion and GraphQL bodies are capped; larger uploads go through the CSV import commands.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
# Deepest nesting of arrays and objects in a GraphQL request body (properties included).
GRAPHQL_MAX_JSON_DEPTH = env_int("GRAPHQL_MAX_JSON_DEPTH", 32)
# A failed CSRF check on /graphql/ answers JSON with a code (the admin keeps Django's page).
CSRF_FAILURE_VIEW = "config.http_errors.csrf_failure"

# Content-Security-Policy on every response (django-csp): scripts, styles, images and
# connections from this server only; nothing inline, no eval, no framing. The admin, the
# canvas and GraphiQL work under it (tests/browser proves it: no violation reported).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 30)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is a one-way commitment of the whole domain, the operator's to make.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
# /healthz and /readyz are probed over plain HTTP by load balancers.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# django-q2: the ORM broker by default, Redis when REDIS_URL is set. Tasks are idempotent,
# so the ORM broker's at-least-once redelivery is safe; retry must exceed timeout.
TASK_TIMEOUT_SECONDS = env_int("TASK_TIMEOUT_SECONDS", 600)
Q_CLUSTER = {
    "name": "waymark",
    "workers": env_int("TASK_WORKERS", 2),
    "timeout": TASK_TIMEOUT_SECONDS,
    "retry": TASK_TIMEOUT_SECONDS + env_int("TASK_RETRY_MARGIN_SECONDS", 300),
    "max_attempts": env_int("TASK_MAX_ATTEMPTS", 3),
    "save_limit": 1000,
    "catch_up": False,
    "label": "Tasks",
    "sync": env_bool("TASKS_SYNC", default=False),
}
# ORM broker: a pulled task is leased for this long and renewed while its cluster lives,
# so the tasks of a killed cluster run again within about one lease (config/task_broker.py).
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 30)
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["broker_class"] = "config.task_broker.LeasedORM"

# Outbound webhooks (notifications/): https only and public addresses only, unless these
# allow otherwise for local development and tests (both follow DEBUG by default).
WEBHOOKS_ALLOW_HTTP = env_bool("WEBHOOKS_ALLOW_HTTP", default=DEBUG)
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOKS_ALLOW_PRIVATE_ADDRESSES", default=DEBUG)
WEBHOOKS_TIMEOUT_SECONDS = env_int("WEBHOOKS_TIMEOUT_SECONDS", 10)
# /healthz answers 503 when no worker has run its heartbeat task for this long.
HEALTH_WORKER_STALE_SECONDS = env_int("HEALTH_WORKER_STALE_SECONDS", 300)

# The cache holds the rate-limit counters: per process in memory by default, shared by
# all processes and machines in Redis when REDIS_URL is set.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "waymark",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# API token secrets are stored as HMAC-SHA256 under a pepper: "id:secret,id:secret".
# New and rolled tokens use API_TOKEN_PEPPER_ID (default: the last listed); tokens hashed
# under an older pepper keep working while it is listed and are re-hashed on use.
API_TOKEN_PEPPERS = parse_peppers(env_str("API_TOKEN_PEPPERS"), fallback=SECRET_KEY)
API_TOKEN_PEPPER_ID = env_str("API_TOKEN_PEPPER_ID") or list(API_TOKEN_PEPPERS)[-1]
if API_TOKEN_PEPPER_ID not in API_TOKEN_PEPPERS:
    raise ImproperlyConfigured(f"API_TOKEN_PEPPER_ID {API_TOKEN_PEPPER_ID!r} is not listed.")
API_TOKEN_LAST_USED_INTERVAL_SECONDS = 60
# Where the client's address comes from: REMOTE_ADDR, or a header set by your proxy.
CLIENT_IP_HEADER = env_str("CLIENT_IP_HEADER") or None

GRAPHQL_GRAPHIQL = env_bool("GRAPHQL_GRAPHIQL", default=DEBUG)

# Builds the measured overlay of a map picture (analytics reads reports; journeys draws).
JOURNEY_MAP_OVERLAY = "analytics.overlay.map_overlay"
# Introspection (and "Did you mean" hints) is on in development, or with GraphiQL, which
# needs it; off otherwise. Read per request.
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", default=DEBUG or GRAPHQL_GRAPHIQL)
# Limits of one GraphQL request (config/limits.py); over a limit the request is refused.
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 12)
GRAPHQL_MAX_ALIASES = env_int("GRAPHQL_MAX_ALIASES", 30)
GRAPHQL_MAX_TOKENS = env_int("GRAPHQL_MAX_TOKENS", 5000)
GRAPHQL_MAX_LIST_INPUT = env_int("GRAPHQL_MAX_LIST_INPUT", 1000)
# Largest `first`/`last` of a connection (read when the schema is built).
GRAPHQL_MAX_PAGE_SIZE = env_int("GRAPHQL_MAX_PAGE_SIZE", 100)
# Requests per minute to /graphql/ (workspaces/ratelimit.py): per API token and per user,
# and per client address for anonymous callers. 0 turns a limit off.
RATE_LIMIT_PER_MINUTE = env_int("RATE_LIMIT_PER_MINUTE", 600)
RATE_LIMIT_ANONYMOUS_PER_MINUTE = env_int("RATE_LIMIT_ANONYMOUS_PER_MINUTE", 60)
STRAWBERRY_DJANGO = {
    "FIELD_DESCRIPTION_FROM_HELP_TEXT": True,
    "TYPE_DESCRIPTION_FROM_MODEL_DOCSTRING": True,
    "MUTATIONS_DEFAULT_HANDLE_ERRORS": True,
    "MAP_AUTO_ID_AS_GLOBAL_ID": True,
    "GENERATE_ENUMS_FROM_CHOICES": True,
    "PAGINATION_DEFAULT_LIMIT": min(100, GRAPHQL_MAX_PAGE_SIZE),
    "PAGINATION_MAX_LIMIT": GRAPHQL_MAX_PAGE_SIZE,
}

# Logs go to stderr: one JSON object per line by default (LOG_FORMAT=json), readable lines
# for a terminal with LOG_FORMAT=text (the development default). Every line carries the
# request id (X-Request-Id), in tasks too.
LOG_FORMAT = env_str("LOG_FORMAT") or ("text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "workspaces.observability.RequestIdFilter"},
        "redact": {"()": "workspaces.observability.RedactFilter"},
    },
    "formatters": {
        "json": {"()": "workspaces.observability.JsonFormatter"},
        "text": {
            "()": "workspaces.observability.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "redact"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # runserver's own access line repeats waymark.request's; keep its errors only.
        "django.server": {"level": "WARNING"},
    },
}

# Prometheus metrics at /metrics, for a scraper sending `Authorization: Bearer
# <METRICS_TOKEN>`; without METRICS_TOKEN the endpoint answers 404. Several processes on
# one machine (gunicorn workers, qcluster) share their metrics through
# PROMETHEUS_MULTIPROC_DIR (prometheus-client's multiprocess mode).
METRICS_TOKEN = env_str("METRICS_TOKEN") or ""
# OpenTelemetry spans for every GraphQL operation (strawberry's extension), exported to
# OTEL_EXPORTER_OTLP_ENDPOINT: needs `pip install '.[otel]'`.
GRAPHQL_OPENTELEMETRY = env_bool("GRAPHQL_OPENTELEMETRY", default=False)
