"""Waymark's own system checks (registered from workspaces.apps, as `config` is no app).

`manage.py check --deploy` adds the deploy-tagged ones to Django's security checks.
"""

import re

from django.conf import settings
from django.core.checks import Tags, Warning, register

_STATEMENT_TIMEOUT = re.compile(r"statement_timeout\s*=\s*'?(\d+)")


@register(Tags.security, deploy=True)
def check_token_peppers(app_configs=None, **kwargs):
    if settings.API_TOKEN_PEPPERS != {"default": settings.SECRET_KEY}:
        return []
    return [
        Warning(
            "API_TOKEN_PEPPERS is not set: API token secrets are hashed under SECRET_KEY.",
            hint="Set API_TOKEN_PEPPERS to 'id:secret' (32+ random characters), kept apart "
            "from SECRET_KEY, so that rotating one does not invalidate the other.",
            id="waymark.W001",
        )
    ]


@register(Tags.database, deploy=True)
def check_statement_timeout(app_configs=None, databases=None, **kwargs):
    # Reads the connection settings only: needs no database connection.
    return statement_timeout_problems(settings.DATABASES)


def statement_timeout_problems(databases: dict) -> list[Warning]:
    problems = []
    for alias, config in databases.items():
        if config.get("ENGINE") != "django.db.backends.postgresql":
            continue
        options = str(config.get("OPTIONS", {}).get("options", ""))
        match = _STATEMENT_TIMEOUT.search(options)
        if match is None or int(match.group(1)) == 0:
            problems.append(
                Warning(
                    f"Database {alias!r} (PostgreSQL) has no statement_timeout: one slow "
                    "query can hold a connection and a worker indefinitely.",
                    hint="Set DATABASE_STATEMENT_TIMEOUT_MS to a positive number of "
                    "milliseconds (default 30000).",
                    id="waymark.W002",
                )
            )
    return problems


@register(Tags.security)
def check_graphiql_needs_introspection(app_configs=None, **kwargs):
    if settings.GRAPHQL_GRAPHIQL and not settings.GRAPHQL_INTROSPECTION:
        return [
            Warning(
                "GRAPHQL_GRAPHIQL is on but GRAPHQL_INTROSPECTION is off: GraphiQL cannot "
                "load the schema.",
                hint="Turn GraphiQL off, or turn introspection on with it.",
                id="waymark.W003",
            )
        ]
    return []
