"""The audit log: what every mutation records, that it records nothing else, and who reads it."""

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
import strawberry
import strawberry_django
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from strawberry import auto, relay

from config.schema import schema
from journeys import services as journey_services
from journeys.graphql.mutations import JourneysMutation
from journeys.models import JourneyMap, Persona
from tests.admin_helpers import staff_client
from tests.conftest import token_client
from tests.factories import (
    JourneyMapFactory,
    MembershipFactory,
    MilestoneFactory,
    PersonaFactory,
    StageFactory,
    TouchpointFactory,
    UserFactory,
)
from tests.graphql_helpers import gid, messages, run
from workspaces.access import Access, Scope
from workspaces.audit import audit_record
from workspaces.graphql import audit_extension
from workspaces.graphql.audit_extension import AuditLogExtension
from workspaces.graphql.permissions import RequireAccess, requires
from workspaces.models import ApiToken, AuditEvent, Role

pytestmark = pytest.mark.django_db

ID_ARG = {"arg": "id", "arg_type": "ID!"}
SESSION_MUTATIONS = {"login", "logout"}
BACKREF = audit_extension.BACKREF


# Every journey mutation, by session --------------------------------------------------


def _map_with_stages(workspace, count: int = 1) -> JourneyMap:
    journey_map = JourneyMapFactory(workspace=workspace)
    for position in range(1, count + 1):
        StageFactory(journey_map=journey_map, position=position)
    return journey_map


def _stage(workspace):
    return _map_with_stages(workspace).stages.get()


# name -> (result type, how to build the argument in a workspace, extra `run` arguments)
JOURNEY_MUTATIONS = {
    "personaCreate": ("Persona", lambda ws: {"key": "revops", "name": "RevOps"}, {}),
    "personaUpdate": (
        "Persona",
        lambda ws: {"id": gid(PersonaFactory(workspace=ws)), "name": "Renamed"},
        {},
    ),
    "personaDelete": ("Deleted", lambda ws: gid(PersonaFactory(workspace=ws)), ID_ARG),
    "touchpointCreate": (
        "Touchpoint",
        lambda ws: {"key": "demo", "name": "Demo", "channel": "WEBINAR", "phase": "PURCHASE"},
        {},
    ),
    "touchpointUpdate": (
        "Touchpoint",
        lambda ws: {"id": gid(TouchpointFactory(workspace=ws)), "name": "Renamed"},
        {},
    ),
    "touchpointDelete": ("Deleted", lambda ws: gid(TouchpointFactory(workspace=ws)), ID_ARG),
    "milestoneCreate": ("Milestone", lambda ws: {"key": "won", "name": "Deal won"}, {}),
    "milestoneUpdate": (
        "Milestone",
        lambda ws: {"id": gid(MilestoneFactory(workspace=ws)), "name": "Renamed"},
        {},
    ),
    "milestoneDelete": ("Deleted", lambda ws: gid(MilestoneFactory(workspace=ws)), ID_ARG),
    "journeyMapCreate": (
        "JourneyMap",
        lambda ws: {"name": "Onboarding", "persona": gid(PersonaFactory(workspace=ws))},
        {},
    ),
    "journeyMapUpdate": (
        "JourneyMap",
        lambda ws: {"id": gid(JourneyMapFactory(workspace=ws)), "name": "Renamed"},
        {},
    ),
    "journeyMapDelete": ("Deleted", lambda ws: gid(JourneyMapFactory(workspace=ws)), ID_ARG),
    "journeyMapPublish": ("JourneyMap", lambda ws: gid(_map_with_stages(ws)), ID_ARG),
    "journeyMapDraftFromPublished": (
        "JourneyMap",
        lambda ws: gid(journey_services.journey_map_publish(journey_map=_map_with_stages(ws))),
        ID_ARG,
    ),
    "journeyMapArchive": ("JourneyMap", lambda ws: gid(JourneyMapFactory(workspace=ws)), ID_ARG),
    "journeyMapDuplicate": (
        "JourneyMap",
        lambda ws: {"id": gid(_map_with_stages(ws, 2))},
        {},
    ),
    "stageCreate": (
        "Stage",
        lambda ws: {"journeyMap": gid(JourneyMapFactory(workspace=ws)), "name": "Aware"},
        {},
    ),
    "stageUpdate": ("Stage", lambda ws: {"id": gid(_stage(ws)), "name": "Renamed"}, {}),
    "stageDelete": ("Deleted", lambda ws: gid(_stage(ws)), ID_ARG),
    "stageMove": (
        "Stage",
        lambda ws: {"id": gid(_map_with_stages(ws, 2).stages.get(position=1)), "position": 2},
        {},
    ),
    "stageTouchpointsSet": (
        "Stage",
        lambda ws: {
            "id": gid(_stage(ws)),
            "touchpoints": [{"touchpoint": gid(TouchpointFactory(workspace=ws))}],
        },
        {},
    ),
    "stageMilestonesSet": (
        "Stage",
        lambda ws: {"id": gid(_stage(ws)), "milestones": [gid(MilestoneFactory(workspace=ws))]},
        {},
    ),
}


def _root_fields(kind: str) -> dict:
    root = schema._schema.mutation_type if kind == "mutation" else schema._schema.query_type
    return root.fields


def test_the_table_covers_every_journey_mutation():
    journey_mutations = {
        schema.config.name_converter.get_graphql_name(field)
        for field in JourneysMutation.__strawberry_definition__.fields
    }
    assert set(JOURNEY_MUTATIONS) == journey_mutations


def test_every_mutation_but_login_and_logout_acts_in_a_workspace():
    """The extension records mutations that require access to a workspace: a new mutation
    without `requires(...)` would be neither gated nor audited."""
    ungated = {
        name
        for name, field in _root_fields("mutation").items()
        if not any(isinstance(ext, RequireAccess) for ext in field.extensions[BACKREF].extensions)
    }
    assert ungated == SESSION_MUTATIONS


@pytest.mark.parametrize("name", sorted(JOURNEY_MUTATIONS))
def test_each_journey_mutation_records_one_event(name, editor, workspace):
    result_type, build, kwargs = JOURNEY_MUTATIONS[name]
    value = build(workspace)
    AuditEvent.objects.all().delete()  # only what the mutation itself records

    payload = run(editor, name, result_type, "id", value, **kwargs)

    assert payload["__typename"] == result_type, payload
    event = AuditEvent.objects.get()
    assert event.operation == name
    assert event.source == AuditEvent.Source.GRAPHQL
    assert event.workspace == workspace
    assert event.object_ids == [payload["id"]]
    assert (event.user, event.token, event.actor) == (editor.user, None, "user editor")


def test_object_ids_are_global_ids_under_the_graphql_type_name(editor, workspace):
    payload = run(editor, "personaCreate", "Persona", "id", {"key": "cfo", "name": "CFO"})
    persona = Persona.objects.get(key="cfo")
    assert payload["id"] == relay.to_base64("Persona", persona.pk)
    assert AuditEvent.objects.get().object_ids == [relay.to_base64("Persona", persona.pk)]


def test_deleted_row_is_named_by_the_id_the_mutation_returned(editor, workspace):
    persona = PersonaFactory(workspace=workspace)
    run(editor, "personaDelete", "Deleted", "id", gid(persona), **ID_ARG)
    assert AuditEvent.objects.get().object_ids == [gid(persona)]


def test_token_mutation_names_the_token_and_its_creator(editor, workspace):
    integration = token_client(workspace, [Scope.JOURNEYS_WRITE], created_by=editor.user)

    value = {"key": "crm-sync", "name": "CRM sync", "channel": "WEBINAR", "phase": "PURCHASE"}
    payload = run(integration, "touchpointCreate", "Touchpoint", "id", value)

    event = AuditEvent.objects.get()
    token = integration.token
    assert (event.operation, event.object_ids) == ("touchpointCreate", [payload["id"]])
    assert (event.token, event.user) == (token, editor.user)
    assert event.actor == f"token integration ({token.prefix})"
    assert integration.plaintext not in _everything_recorded()


def test_operator_token_has_no_user(workspace):
    integration = token_client(workspace, [Scope.JOURNEYS_WRITE])
    run(integration, "milestoneCreate", "Milestone", "id", {"key": "won", "name": "Won"})
    event = AuditEvent.objects.get()
    assert (event.user, event.token) == (None, integration.token)


def test_every_root_mutation_of_a_request_is_recorded_separately(editor, workspace):
    query = (
        'mutation { a: personaCreate(input: {key: "a", name: "A"}) { __typename }'
        ' b: personaCreate(input: {key: "b", name: "B"}) { __typename } }'
    )
    assert editor(query).data == {"a": {"__typename": "Persona"}, "b": {"__typename": "Persona"}}
    assert [event.operation for event in AuditEvent.objects.order_by("id")] == [
        "personaCreate",
        "personaCreate",
    ]
    assert [len(event.object_ids) for event in AuditEvent.objects.all()] == [1, 1]


def test_login_and_logout_are_not_recorded(workspace, anonymous):
    user = UserFactory(username="someone")
    MembershipFactory(workspace=workspace, user=user, role=Role.ADMIN)
    login = 'mutation { login(username: "someone", password: "secret-pass") { username } }'
    assert anonymous(login).data["login"]["username"] == "someone"
    assert anonymous("mutation { logout }").data["logout"] is True
    assert not AuditEvent.objects.exists()


def test_queries_are_not_recorded(editor, workspace):
    PersonaFactory(workspace=workspace)
    editor("{ personas { totalCount } }")
    assert not AuditEvent.objects.exists()


# Failures leave nothing behind -----------------------------------------------------------


def test_failed_mutation_records_nothing(editor, workspace):
    PersonaFactory(workspace=workspace, key="taken")
    payload = run(editor, "personaCreate", "Persona", "id", {"key": "taken", "name": "Again"})
    assert messages(payload) == [("key", "duplicate")]
    assert Persona.objects.count() == 1
    assert not AuditEvent.objects.exists()


def test_denied_mutation_records_nothing(viewer, workspace):
    result = viewer('mutation { personaCreate(input: {key: "k", name: "N"}) { __typename } }')
    assert result.errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert not Persona.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_refused_mutation_rolls_back_what_it_wrote_before_refusing(
    editor, workspace, monkeypatch
):
    persona = PersonaFactory(workspace=workspace, name="Original")

    def half_written(*, persona, **changes):
        Persona.objects.filter(pk=persona.pk).update(name="Half written")
        PersonaFactory(workspace=persona.workspace, key="stray")
        raise ValidationError({"name": ValidationError("Refused late.", code="invalid")})

    monkeypatch.setattr(journey_services, "persona_update", half_written)
    payload = run(editor, "personaUpdate", "Persona", "id", {"id": gid(persona), "name": "New"})

    assert messages(payload) == [("name", "invalid")]
    persona.refresh_from_db()
    assert persona.name == "Original"
    assert not Persona.objects.filter(key="stray").exists()
    assert not AuditEvent.objects.exists()


def test_mutation_rolls_back_when_its_audit_record_cannot_be_written(
    editor, workspace, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(audit_extension, "audit_record", broken)
    result = editor('mutation { personaCreate(input: {key: "k", name: "N"}) { __typename } }')

    assert result.errors
    assert result.body["data"] is None
    assert not Persona.objects.exists()
    assert not AuditEvent.objects.exists()


# Tokens: create, revoke, roll - and never a secret ------------------------------------------


def _everything_recorded() -> str:
    return json.dumps(list(AuditEvent.objects.values()), default=str)


CREATE = (
    'mutation { apiTokenCreate(input: {name: "crm", scopes: [JOURNEYS_READ]}) {'
    " __typename ... on IssuedApiToken { secret token { id prefix } } } }"
)
ROLL = (
    "mutation($id: ID!) { apiTokenRoll(input: {id: $id}) {"
    " __typename ... on IssuedApiToken { secret token { id } } } }"
)
REVOKE = "mutation($id: ID!) { apiTokenRevoke(id: $id) { __typename ... on ApiToken { id } } }"


def test_token_create_and_roll_are_recorded_without_the_secret(admin_member, workspace):
    created = admin_member(CREATE).data["apiTokenCreate"]
    token_id = created["token"]["id"]
    rolled = admin_member(ROLL, {"id": token_id}).data["apiTokenRoll"]
    revoked = admin_member(REVOKE, {"id": token_id}).data["apiTokenRevoke"]

    events = list(AuditEvent.objects.order_by("id"))
    assert [(event.operation, event.object_ids) for event in events] == [
        ("apiTokenCreate", [token_id]),
        ("apiTokenRoll", [token_id]),
        ("apiTokenRevoke", [revoked["id"]]),
    ]
    token = ApiToken.objects.get()
    assert token_id == gid(token)
    recorded = _everything_recorded()
    for secret in (created["secret"], rolled["secret"]):
        assert secret.startswith(token.prefix)
        assert secret not in recorded
        assert secret.removeprefix(token.prefix) not in recorded
        assert secret.rsplit("_", 1)[-1] not in recorded


def test_token_managing_tokens_is_named_by_its_prefix_only(admin_member, workspace):
    manager = token_client(
        workspace, [Scope.TOKENS_MANAGE, Scope.JOURNEYS_READ], created_by=admin_member.user
    )
    created = manager(CREATE).data["apiTokenCreate"]
    rolled = manager(ROLL, {"id": created["token"]["id"]}).data["apiTokenRoll"]

    events = list(AuditEvent.objects.order_by("id"))
    assert [event.actor for event in events] == [f"token integration ({manager.token.prefix})"] * 2
    assert all(event.user == admin_member.user for event in events)
    recorded = _everything_recorded()
    for secret in (manager.plaintext, created["secret"], rolled["secret"]):
        assert secret not in recorded
        assert secret.rsplit("_", 1)[-1] not in recorded


# Reading the log over GraphQL ---------------------------------------------------------------

AUDIT_EVENTS = """
query($filters: AuditEventFilter, $ordering: [AuditEventOrder!]! = []) {
  auditEvents(filters: $filters, ordering: $ordering) {
    totalCount
    edges { node { id createdAt operation source objectIds actor user tokenPrefix } }
  }
}
"""

NODE = "query($id: ID!) { node(id: $id) { id } }"


def _events(client, filters=None, ordering=None) -> list[dict]:
    variables = {"filters": filters} | ({"ordering": ordering} if ordering else {})
    result = client(AUDIT_EVENTS, variables)
    return [edge["node"] for edge in result.data["auditEvents"]["edges"]]


@pytest.fixture
def recorded(workspace, editor):
    """Three events of the workspace at known times: two by a user, one by a token."""
    integration = token_client(workspace, [Scope.JOURNEYS_WRITE], created_by=editor.user)
    now = timezone.now()
    rows = [
        audit_record(
            workspace=workspace,
            operation="personaCreate",
            source=AuditEvent.Source.GRAPHQL,
            object_ids=["UGVyc29uOjE="],
            user=editor.user,
        ),
        audit_record(
            workspace=workspace,
            operation="stageMove",
            source=AuditEvent.Source.ADMIN,
            user=editor.user,
        ),
        audit_record(
            workspace=workspace,
            operation="personaCreate",
            source=AuditEvent.Source.GRAPHQL,
            user=editor.user,
            token=integration.token,
        ),
    ]
    for age, row in zip((3, 2, 1), rows, strict=True):
        AuditEvent.objects.filter(pk=row.pk).update(created_at=now - timedelta(days=age))
        row.refresh_from_db()
    return SimpleNamespace(rows=rows, token=integration.token, now=now)


def test_admin_reads_the_log_newest_first(admin_member, recorded):
    first, second, third = recorded.rows
    events = _events(admin_member)
    assert [event["id"] for event in events] == [gid(third), gid(second), gid(first)]
    assert events[0] == {
        "id": gid(third),
        "createdAt": third.created_at.isoformat(),
        "operation": "personaCreate",
        "source": "GRAPHQL",
        "objectIds": [],
        "actor": f"token integration ({recorded.token.prefix})",
        "user": "editor",
        "tokenPrefix": recorded.token.prefix,
    }
    assert events[2]["objectIds"] == ["UGVyc29uOjE="]
    assert (events[2]["user"], events[2]["tokenPrefix"]) == ("editor", None)


def test_filters_and_ordering(admin_member, recorded):
    first, second, third = recorded.rows

    def ids(**kwargs) -> list[str]:
        return [event["id"] for event in _events(admin_member, **kwargs)]

    assert ids(filters={"operation": "personaCreate"}) == [gid(third), gid(first)]
    assert ids(filters={"operation": "persona"}) == []  # exact, not a search
    assert ids(filters={"source": "ADMIN"}) == [gid(second)]
    assert ids(filters={"actor": "INTEGRATION"}) == [gid(third)]
    assert ids(filters={"actor": recorded.token.prefix}) == [gid(third)]
    window = {
        "createdAfter": (recorded.now - timedelta(days=2)).isoformat(),
        "createdBefore": (recorded.now - timedelta(days=1)).isoformat(),
    }
    assert ids(filters=window) == [gid(second)]
    assert ids(ordering=[{"createdAt": "ASC"}]) == [gid(first), gid(second), gid(third)]


def test_reading_the_log_costs_the_same_for_few_and_many_events(
    admin_member, recorded, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10) as few:
        assert len(_events(admin_member)) == 3
    for row in recorded.rows:
        row.pk = None
        row.save()
    with django_assert_max_num_queries(10) as many:
        assert len(_events(admin_member)) == 6
    assert len(many) == len(few)


def test_the_log_is_for_workspace_admins(editor, viewer, recorded):
    for client in (editor, viewer):
        result = client(AUDIT_EVENTS)
        assert result.errors[0]["extensions"]["code"] == "FORBIDDEN"
        assert result.errors[0]["extensions"]["requiredScope"] == "tokens:manage"


def test_tokens_need_tokens_manage(workspace, admin_member, recorded):
    reader = token_client(workspace, list(set(Scope) - {Scope.TOKENS_MANAGE}), admin_member.user)
    result = reader(AUDIT_EVENTS)
    assert result.errors[0]["extensions"]["code"] == "FORBIDDEN"
    # Nor through node(id:): the type itself needs the scope.
    node = reader(NODE, {"id": gid(recorded.rows[0])})
    assert node.data["node"] is None

    manager = token_client(workspace, [Scope.TOKENS_MANAGE], admin_member.user)
    assert len(_events(manager)) == 3


def test_no_reading_across_workspaces(outsider, admin_member, recorded):
    assert _events(outsider) == []
    node = outsider(NODE, {"id": gid(recorded.rows[0])})
    assert node.data["node"] is None


# Object ids follow the schema's type names, not Python's ----------------------------------


@strawberry_django.type(Persona, name="Buyer")
class BuyerType(relay.Node):
    key: auto


@strawberry.type
class BuyersCreated:
    buyers: list[BuyerType]
    note: str


@strawberry.type
class _Query:
    ok: bool = True


@strawberry.type
class _Mutation:
    @strawberry_django.mutation(
        extensions=requires(Scope.JOURNEYS_WRITE), handle_django_errors=False
    )
    def buyers_create(self, info: strawberry.Info, keys: list[str]) -> list[BuyerType]:
        workspace = info.context.request.access.workspace
        return [PersonaFactory(workspace=workspace, key=key) for key in keys]

    @strawberry_django.mutation(extensions=requires(Scope.JOURNEYS_WRITE))
    def buyers_wrapped(self, info: strawberry.Info, keys: list[str]) -> BuyersCreated:
        workspace = info.context.request.access.workspace
        buyers = [PersonaFactory(workspace=workspace, key=key) for key in keys]
        return BuyersCreated(buyers=buyers, note="secret-looking text")


OTHER_SCHEMA = strawberry.Schema(query=_Query, mutation=_Mutation, extensions=[AuditLogExtension])


def _execute(query: str, workspace, user):
    request = RequestFactory().post("/graphql/")
    request.user = user
    request.access = Access(user=user, workspace=workspace, role=Role.EDITOR)
    result = OTHER_SCHEMA.execute_sync(query, context_value=SimpleNamespace(request=request))
    assert result.errors is None, result.errors
    return result.data


def test_lists_and_wrapped_nodes_are_named_by_their_graphql_type(workspace):
    user = UserFactory(username="writer")
    _execute('mutation { buyersCreate(keys: ["a", "b"]) { id } }', workspace, user)
    _execute('mutation { buyersWrapped(keys: ["c"]) { __typename } }', workspace, user)

    created, wrapped = AuditEvent.objects.order_by("id")
    by_key = {persona.key: persona.pk for persona in Persona.objects.all()}
    assert created.object_ids == [relay.to_base64("Buyer", by_key[key]) for key in ("a", "b")]
    assert wrapped.object_ids == [relay.to_base64("Buyer", by_key["c"])]
    assert "secret-looking" not in _everything_recorded()


# The admin ------------------------------------------------------------------------------


def _admin_url(view: str = "changelist", *args) -> str:
    return reverse(f"admin:workspaces_auditevent_{view}", args=args)


def test_admin_changelist_for_superuser(admin_client, recorded):
    response = admin_client.get(_admin_url(), {"q": "stageMove"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [recorded.rows[1]]
    response = admin_client.get(_admin_url(), {"q": recorded.token.prefix})
    assert list(response.context["cl"].result_list) == [recorded.rows[2]]
    model_admin = response.context["cl"].model_admin
    assert "delete_selected" not in model_admin.get_actions(response.wsgi_request)


def test_admin_is_read_only_even_for_superusers(admin_client, recorded):
    event = recorded.rows[0]
    assert admin_client.get(_admin_url("add")).status_code == 403
    page = admin_client.get(_admin_url("change", event.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert not page.context["has_delete_permission"]
    assert admin_client.post(_admin_url("change", event.pk), {"operation": "x"}).status_code == 403
    assert admin_client.post(_admin_url("delete", event.pk), {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.operation == "personaCreate"
    assert AuditEvent.objects.count() == 3


def test_admin_for_workspace_admins_only_and_only_their_workspace(
    workspace, other_workspace, recorded
):
    theirs = audit_record(
        workspace=other_workspace, operation="personaCreate", source=AuditEvent.Source.GRAPHQL
    )
    workspace_admin = staff_client(workspace, Role.ADMIN, "staff-admin")
    response = workspace_admin.get(_admin_url())
    assert response.status_code == 200
    assert set(response.context["cl"].result_list) == set(recorded.rows)
    assert workspace_admin.get(_admin_url("change", theirs.pk)).status_code in (302, 404)
    assert workspace_admin.get(_admin_url("add")).status_code == 403

    staff_editor = staff_client(workspace, Role.EDITOR, "staff-editor")
    assert staff_editor.get(_admin_url()).status_code == 403
    assert staff_editor.get(_admin_url("change", recorded.rows[0].pk)).status_code in (302, 403)


def test_admin_registered():
    assert AuditEvent in admin.site._registry


def test_admin_changelist_queries_do_not_grow_with_rows(
    workspace, editor, django_assert_max_num_queries
):
    workspace_admin = staff_client(workspace, Role.ADMIN, "staff-admin")

    def record(count: int) -> None:
        for _ in range(count):
            audit_record(
                workspace=workspace,
                operation="personaCreate",
                source=AuditEvent.Source.GRAPHQL,
                object_ids=["UGVyc29uOjE="],
                user=editor.user,
            )

    record(2)
    with django_assert_max_num_queries(15) as few:
        assert workspace_admin.get(_admin_url()).status_code == 200
    record(6)
    with django_assert_max_num_queries(15) as many:
        assert workspace_admin.get(_admin_url()).status_code == 200
    assert len(many) == len(few)
