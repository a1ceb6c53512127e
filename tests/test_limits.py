"""API limits and hardening: query size limits, input limits, rate limits, error masking,
introspection, and the deploy checks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client

from config import checks
from journeys.models import Persona
from tests.conftest import token_client
from workspaces import ratelimit
from workspaces.access import Scope

ROOT = Path(__file__).resolve().parent.parent
ME = "{ me { username } }"
CREATE_PERSONA = (
    "mutation($value: PersonaCreateInput!) { personaCreate(input: $value) { __typename } }"
)


@pytest.fixture(autouse=True)
def _fresh_counters(monkeypatch):
    """Each test starts with empty rate-limit counters, in the middle of a window."""
    cache.clear()
    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_000_040.0)
    yield
    cache.clear()


def codes(result) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in result.errors]


def post(client: Client, query: str, variables: dict | None = None, **extra):
    return client.post(
        "/graphql/",
        json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        **extra,
    )


# --- query size -------------------------------------------------------------------


def test_queries_deeper_than_the_limit_are_refused(editor):
    nested = "id"
    for _ in range(6):
        nested = f"stages {{ journeyMap {{ {nested} }} }}"
    result = editor(f"{{ journeyMaps {{ edges {{ node {{ {nested} }} }} }} }}")
    assert result.body["data"] is None
    assert codes(result) == ["QUERY_TOO_DEEP"]
    assert "exceeds maximum operation depth of 12" in result.errors[0]["message"]


def test_the_depth_limit_is_read_from_settings(editor, settings):
    settings.GRAPHQL_MAX_DEPTH = 2
    assert codes(editor("{ journeyMaps { edges { node { id } } } }")) == ["QUERY_TOO_DEEP"]
    settings.GRAPHQL_MAX_DEPTH = 3
    assert editor("{ journeyMaps { edges { node { id } } } }").data


def test_more_aliases_than_the_limit_are_refused(editor):
    thirty = " ".join(f"a{i}: me {{ username }}" for i in range(30))
    assert editor(f"{{ {thirty} }}").data["a29"] == {"username": "editor"}
    result = editor(f"{{ {thirty} extra: me {{ username }} }}")
    assert codes(result) == ["TOO_MANY_ALIASES"]
    assert result.errors[0]["message"] == "31 aliases found. Allowed: 30"


def test_documents_with_too_many_tokens_are_refused(editor):
    result = editor("{ " + "__typename " * 5000 + "}")
    assert codes(result) == ["QUERY_TOO_LARGE"]
    assert result.errors[0]["extensions"]["maxTokens"] == 5000
    assert "more than 5000 tokens" in result.errors[0]["message"]


def test_pages_larger_than_the_maximum_are_refused(editor, workspace):
    assert editor("{ journeyMaps(first: 100) { totalCount } }").data
    for query, variables in [
        ("{ journeyMaps(first: 101) { totalCount } }", None),
        ("query($n: Int) { personas(last: $n) { totalCount } }", {"n": 101}),
    ]:
        result = editor(query, variables)
        assert codes(result) == ["PAGE_TOO_LARGE"], result.body
        assert result.errors[0]["extensions"]["maxPageSize"] == 100
        assert "cannot be higher than 100" in result.errors[0]["message"]
    negative = editor("{ journeyMaps(first: -1) { totalCount } }")
    assert codes(negative) == ["INVALID_PAGE_SIZE"]
    assert negative.errors[0]["message"] == "Argument 'first' of journeyMaps must not be negative."


# --- input size -------------------------------------------------------------------


@pytest.mark.parametrize("cursor", ["garbage", "UGVyc29uOjE=", "YXJyYXljb25uZWN0aW9uOng="])
def test_cursors_not_given_out_by_the_api_are_refused(viewer, cursor):
    literal = viewer(f'{{ personas(after: "{cursor}") {{ totalCount }} }}')
    variable = viewer("query($c: String) { personas(before: $c) { totalCount } }", {"c": cursor})
    assert codes(literal) == codes(variable) == ["INVALID_CURSOR"]


def test_cursors_from_page_info_are_accepted(viewer, workspace):
    from tests.factories import PersonaFactory

    PersonaFactory.create_batch(3, workspace=workspace)
    first = viewer("{ personas(first: 2) { pageInfo { endCursor } } }").data
    cursor = first["personas"]["pageInfo"]["endCursor"]
    rest = viewer("query($c: String) { personas(after: $c) { edges { cursor } } }", {"c": cursor})
    assert len(rest.data["personas"]["edges"]) == 1


def test_long_lists_in_variables_are_refused_before_execution(editor):
    value = {"key": "cfo", "name": "CFO", "goals": ["grow"] * 1001}
    result = editor(CREATE_PERSONA, {"value": value})
    assert result.body["data"] is None
    assert codes(result) == ["LIST_TOO_LONG"]
    error = result.errors[0]
    assert error["message"] == "The list at $value.goals has 1001 items; at most 1000 are allowed."
    assert error["extensions"]["argument"] == "$value.goals"
    assert error["extensions"]["maxLength"] == 1000
    assert not Persona.objects.exists()


def test_long_lists_in_literal_arguments_are_refused_before_execution(editor):
    goals = ", ".join(['"grow"'] * 1001)
    result = editor(
        f'mutation {{ personaCreate(input: {{key: "cfo", name: "CFO", goals: [{goals}]}})'
        " { __typename } }"
    )
    assert codes(result) == ["LIST_TOO_LONG"]
    assert result.errors[0]["extensions"]["argument"] == "personaCreate(input).goals"
    assert not Persona.objects.exists()


def test_long_lists_in_variable_defaults_are_refused(editor, settings):
    settings.GRAPHQL_MAX_LIST_INPUT = 2
    result = editor(
        'mutation($goals: [String!] = ["a", "b", "c"]) {'
        ' personaCreate(input: {key: "cfo", name: "CFO", goals: $goals}) { __typename } }'
    )
    assert codes(result) == ["LIST_TOO_LONG"]
    assert result.errors[0]["extensions"]["argument"] == "$goals"


def test_lists_up_to_the_limit_pass(editor, settings):
    settings.GRAPHQL_MAX_LIST_INPUT = 3
    value = {"key": "cfo", "name": "CFO", "goals": ["a", "b", "c"]}
    assert editor(CREATE_PERSONA, {"value": value}).data == {
        "personaCreate": {"__typename": "Persona"}
    }
    value = {"key": "coo", "name": "COO", "painPoints": ["a", "b", "c", "d"]}
    assert codes(editor(CREATE_PERSONA, {"value": value})) == ["LIST_TOO_LONG"]


def test_nested_lists_in_variables_are_found(editor, settings):
    settings.GRAPHQL_MAX_LIST_INPUT = 2
    value = {"key": "cfo", "name": "CFO", "matchingRules": {"any": [{"in": [1, 2, 3]}]}}
    result = editor(CREATE_PERSONA, {"value": value})
    assert result.errors[0]["extensions"]["argument"] == "$value.matchingRules.any[0].in"


# --- rate limits ------------------------------------------------------------------


def test_callers_over_the_rate_limit_get_429_with_retry_after(editor, settings):
    settings.RATE_LIMIT_PER_MINUTE = 3
    for _ in range(3):
        assert post(editor.client, ME).status_code == 200
    response = post(editor.client, ME)
    assert response.status_code == 429
    assert response["Retry-After"] == "40"  # the window is 1_000_020 to 1_000_080
    assert response.json() == {
        "errors": [
            {
                "message": "Too many requests: try again in 40 seconds.",
                "extensions": {"code": "RATE_LIMITED", "retryAfter": 40},
            }
        ]
    }


def test_the_next_window_starts_afresh(editor, settings, monkeypatch):
    settings.RATE_LIMIT_PER_MINUTE = 1
    assert post(editor.client, ME).status_code == 200
    assert post(editor.client, ME).status_code == 429
    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_000_080.0)
    assert post(editor.client, ME).status_code == 200


def test_each_token_has_its_own_budget_apart_from_its_creator(editor, workspace, settings):
    settings.RATE_LIMIT_PER_MINUTE = 2
    first = token_client(workspace, [Scope.JOURNEYS_READ], created_by=editor.user)
    second = token_client(workspace, [Scope.JOURNEYS_READ], created_by=editor.user)
    for _ in range(2):
        assert post(first.client, ME, headers=first.headers).status_code == 200
    assert post(first.client, ME, headers=first.headers).status_code == 429
    # Neither the creator's session nor another token spent anything.
    assert post(second.client, ME, headers=second.headers).status_code == 200
    for _ in range(2):
        assert post(editor.client, ME).status_code == 200
    assert post(editor.client, ME).status_code == 429
    assert post(second.client, ME, headers=second.headers).status_code == 200


def test_each_user_has_its_own_budget(editor, viewer, settings):
    settings.RATE_LIMIT_PER_MINUTE = 1
    assert post(editor.client, ME).status_code == 200
    assert post(editor.client, ME).status_code == 429
    assert post(viewer.client, ME).status_code == 200


def test_anonymous_callers_are_limited_per_address(db, settings):
    settings.RATE_LIMIT_ANONYMOUS_PER_MINUTE = 2
    settings.RATE_LIMIT_PER_MINUTE = 100
    login = 'mutation { login(username: "nobody", password: "guess") { username } }'
    client = Client()
    for _ in range(2):
        response = post(client, login, REMOTE_ADDR="203.0.113.7")
        assert response.json()["errors"][0]["extensions"]["code"] == "INVALID_CREDENTIALS"
    response = post(client, login, REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert post(Client(), login, REMOTE_ADDR="203.0.113.8").status_code == 200


def test_guessing_tokens_is_limited_per_address(db, settings):
    settings.RATE_LIMIT_ANONYMOUS_PER_MINUTE = 2
    guess = {"HTTP_AUTHORIZATION": "Bearer wmk_guess", "REMOTE_ADDR": "203.0.113.9"}
    assert [post(Client(), ME, **guess).status_code for _ in range(3)] == [401, 401, 429]


def test_the_client_address_header_is_honoured(db, settings):
    settings.RATE_LIMIT_ANONYMOUS_PER_MINUTE = 1
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    client = Client()
    # The proxy in front appends the address it saw: that last entry is the caller.
    forwarded = {"X-Forwarded-For": "10.0.0.1, 198.51.100.1"}
    assert post(client, ME, headers=forwarded).status_code == 200
    assert post(client, ME, headers=forwarded).status_code == 429
    other = {"X-Forwarded-For": "10.0.0.1, 198.51.100.2"}
    assert post(client, ME, headers=other).status_code == 200


def test_zero_turns_the_rate_limit_off(editor, anonymous, settings):
    settings.RATE_LIMIT_PER_MINUTE = 0
    settings.RATE_LIMIT_ANONYMOUS_PER_MINUTE = 0
    for _ in range(5):
        assert post(editor.client, ME).status_code == 200
        assert post(anonymous.client, ME).status_code == 200


def test_only_the_api_is_rate_limited(client, db, settings):
    settings.RATE_LIMIT_ANONYMOUS_PER_MINUTE = 1
    for _ in range(3):
        assert client.get("/readyz").status_code == 200


def test_hit_counts_in_fixed_windows():
    assert ratelimit.hit("k", limit=2, now=119.0) is None
    assert ratelimit.hit("k", limit=2, now=119.2) is None
    assert ratelimit.hit("k", limit=2, now=119.5) == 1
    assert ratelimit.hit("k", limit=2, now=120.0) is None


# --- error masking ----------------------------------------------------------------


def test_unexpected_errors_are_masked_and_logged(editor, monkeypatch, caplog):
    from journeys import services

    def broken(**kwargs):
        raise RuntimeError("connection to 10.1.2.3 failed: password=hunter2")

    monkeypatch.setattr(services, "persona_create", broken)
    response = post(editor.client, CREATE_PERSONA, {"value": {"key": "cfo", "name": "CFO"}})
    assert response.status_code == 200
    body = response.json()
    assert body["errors"] == [
        {
            "message": "Unexpected error.",
            "locations": [{"line": 1, "column": 41}],
            "path": ["personaCreate"],
            "extensions": {"code": "INTERNAL_ERROR"},
        }
    ]
    text = response.content.decode()
    assert "hunter2" not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    # The operator still sees what happened.
    assert "hunter2" in caplog.text


def test_unexpected_errors_in_queries_are_masked(editor, monkeypatch):
    from workspaces.graphql import schema as workspaces_schema

    def broken(info):
        raise KeyError("internal detail")

    monkeypatch.setattr(workspaces_schema, "_me", broken)
    result = editor(ME)
    assert result.body["data"] == {"me": None}
    assert [error["message"] for error in result.errors] == ["Unexpected error."]
    assert codes(result) == ["INTERNAL_ERROR"]


def test_validation_syntax_and_permission_errors_stay_readable(viewer):
    unknown = viewer("{ personas { totalCount nope } }")
    assert unknown.errors[0]["message"] == "Cannot query field 'nope' on type 'PersonaConnection'."
    syntax = viewer("{ personas { ")
    assert syntax.errors[0]["message"].startswith("Syntax Error:")
    denied = viewer(CREATE_PERSONA, {"value": {"key": "cfo", "name": "CFO"}})
    assert codes(denied) == ["FORBIDDEN"]
    assert "needs the editor role" in denied.errors[0]["message"]
    bad_variable = viewer("query($n: Int) { personas(first: $n) { totalCount } }", {"n": "x"})
    assert "has invalid value" in bad_variable.errors[0]["message"]
    bad_id = viewer('{ node(id: "not-a-global-id") { id } }')
    assert bad_id.errors[0]["message"] != "Unexpected error.", bad_id.errors


def test_wrong_credentials_stay_readable(anonymous):
    result = anonymous('mutation { login(username: "x", password: "y") { username } }')
    assert codes(result) == ["INVALID_CREDENTIALS"]


# --- introspection ----------------------------------------------------------------

INTROSPECT = "{ __schema { queryType { name } } }"


def test_introspection_can_be_turned_off_per_request(anonymous, settings):
    settings.GRAPHQL_INTROSPECTION = True
    assert anonymous(INTROSPECT).data == {"__schema": {"queryType": {"name": "Query"}}}
    settings.GRAPHQL_INTROSPECTION = False
    result = anonymous(INTROSPECT)
    assert result.body["data"] is None
    assert "INTROSPECTION_DISABLED" in codes(result)
    assert codes(anonymous('{ __type(name: "Query") { name } }'))[0] == "INTROSPECTION_DISABLED"
    assert anonymous("{ __typename }").data == {"__typename": "Query"}


def test_suggestions_are_hidden_without_introspection(viewer, settings):
    settings.GRAPHQL_INTROSPECTION = True
    query = "{ personas { totalCont } }"
    assert "Did you mean 'totalCount'?" in viewer(query).errors[0]["message"]
    settings.GRAPHQL_INTROSPECTION = False
    assert viewer(query).errors[0]["message"] == (
        "Cannot query field 'totalCont' on type 'PersonaConnection'."
    )
    arg = viewer("{ personas(frist: 1) { totalCount } }").errors[0]["message"]
    assert arg == "Unknown argument 'frist' on field 'Query.personas'."


def _settings_in_production(**env) -> dict:
    """Import the settings with DEBUG off in a fresh interpreter and report some values."""
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({name: getattr(s, name) for name in ["
        "'GRAPHQL_INTROSPECTION', 'GRAPHQL_GRAPHIQL', 'CSRF_TRUSTED_ORIGINS', "
        "'CORS_ALLOWED_ORIGINS', 'RATE_LIMIT_PER_MINUTE', 'GRAPHQL_MAX_PAGE_SIZE']}))"
    )
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GRAPHQL_", "CORS_", "CSRF_", "RATE_LIMIT_", "DEBUG"))
    }
    environment = base | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "example.com",
        **env,
    }
    output = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def test_production_defaults_turn_introspection_and_graphiql_off():
    values = _settings_in_production()
    assert values["GRAPHQL_INTROSPECTION"] is False
    assert values["GRAPHQL_GRAPHIQL"] is False
    assert values["RATE_LIMIT_PER_MINUTE"] == 600
    assert values["GRAPHQL_MAX_PAGE_SIZE"] == 100
    assert _settings_in_production(GRAPHQL_INTROSPECTION="1")["GRAPHQL_INTROSPECTION"] is True
    # GraphiQL cannot work without introspection: turning it on turns both on.
    with_ide = _settings_in_production(GRAPHQL_GRAPHIQL="1")
    assert with_ide["GRAPHQL_GRAPHIQL"] is True
    assert with_ide["GRAPHQL_INTROSPECTION"] is True


def test_graphiql_is_off_unless_enabled(client, db, settings):
    settings.GRAPHQL_GRAPHIQL = False
    response = client.get("/graphql/", headers={"Accept": "text/html"})
    assert b"graphiql" not in response.content.lower()


# --- deploy checks ----------------------------------------------------------------


def test_deploy_check_wants_peppers_apart_from_the_secret_key(settings):
    settings.API_TOKEN_PEPPERS = {"default": settings.SECRET_KEY}
    assert [m.id for m in checks.check_token_peppers()] == ["waymark.W001"]
    settings.API_TOKEN_PEPPERS = {"k1": "p" * 40}
    assert checks.check_token_peppers() == []


def test_deploy_check_wants_a_postgresql_statement_timeout():
    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "waymark"}
    databases = {
        "default": postgres | {"OPTIONS": {"options": "-c statement_timeout=30000"}},
        "nolimit": postgres | {"OPTIONS": {"options": "-c statement_timeout=0"}},
        "missing": postgres,
        "sqlite": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    }
    problems = checks.statement_timeout_problems(databases)
    assert [m.id for m in problems] == ["waymark.W002", "waymark.W002"]
    assert "'nolimit'" in problems[0].msg
    assert "'missing'" in problems[1].msg


def test_graphiql_without_introspection_is_flagged(settings):
    settings.GRAPHQL_GRAPHIQL = True
    settings.GRAPHQL_INTROSPECTION = False
    assert [m.id for m in checks.check_graphiql_needs_introspection()] == ["waymark.W003"]
    settings.GRAPHQL_INTROSPECTION = True
    assert checks.check_graphiql_needs_introspection() == []


def test_the_production_settings_pass_the_deploy_checks():
    """What CI runs: `check --deploy` with DEBUG off on PostgreSQL settings."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GRAPHQL_", "CORS_", "CSRF_", "RATE_LIMIT_", "DEBUG"))
    } | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "s3cr3t-" * 10,
        "ALLOWED_HOSTS": "example.com",
        "DATABASE_URL": "postgresql://waymark:unused@db.invalid:5432/waymark",
    }
    command = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]

    def run(**env):
        return subprocess.run(
            command, cwd=ROOT, env=environment | env, capture_output=True, text=True
        )

    without_peppers = run()
    assert without_peppers.returncode != 0
    assert "waymark.W001" in without_peppers.stderr
    without_timeout = run(API_TOKEN_PEPPERS="k1:" + "p" * 40, DATABASE_STATEMENT_TIMEOUT_MS="0")
    assert "waymark.W002" in without_timeout.stderr
    passing = run(API_TOKEN_PEPPERS="k1:" + "p" * 40)
    assert passing.returncode == 0, passing.stderr
