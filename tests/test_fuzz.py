"""Property-based fuzzing of the whole schema (hypothesis-graphql): any valid query or
mutation, with any argument values - NUL characters, odd Unicode, huge numbers, nulls -
answers 200 with data or coded errors: never HTTP 500, never INTERNAL_ERROR, never a
leaked internal (traceback, SQL, module paths).

The bounded run is part of the suite; `-m slow` runs a longer one (FUZZ_EXAMPLES_SLOW)."""

import json
import os

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import strategies as gql

from config.schema import schema
from tests.conftest import one_row_of_every_node_type, token_client
from tests.graphql_helpers import gid
from workspaces.access import Scope

pytestmark = pytest.mark.django_db

SDL = graphql.build_schema(schema.as_str())
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ_EXAMPLES_SLOW = int(os.environ.get("FUZZ_EXAMPLES_SLOW", "600"))
LEAKS = ("Traceback", "psycopg", "sqlite3", "django.", "SELECT ", "INSERT ", 'File "', "0x7f")
SETTINGS = dict(  # noqa: C408 - keyword arguments of hypothesis.settings
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # no example database in the checkout
)


def to_node(value) -> graphql.ValueNode:
    """A GraphQL literal of a JSON value."""
    if value is None:
        return graphql.NullValueNode()
    if isinstance(value, bool):
        return graphql.BooleanValueNode(value=value)
    if isinstance(value, int):
        return graphql.IntValueNode(value=str(value))
    if isinstance(value, float):
        return graphql.FloatValueNode(value=repr(value))
    if isinstance(value, str):
        return graphql.StringValueNode(value=value)
    if isinstance(value, list):
        return graphql.ListValueNode(values=tuple(to_node(item) for item in value))
    return graphql.ObjectValueNode(
        fields=tuple(
            graphql.ObjectFieldNode(name=graphql.NameNode(value=key), value=to_node(item))
            for key, item in value.items()
        )
    )


TEXT = st.text(max_size=30)
NAMES = st.from_regex(r"\A[a-zA-Z][a-zA-Z0-9]{0,12}\Z")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=12,
)
MOMENTS = (
    st.sampled_from(
        [
            "2026-03-02T09:30:00Z",
            "2026-01-01T00:00:00+16:00",
            "0001-01-01T00:00:00+23:59",
            "9999-12-31T23:59:59-23:59",
            "2026-02-30T00:00:00Z",
            "2026-03-02T09:30:00",
        ]
    )
    | TEXT
)


def item_values(keys: dict) -> st.SearchStrategy:
    """Items as JSON objects: mostly the known keys with plausible or hostile values."""
    return st.fixed_dictionaries({}, optional=keys) | JSON_VALUES


REF = st.fixed_dictionaries(
    {},
    optional={
        "source": TEXT,
        "externalId": TEXT,
        "domain": st.sampled_from(["acme.com", "not a domain"]) | TEXT,
        "email": st.sampled_from(["jo@acme.com", "nope"]) | TEXT,
        "name": TEXT,
    },
)
EVENT = {
    "clientId": TEXT,
    "occurredAt": MOMENTS,
    "account": REF,
    "contact": REF,
    "properties": JSON_VALUES,
    "cost": st.sampled_from(["1.5", "-1", "1e40", "NaN"]) | JSON_VALUES,
}


def custom_scalars(ids: list[str]) -> dict:
    scalars = {
        "DateTime": MOMENTS,
        "Date": st.sampled_from(["2026-01-31", "0001-01-01", "9999-12-31", "2026-02-30"]) | TEXT,
        "Decimal": st.sampled_from(["1.50", "-3", "1e40", "NaN", "Infinity"]) | TEXT,
        "JSON": JSON_VALUES,
        "InteractionInput": item_values(
            {**EVENT, "touchpoint": st.sampled_from(["tp", "nope"]), "campaign": TEXT}
        ),
        "MilestoneAchievementInput": item_values(
            {**EVENT, "milestone": st.sampled_from(["ms", "nope"]), "value": JSON_VALUES}
        ),
        "FeedbackResponseInput": item_values(
            {
                **EVENT,
                "instrument": st.sampled_from(["nps", "csat", "text", "?"]),
                "score": JSON_VALUES,
                "scale": JSON_VALUES,
                "stage": st.sampled_from(ids) | TEXT,
            }
        ),
        "AccountUpsertInput": item_values(
            {"ref": REF, "country": TEXT, "persona": st.sampled_from(ids) | TEXT, "name": TEXT}
        ),
    }
    return {name: strategy.map(to_node) for name, strategy in scalars.items()}


def check(client, document: str) -> None:
    response = client.client.post(
        "/graphql/",
        json.dumps({"query": document}),
        content_type="application/json",
        headers=client.headers,
    )
    assert response.status_code != 500, document
    body = response.json()
    errors = body.get("errors") or []
    codes = [(error.get("extensions") or {}).get("code") for error in errors]
    assert "INTERNAL_ERROR" not in codes, (document, errors)
    text = json.dumps(errors)
    leaked = [marker for marker in LEAKS if marker in text]
    assert not leaked, (document, leaked, errors)


@pytest.fixture
def fuzz_client(workspace):
    rows = one_row_of_every_node_type(workspace)
    from tests.factories import MilestoneFactory, TouchpointFactory

    TouchpointFactory(workspace=workspace, key="tp")
    MilestoneFactory(workspace=workspace, key="ms", is_conversion=True)
    client = token_client(workspace, list(Scope))
    client.ids = [gid(row) for row in rows.values()]
    return client


def fuzz(client, examples: int, root: str) -> None:
    strategy = (gql.queries if root == "query" else gql.mutations)(
        SDL, custom_scalars=custom_scalars(client.ids)
    )

    @settings(max_examples=examples, **SETTINGS)
    @given(document=strategy)
    def run(document):
        check(client, document)

    run()


@pytest.mark.parametrize("root", ["query", "mutation"])
def test_fuzzed_operations_never_fail_inside(fuzz_client, root):
    fuzz(fuzz_client, FUZZ_EXAMPLES, root)


@pytest.mark.slow
@pytest.mark.parametrize("root", ["query", "mutation"])
def test_a_longer_fuzz_run(fuzz_client, root):
    fuzz(fuzz_client, FUZZ_EXAMPLES_SLOW, root)
