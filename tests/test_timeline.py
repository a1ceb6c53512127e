"""Account and contact timelines: interactions and milestone achievements merged in time
order, keyset-paginated, filtered, at a fixed number of SQL queries per page."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.timeline import (
    EntryKind,
    InvalidCursor,
    TimelineFilters,
    TimelineOrder,
    account_timeline,
)
from journeys.models import Channel
from tests.conftest import token_client
from tests.factories import (
    AccountFactory,
    ContactFactory,
    InteractionFactory,
    MilestoneAchievementFactory,
    MilestoneFactory,
    StageFactory,
    StageMilestoneFactory,
    StageTouchpointFactory,
    TouchpointFactory,
)
from tests.graphql_helpers import gid
from workspaces.access import Scope

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

ENTRY = """
  cursor
  node {
    __typename
    ... on Interaction { id occurredAt touchpoint { key channel } contact { email } }
    ... on MilestoneAchievement { id occurredAt value milestone { key } contact { email } }
  }
"""
ACCOUNT_TIMELINE = f"""
query Timeline($id: ID!, $first: Int! = 50, $after: String, $filter: TimelineFilter,
               $order: TimelineOrder! = NEWEST_FIRST) {{
  account(id: $id) {{
    timeline(first: $first, after: $after, filter: $filter, order: $order) {{
      edges {{ {ENTRY} }}
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    }}
  }}
}}
"""
CONTACT_TIMELINE = f"""
query Timeline($id: ID!, $first: Int! = 50, $after: String, $filter: TimelineFilter) {{
  contact(id: $id) {{
    timeline(first: $first, after: $after, filter: $filter) {{
      edges {{ {ENTRY} }}
      pageInfo {{ hasNextPage endCursor }}
    }}
  }}
}}
"""


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def account(workspace):
    return AccountFactory(workspace=workspace)


def touch(account, minutes, touchpoint=None, **fields):
    if touchpoint is not None:
        fields["touchpoint"] = touchpoint
    return InteractionFactory(
        account=account, workspace=account.workspace, occurred_at=at(minutes), **fields
    )


def reach(account, minutes, milestone=None, **fields):
    if milestone is not None:
        fields["milestone"] = milestone
    return MilestoneAchievementFactory(
        account=account, workspace=account.workspace, occurred_at=at(minutes), **fields
    )


def ids(data: dict, owner: str = "account") -> list[str]:
    return [edge["node"]["id"] for edge in data[owner]["timeline"]["edges"]]


def read(client, account, **variables) -> dict:
    return client(ACCOUNT_TIMELINE, {"id": gid(account), **variables}).data


def read_all(client, account, first: int, **variables) -> list[str]:
    """Every entry, page after page; asserts each page's size and pageInfo."""
    seen, after = [], None
    for _ in range(100):
        data = read(client, account, first=first, after=after, **variables)
        page = data["account"]["timeline"]
        seen += ids(data)
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        assert len(page["edges"]) == first
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        after = page["pageInfo"]["endCursor"]
    raise AssertionError("the timeline never ended")


@pytest.fixture
def history(account):
    """Interactions and achievements with ties: three events at minute 10, two at 20."""
    rows = {
        "i1": touch(account, 0),
        "m1": reach(account, 10),
        "i2": touch(account, 10),
        "i3": touch(account, 10),
        "m2": reach(account, 20),
        "m3": reach(account, 20),
        "i4": touch(account, 30),
    }
    return {name: gid(row) for name, row in rows.items()}


# Order: (occurred_at, interaction before milestone, id), or its exact reverse.
OLDEST = ["i1", "i2", "i3", "m1", "m2", "m3", "i4"]
NEWEST = OLDEST[::-1]


def test_newest_first_by_default_with_a_deterministic_order_at_equal_times(
    viewer, account, history
):
    data = read(viewer, account, first=50)
    assert ids(data) == [history[name] for name in NEWEST]
    page = data["account"]["timeline"]
    assert page["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": page["edges"][0]["cursor"],
        "endCursor": page["edges"][-1]["cursor"],
    }
    typenames = [edge["node"]["__typename"] for edge in page["edges"]]
    assert typenames[:3] == ["Interaction", "MilestoneAchievement", "MilestoneAchievement"]


def test_oldest_first(viewer, account, history):
    data = read(viewer, account, order="OLDEST_FIRST")
    assert ids(data) == [history[name] for name in OLDEST]


@pytest.mark.parametrize("order", ["NEWEST_FIRST", "OLDEST_FIRST"])
@pytest.mark.parametrize("first", [1, 2, 3, 7])
def test_pages_have_no_duplicates_and_no_gaps(viewer, account, history, order, first):
    expected = NEWEST if order == "NEWEST_FIRST" else OLDEST
    assert read_all(viewer, account, first, order=order) == [history[n] for n in expected]


def test_a_page_of_exactly_the_rest_says_there_is_no_next_page(viewer, account, history):
    first = read(viewer, account, first=4)["account"]["timeline"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = read(viewer, account, first=3, after=first["pageInfo"]["endCursor"])
    page = rest["account"]["timeline"]
    assert len(page["edges"]) == 3
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["pageInfo"]["hasPreviousPage"] is True
    empty = read(viewer, account, first=3, after=page["pageInfo"]["endCursor"])
    assert empty["account"]["timeline"]["edges"] == []
    assert empty["account"]["timeline"]["pageInfo"]["endCursor"] is None


def test_new_events_between_pages_neither_repeat_nor_hide_entries(viewer, account, history):
    newest = read(viewer, account, first=3)["account"]["timeline"]
    oldest = read(viewer, account, first=3, order="OLDEST_FIRST")["account"]["timeline"]
    assert [edge["node"]["id"] for edge in newest["edges"]] == [
        history[n] for n in ("i4", "m3", "m2")
    ]
    assert [edge["node"]["id"] for edge in oldest["edges"]] == [
        history[n] for n in ("i1", "i2", "i3")
    ]
    # Meanwhile: events newer than everything, and events tying with entries already read.
    late = [gid(touch(account, 40)), gid(reach(account, 40))]
    tie_20 = gid(touch(account, 20))  # at minute 20: after both milestones, newest first
    tie_10 = gid(reach(account, 10))  # at minute 10: after m1 oldest first (higher id)
    rest_newest = read(viewer, account, after=newest["pageInfo"]["endCursor"])
    rest_oldest = read(viewer, account, after=oldest["pageInfo"]["endCursor"], order="OLDEST_FIRST")
    # Nothing of the first page again, nothing older skipped; newer events wait for a
    # refresh of the first page (newest first) or come last (oldest first).
    assert ids(rest_newest) == [
        tie_20,
        tie_10,
        *(history[n] for n in ("m1", "i3", "i2", "i1")),
    ]
    assert ids(rest_oldest) == [
        history["m1"],
        tie_10,
        tie_20,
        *(history[n] for n in ("m2", "m3", "i4")),
        *late,
    ]


def test_selector_merges_sorted_runs_without_reading_the_whole_history(
    account, workspace, django_assert_num_queries
):
    for minute in range(30):
        touch(account, minute)
        reach(account, minute + 0.5)
    with django_assert_num_queries(3):  # one page of each kind (interactions, achievements,
        # feedback), touchpoint or milestone joined
        page = account_timeline(workspace=workspace, account=account, first=4)
        names = [
            entry.event.touchpoint.key
            if entry.kind is EntryKind.INTERACTION
            else entry.event.milestone.key
            for entry in page.entries
        ]
    assert len(names) == 4
    assert page.has_next_page
    times = [entry.event.occurred_at for entry in page.entries]
    assert times == [at(29.5), at(29), at(28.5), at(28)]


def test_selector_refuses_cursors_it_did_not_give_out(account, workspace):
    page = account_timeline(workspace=workspace, account=account, first=1)
    assert page.entries == []
    reach(account, 1)
    page = account_timeline(workspace=workspace, account=account, first=1)
    with pytest.raises(InvalidCursor):
        account_timeline(
            workspace=workspace,
            account=account,
            first=1,
            after_cursor=page.end_cursor,
            order=TimelineOrder.OLDEST_FIRST,
        )
    for garbage in ("", "nope", base64.b64encode(b"timeline:asc:1:milestone:0").decode()):
        with pytest.raises(InvalidCursor):
            account_timeline(workspace=workspace, account=account, first=1, after_cursor=garbage)


# Filters ------------------------------------------------------------------------------


@pytest.fixture
def catalogue(workspace, account):
    """Two stages; touchpoints of two channels; milestones; one event of each."""
    awareness = StageFactory(journey_map__workspace=workspace, position=1)
    purchase = StageFactory(journey_map=awareness.journey_map, position=2)
    web = TouchpointFactory(workspace=workspace, key="pricing", channel=Channel.WEB)
    email = TouchpointFactory(workspace=workspace, key="nurture", channel=Channel.EMAIL)
    call = TouchpointFactory(workspace=workspace, key="demo-call", channel=Channel.values[-1])
    StageTouchpointFactory(stage=awareness, touchpoint=web)
    StageTouchpointFactory(stage=awareness, touchpoint=email)
    StageTouchpointFactory(stage=purchase, touchpoint=call)
    signup = MilestoneFactory(workspace=workspace, key="signup")
    won = MilestoneFactory(workspace=workspace, key="won")
    StageMilestoneFactory(stage=awareness, milestone=signup)
    StageMilestoneFactory(stage=purchase, milestone=won)
    rows = {
        "web": touch(account, 1, web),
        "email": touch(account, 2, email),
        "call": touch(account, 3, call),
        "signup": reach(account, 4, signup),
        "won": reach(account, 5, won),
    }
    objects = {"awareness": awareness, "purchase": purchase, "web": web, "email": email}
    objects |= {"call": call, "signup_milestone": signup, "won_milestone": won}
    return {"events": {name: gid(row) for name, row in rows.items()}, **objects}


def filtered(client, account, value: dict) -> list[str] | dict:
    result = client(
        ACCOUNT_TIMELINE, {"id": gid(account), "filter": value, "order": "OLDEST_FIRST"}
    )
    if result.errors:
        return result.errors[0]
    return ids(result.data)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({}, ["web", "email", "call", "signup", "won"]),
        ({"touchpoints": []}, ["web", "email", "call", "signup", "won"]),
        ({"touchpoints": ["@web", "@call"]}, ["web", "call"]),
        ({"channels": ["EMAIL"]}, ["email"]),
        ({"channels": ["WEB", "EMAIL"], "touchpoints": ["@web"]}, ["web"]),
        ({"milestones": ["@won_milestone"]}, ["won"]),
        ({"touchpoints": ["@email"], "milestones": ["@signup_milestone"]}, ["email", "signup"]),
        ({"stage": "@awareness"}, ["web", "email", "signup"]),
        ({"stage": "@purchase"}, ["call", "won"]),
        ({"stage": "@awareness", "touchpoints": ["@web", "@call"]}, ["web"]),
        ({"stage": "@purchase", "milestones": ["@signup_milestone"]}, []),
        ({"kinds": ["MILESTONE"]}, ["signup", "won"]),
        ({"kinds": ["INTERACTION"], "stage": "@purchase"}, ["call"]),
        ({"kinds": ["MILESTONE"], "touchpoints": ["@web"]}, []),
        ({"kinds": ["INTERACTION", "MILESTONE"]}, ["web", "email", "call", "signup", "won"]),
        ({"occurredAfter": "2026-03-01T12:02:00Z"}, ["email", "call", "signup", "won"]),
        ({"occurredBefore": "2026-03-01T12:04:00Z"}, ["web", "email", "call"]),
        (
            {"occurredAfter": "2026-03-01T13:03:00+01:00", "occurredBefore": "2026-03-01T12:05:00"},
            ["call", "signup"],
        ),
    ],
)
def test_filters(viewer, account, catalogue, value, expected):
    def resolve(item):
        return gid(catalogue[item[1:]]) if isinstance(item, str) and item[0] == "@" else item

    value = {
        key: [resolve(item) for item in items] if isinstance(items, list) else resolve(items)
        for key, items in value.items()
    }
    assert filtered(viewer, account, value) == [catalogue["events"][name] for name in expected]


def test_filters_paginate_too(viewer, account, catalogue):
    seen = read_all(viewer, account, 1, filter={"stage": gid(catalogue["awareness"])})
    events = catalogue["events"]
    assert seen == [events["signup"], events["email"], events["web"]]


def test_ids_of_another_workspace_match_nothing(viewer, account, catalogue, other_workspace):
    foreign = TouchpointFactory(workspace=other_workspace)
    foreign_stage = StageFactory(journey_map__workspace=other_workspace)
    assert filtered(viewer, account, {"touchpoints": [gid(foreign)]}) == []
    assert filtered(viewer, account, {"stage": gid(foreign_stage)}) == []


@pytest.mark.parametrize("field", ["touchpoints", "milestones", "stage"])
def test_ids_of_the_wrong_type_are_refused(viewer, account, catalogue, field):
    wrong = gid(account)
    error = filtered(viewer, account, {field: wrong if field == "stage" else [wrong]})
    assert error["extensions"]["code"] == "INVALID_ID"
    assert error["extensions"]["argument"] == f"filter.{field}"


# Contacts ------------------------------------------------------------------------------


def test_contact_timeline_shows_only_that_contacts_events(viewer, account):
    ann = ContactFactory(account=account, email="ann@example.com")
    bob = ContactFactory(account=account, email="bob@example.com")
    mine = [gid(touch(account, 1, contact=ann)), gid(reach(account, 2, contact=ann))]
    touch(account, 3, contact=bob)
    touch(account, 4)  # the account's, nobody's in particular
    data = viewer(CONTACT_TIMELINE, {"id": gid(ann)}).data
    assert ids(data, "contact") == mine[::-1]
    emails = {edge["node"]["contact"]["email"] for edge in data["contact"]["timeline"]["edges"]}
    assert emails == {"ann@example.com"}
    page = viewer(CONTACT_TIMELINE, {"id": gid(ann), "first": 1}).data["contact"]["timeline"]
    after = page["pageInfo"]["endCursor"]
    rest = viewer(CONTACT_TIMELINE, {"id": gid(ann), "after": after}).data
    assert ids(rest, "contact") == [mine[0]]
    account_view = read(viewer, account)
    assert len(ids(account_view)) == 4


# Cursors and page sizes ----------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "YXJyYXljb25uZWN0aW9uOjE=",  # arrayconnection:1, a list connection's cursor
        base64.b64encode(b"timeline:desc:999999999999999999:interaction:1").decode(),
        base64.b64encode(b"timeline:desc:0:interaction:99999999999999999999").decode(),
        base64.b64encode(b"timeline:desc:0:stage:1").decode(),
    ],
)
def test_cursors_not_given_out_by_the_timeline_are_refused(viewer, account, history, cursor):
    for passed in ("variable", "literal"):
        if passed == "variable":
            result = viewer(ACCOUNT_TIMELINE, {"id": gid(account), "after": cursor})
        else:
            field = f'timeline(after: "{cursor}") {{ edges {{ cursor }} }}'
            query = f'{{ account(id: "{gid(account)}") {{ {field} }} }}'
            result = viewer(query)
        assert result.status == 200
        assert [error["extensions"]["code"] for error in result.errors] == ["INVALID_CURSOR"]


def test_a_cursor_is_valid_only_for_its_order(viewer, account, history):
    page = read(viewer, account, first=2)["account"]["timeline"]
    result = viewer(
        ACCOUNT_TIMELINE,
        {"id": gid(account), "after": page["pageInfo"]["endCursor"], "order": "OLDEST_FIRST"},
    )
    assert result.errors[0]["extensions"]["code"] == "INVALID_CURSOR"
    assert "order" in result.errors[0]["message"]


def test_timeline_cursors_are_refused_by_list_connections(viewer, account, history):
    cursor = read(viewer, account, first=1)["account"]["timeline"]["pageInfo"]["endCursor"]
    result = viewer("query($c: String) { personas(after: $c) { totalCount } }", {"c": cursor})
    assert result.errors[0]["extensions"]["code"] == "INVALID_CURSOR"


def test_pages_over_the_limit_are_refused(viewer, account, history):
    result = viewer(ACCOUNT_TIMELINE, {"id": gid(account), "first": 101})
    assert result.errors[0]["extensions"] == {"code": "PAGE_TOO_LARGE", "maxPageSize": 100}
    negative = viewer(ACCOUNT_TIMELINE, {"id": gid(account), "first": -1})
    assert negative.errors[0]["extensions"]["code"] == "INVALID_PAGE_SIZE"
    assert len(ids(read(viewer, account, first=100))) == len(OLDEST)
    empty = read(viewer, account, first=0)["account"]["timeline"]
    assert empty["edges"] == []
    assert empty["pageInfo"]["hasNextPage"] is True


# Query counts --------------------------------------------------------------------------

DEEP_ENTRY = """
  edges {
    cursor
    node {
      ... on Interaction {
        occurredAt campaign
        touchpoint { key name channel }
        contact { email account { name } }
        account { name }
      }
      ... on MilestoneAchievement {
        value
        milestone { key isConversion }
        contact { email }
      }
    }
  }
  pageInfo { hasNextPage endCursor }
"""


def many_events(account, count: int):
    contact = ContactFactory(account=account)
    touchpoints = [TouchpointFactory(workspace=account.workspace) for _ in range(3)]
    milestones = [MilestoneFactory(workspace=account.workspace) for _ in range(3)]
    for n in range(count):
        touch(account, n, touchpoints[n % 3], contact=contact)
        reach(account, n + 0.5, milestones[n % 3], contact=contact if n % 2 else None)
    return contact


# Session, user and membership lookups; the account (or contact); then per kind: its page,
# and one scoped prefetch per selected relation. Interactions: touchpoint, contact, the
# contact's account, account; achievements: milestone, contact; feedback: its page (empty,
# so nothing to prefetch).
EXPECTED_QUERIES = 3 + 1 + (1 + 4) + (1 + 2) + 1


@pytest.mark.parametrize("size", [5, 50])
def test_account_page_costs_the_same_whatever_its_size(viewer, account, size):
    many_events(account, 60)
    query = (
        "query($id: ID!, $first: Int!) { account(id: $id) { name"
        f" timeline(first: $first) {{ {DEEP_ENTRY} }} }} }}"
    )
    with CaptureQueriesContext(connection) as captured:
        data = viewer(query, {"id": gid(account), "first": size}).data
    edges = data["account"]["timeline"]["edges"]
    assert len(edges) == size
    assert all(edge["node"] for edge in edges)
    assert len(captured.captured_queries) == EXPECTED_QUERIES, [
        q["sql"] for q in captured.captured_queries
    ]
    cursor = data["account"]["timeline"]["pageInfo"]["endCursor"]
    next_query = query.replace("timeline(first: $first)", "timeline(first: $first, after: $c)")
    next_query = next_query.replace("$first: Int!)", "$first: Int!, $c: String)")
    with CaptureQueriesContext(connection) as captured:
        viewer(next_query, {"id": gid(account), "first": size, "c": cursor}).data  # noqa: B018
    assert len(captured.captured_queries) == EXPECTED_QUERIES


@pytest.mark.parametrize("size", [5, 50])
def test_contact_page_costs_the_same_whatever_its_size(viewer, account, size):
    contact = many_events(account, 60)
    query = (
        "query($id: ID!, $first: Int!) { contact(id: $id) { email"
        f" timeline(first: $first) {{ {DEEP_ENTRY} }} }} }}"
    )
    with CaptureQueriesContext(connection) as captured:
        data = viewer(query, {"id": gid(contact), "first": size}).data
    assert len(data["contact"]["timeline"]["edges"]) == size
    assert len(captured.captured_queries) == EXPECTED_QUERIES


def test_named_fragments_and_aliases_are_optimized_too(viewer, account):
    many_events(account, 30)
    query = """
    query($id: ID!) { account(id: $id) { timeline(first: 20) { ...Page } } }
    fragment Page on TimelineConnection {
      entries: edges { item: node { ...Touch ...Reached } }
      pageInfo { endCursor }
    }
    fragment Touch on Interaction { where: touchpoint { key } contact { email } }
    fragment Reached on MilestoneAchievement { milestone { key } }
    """
    with CaptureQueriesContext(connection) as captured:
        data = viewer(query, {"id": gid(account)}).data
    items = [entry["item"] for entry in data["account"]["timeline"]["entries"]]
    assert len(items) == 20
    assert all(item.get("where") or item.get("milestone") for item in items)
    # auth, account, interactions + touchpoints + contacts, achievements + milestones,
    # feedback responses
    assert len(captured.captured_queries) == 3 + 1 + 3 + 2 + 1


def test_a_page_without_nodes_reads_only_the_positions(viewer, account):
    many_events(account, 10)
    query = (
        "query($id: ID!) { account(id: $id) { timeline(first: 5)"
        " { edges { cursor } pageInfo { hasNextPage } } } }"
    )
    with CaptureQueriesContext(connection) as captured:
        data = viewer(query, {"id": gid(account)}).data
    assert len(data["account"]["timeline"]["edges"]) == 5
    assert len(captured.captured_queries) == 3 + 1 + 3
    event_queries = [q["sql"] for q in captured.captured_queries[-3:]]
    assert all("properties" not in sql for sql in event_queries)  # only() what is needed


# Access --------------------------------------------------------------------------------


def test_another_workspaces_member_cannot_reach_the_account(outsider, account, history):
    assert outsider(ACCOUNT_TIMELINE, {"id": gid(account)}).data == {"account": None}
    contact = ContactFactory(account=account)
    assert outsider(CONTACT_TIMELINE, {"id": gid(contact)}).data == {"contact": None}


def test_tokens_need_accounts_read(workspace, account, history):
    lacking = token_client(workspace, [s for s in Scope if s is not Scope.ACCOUNTS_READ])
    result = lacking(ACCOUNT_TIMELINE, {"id": gid(account)})
    assert result.body["data"] == {"account": None}
    assert result.errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert result.errors[0]["extensions"]["requiredScope"] == "accounts:read"
    reader = token_client(workspace, [Scope.ACCOUNTS_READ, Scope.JOURNEYS_READ])
    assert ids(reader(ACCOUNT_TIMELINE, {"id": gid(account)}).data) == [
        history[name] for name in NEWEST
    ]


def test_activity_readers_see_the_touchpoints_and_milestones_it_names(workspace, account, history):
    reader = token_client(workspace, [Scope.ACCOUNTS_READ])
    query = (
        "query($id: ID!) { account(id: $id) { timeline(first: 10) { edges { node {"
        " ... on Interaction { touchpoint { key } }"
        " ... on MilestoneAchievement { milestone { key } } } } } } }"
    )
    edges = reader(query, {"id": gid(account)}).data["account"]["timeline"]["edges"]
    assert len(edges) == len(NEWEST)
    assert all(edge["node"] for edge in edges)
    # The catalogue itself stays behind journeys:read.
    assert reader("{ touchpoints { totalCount } }").errors[0]["extensions"]["code"] == "FORBIDDEN"


def test_timeline_through_node_is_scoped_too(viewer, outsider, account, history):
    query = (
        "query($id: ID!) { node(id: $id) { ... on Account { timeline(first: 2) { edges"
        " { node { __typename } } } } } }"
    )
    assert len(viewer(query, {"id": gid(account)}).data["node"]["timeline"]["edges"]) == 2
    assert outsider(query, {"id": gid(account)}).data == {"node": None}


def test_filters_as_a_selector(account, workspace):
    web = TouchpointFactory(workspace=workspace, channel=Channel.WEB)
    kept = touch(account, 1, web)
    touch(account, 2)
    reach(account, 3)
    page = account_timeline(
        workspace=workspace,
        account=account,
        first=10,
        filters=TimelineFilters(channels=frozenset({Channel.WEB}), touchpoint_ids=frozenset()),
    )
    # The factory's touchpoints are web too: both interactions, no achievement.
    assert [entry.kind for entry in page.entries] == [EntryKind.INTERACTION] * 2
    page = account_timeline(
        workspace=workspace,
        account=account,
        first=10,
        filters=TimelineFilters(touchpoint_ids=frozenset({web.pk})),
    )
    assert [entry.event for entry in page.entries] == [kept]
