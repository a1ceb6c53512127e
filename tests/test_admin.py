"""The Django admin: changelists, search, actions, ordering and workspace scoping."""

import json

import pytest
from django import forms
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from journeys.models import JourneyMap, Persona, Stage, StageMilestone, StageTouchpoint
from tests.admin_helpers import messages_of, staff_client, url
from tests.factories import (
    JourneyMapFactory,
    MembershipFactory,
    MilestoneFactory,
    PersonaFactory,
    StageFactory,
    StageMilestoneFactory,
    StageTouchpointFactory,
    TouchpointFactory,
    UserFactory,
    WorkspaceFactory,
)
from tests.graphql_helpers import gid
from workspaces.models import AuditEvent, Role

SCOPED_APPS = {"workspaces", "journeys"}


def inline_errors(response) -> str:
    return " ".join(
        str(error)
        for inline in response.context["inline_admin_formsets"]
        for error in [*inline.formset.errors, inline.formset.non_form_errors()]
    )


def _field_value(field: forms.Field, bound) -> str | None:
    value = bound.value()
    if isinstance(field.widget, forms.CheckboxInput):
        return "on" if value else None
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def form_data(response) -> dict[str, str]:
    """The POST body the admin change page would send back unchanged."""
    data: dict[str, str] = {}

    def add(form: forms.BaseForm) -> None:
        for name, field in form.fields.items():
            value = _field_value(field, form[name])
            if value is not None:
                data[form.add_prefix(name)] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def make_map(workspace, *, stages: int = 2, placements: int = 2, **kwargs) -> JourneyMap:
    journey_map = JourneyMapFactory(workspace=workspace, **kwargs)
    for position in range(1, stages + 1):
        stage = StageFactory(journey_map=journey_map, position=position)
        for slot in range(1, placements + 1):
            StageTouchpointFactory(stage=stage, position=slot)
        StageMilestoneFactory(stage=stage)
    return journey_map


def populate(workspace, count: int) -> None:
    """`count` rows of every admin-registered model in the workspace."""
    for _ in range(count):
        make_map(workspace)
        MembershipFactory(workspace=workspace)
        WorkspaceFactory()


# Changelists --------------------------------------------------------------------------


REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label in SCOPED_APPS),
    key=lambda model: model._meta.label,
)
# Admins with rules of their own, tested in their own suites: API tokens
# (tests/test_token_admin.py) and the read-only audit log, for workspace admins only
# (tests/test_audit.py).
# Map versions are read-only snapshots (tests/test_map_versions.py).
OWN_SUITES = {"workspaces.ApiToken", "workspaces.AuditEvent", "journeys.JourneyMapVersion"}
EDITABLE = [model for model in REGISTERED if model._meta.label not in OWN_SUITES]


def test_every_domain_model_is_registered():
    assert {model._meta.label for model in REGISTERED} == {
        "workspaces.Workspace",
        "workspaces.Membership",
        "workspaces.ApiToken",
        "workspaces.AuditEvent",
        "journeys.Persona",
        "journeys.Touchpoint",
        "journeys.Milestone",
        "journeys.JourneyMap",
        "journeys.Stage",
        "journeys.JourneyMapVersion",
    }


@pytest.mark.parametrize("model", EDITABLE, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("who", ["superuser", "editor"])
def test_changelist_queries_do_not_grow_with_rows(
    model, who, admin_client, workspace, django_assert_max_num_queries
):
    client = admin_client if who == "superuser" else staff_client(workspace, Role.EDITOR, "ed")

    populate(workspace, 2)
    with django_assert_max_num_queries(15) as few:
        response = client.get(url(model))
    assert response.status_code == 200

    populate(workspace, 6)
    with django_assert_max_num_queries(15) as many:
        response = client.get(url(model))
    assert response.status_code == 200
    assert len(many) == len(few), [query["sql"] for query in many.captured_queries]


@pytest.mark.parametrize("model", EDITABLE, ids=lambda model: model._meta.label)
def test_add_and_change_pages_load(model, admin_client, workspace):
    make_map(workspace)
    MembershipFactory(workspace=workspace)
    assert admin_client.get(url(model, "add")).status_code == 200
    obj = model._default_manager.first()
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200


def test_search_touchpoints_by_name_and_key(admin_client, workspace):
    TouchpointFactory(workspace=workspace, name="Pricing page", key="pricing")
    TouchpointFactory(workspace=workspace, name="Webinar", key="spring-webinar")

    by_name = admin_client.get(url(StageTouchpoint.touchpoint.field.related_model), {"q": "pric"})
    assert [row.key for row in by_name.context["cl"].result_list] == ["pricing"]

    by_key = admin_client.get(url(StageTouchpoint.touchpoint.field.related_model), {"q": "spring"})
    assert [row.key for row in by_key.context["cl"].result_list] == ["spring-webinar"]


def test_search_workspaces_by_slug_and_maps_by_persona(admin_client, workspace, other_workspace):
    response = admin_client.get(url(workspace.__class__), {"q": "glob"})
    assert list(response.context["cl"].result_list) == [other_workspace]

    persona = PersonaFactory(workspace=workspace, name="Head of RevOps")
    wanted = JourneyMapFactory(workspace=workspace, persona=persona)
    JourneyMapFactory(workspace=workspace)
    response = admin_client.get(url(JourneyMap), {"q": "revops"})
    assert list(response.context["cl"].result_list) == [wanted]


# Actions ------------------------------------------------------------------------------


def run_action(client, action: str, maps, follow: bool = True):
    return client.post(
        url(JourneyMap),
        {"action": action, "_selected_action": [journey_map.pk for journey_map in maps]},
        follow=follow,
    )


def test_duplicate_action_copies_stages_and_placements(admin_client, workspace):
    original = make_map(workspace, stages=3, placements=2)

    response = run_action(admin_client, "duplicate_maps", [original])

    assert response.status_code == 200
    copy = JourneyMap.objects.get(duplicated_from=original)
    assert copy.status == JourneyMap.Status.DRAFT
    assert copy.created_by.username == "admin"
    assert list(copy.stages.values_list("position", "name")) == list(
        original.stages.values_list("position", "name")
    )
    assert StageTouchpoint.objects.filter(stage__journey_map=copy).count() == 6
    assert StageMilestone.objects.filter(journey_map=copy).count() == 3
    assert "1 map(s) duplicated." in messages_of(response)


def test_publish_action_reports_refusals_as_messages(admin_client, workspace):
    empty = JourneyMapFactory(workspace=workspace, name="Empty map")
    ready = make_map(workspace, name="Ready map")

    response = run_action(admin_client, "publish_maps", [empty, ready])

    assert response.status_code == 200
    assert "Empty map: A journey map needs at least one stage." in messages_of(response)
    assert "1 map(s) published." in messages_of(response)
    empty.refresh_from_db()
    ready.refresh_from_db()
    assert empty.status == JourneyMap.Status.DRAFT
    assert ready.status == JourneyMap.Status.PUBLISHED


def test_archive_action_and_archived_map_is_read_only(admin_client, workspace):
    journey_map = make_map(workspace)

    run_action(admin_client, "archive_maps", [journey_map])
    journey_map.refresh_from_db()
    assert journey_map.status == JourneyMap.Status.ARCHIVED

    page = admin_client.get(url(JourneyMap, "change", journey_map.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert admin_client.post(url(JourneyMap, "change", journey_map.pk), {}).status_code == 403

    again = run_action(admin_client, "archive_maps", [journey_map])
    assert any("already archived" in message for message in messages_of(again))


def test_published_map_cannot_be_deleted_from_admin(admin_client, workspace):
    journey_map = make_map(workspace, status=JourneyMap.Status.PUBLISHED)
    response = admin_client.post(url(JourneyMap, "delete", journey_map.pk), {"post": "yes"})
    assert response.status_code == 403
    assert JourneyMap.objects.filter(pk=journey_map.pk).exists()


def test_service_refusal_on_delete_becomes_a_message(admin_client, workspace):
    journey_map = make_map(workspace, status=JourneyMap.Status.ARCHIVED)
    stage = journey_map.stages.first()

    response = admin_client.post(url(Stage, "delete", stage.pk), {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert "This journey map is archived; duplicate it to make changes." in messages_of(response)
    assert Stage.objects.filter(pk=stage.pk).exists()


def test_bulk_delete_of_stages_closes_gaps(admin_client, workspace):
    journey_map = make_map(workspace, stages=4, placements=0)
    doomed = list(journey_map.stages.filter(position__in=[1, 3]))

    response = admin_client.post(
        url(Stage),
        {"action": "delete_selected", "_selected_action": [s.pk for s in doomed], "post": "yes"},
    )

    assert response.status_code == 302
    assert list(journey_map.stages.values_list("position", flat=True)) == [1, 2]


# Ordering -----------------------------------------------------------------------------


def test_swapping_two_stages_in_the_inline_formset(admin_client, workspace):
    journey_map = make_map(workspace, stages=3, placements=0)
    first, second, third = journey_map.stages.order_by("position")
    page = admin_client.get(url(JourneyMap, "change", journey_map.pk))
    data = form_data(page)
    assert data["stages-0-id"] == str(first.pk)
    data["stages-0-position"], data["stages-1-position"] = "2", "1"

    response = admin_client.post(url(JourneyMap, "change", journey_map.pk), data)

    assert response.status_code == 302, response.context["errors"]
    assert list(journey_map.stages.order_by("position").values_list("pk", flat=True)) == [
        second.pk,
        first.pk,
        third.pk,
    ]


def test_stage_formset_edits_deletes_adds_and_renumbers(admin_client, workspace):
    journey_map = make_map(workspace, stages=3, placements=0)
    first, second, third = journey_map.stages.order_by("position")
    data = form_data(admin_client.get(url(JourneyMap, "change", journey_map.pk)))
    data["stages-0-DELETE"] = "on"  # first goes
    data["stages-1-name"] = "Renamed"
    data["stages-2-position"] = "1"  # third moves to the front
    data["stages-3-name"] = "Brand new"  # the extra form, position left blank: last

    response = admin_client.post(url(JourneyMap, "change", journey_map.pk), data)

    assert response.status_code == 302, response.context["errors"]
    rows = list(journey_map.stages.order_by("position").values_list("position", "pk", "name"))
    assert rows[:2] == [(1, third.pk, third.name), (2, second.pk, "Renamed")]
    assert (rows[2][0], rows[2][2]) == (3, "Brand new")
    assert not Stage.objects.filter(pk=first.pk).exists()


def test_new_map_with_stages_in_one_save(admin_client, workspace):
    persona = PersonaFactory(workspace=workspace)
    data = form_data(admin_client.get(url(JourneyMap, "add")))
    data.update(
        {
            "workspace": str(workspace.pk),
            "persona": str(persona.pk),
            "name": "Fresh map",
            "stages-0-name": "Awareness",
        }
    )

    response = admin_client.post(url(JourneyMap, "add"), data)

    assert response.status_code == 302, response.context["errors"]
    journey_map = JourneyMap.objects.get(name="Fresh map")
    assert journey_map.created_by.username == "admin"
    assert list(journey_map.stages.values_list("position", "name")) == [(1, "Awareness")]


def test_swapping_touchpoint_placements_and_adding_an_exit_milestone(admin_client, workspace):
    journey_map = make_map(workspace, stages=1, placements=2)
    stage = journey_map.stages.get()
    first, second = stage.touchpoint_placements.order_by("position")
    milestone = MilestoneFactory(workspace=workspace)
    data = form_data(admin_client.get(url(Stage, "change", stage.pk)))
    data["touchpoint_placements-0-position"] = "2"
    data["touchpoint_placements-1-position"] = "1"
    data["touchpoint_placements-0-notes"] = "Now second"
    data["milestone_placements-1-milestone"] = str(milestone.pk)

    response = admin_client.post(url(Stage, "change", stage.pk), data)

    assert response.status_code == 302, response.context["errors"]
    rows = list(stage.touchpoint_placements.values_list("touchpoint_id", "position", "notes"))
    assert rows == [(second.touchpoint_id, 1, ""), (first.touchpoint_id, 2, "Now second")]
    added = StageMilestone.objects.get(stage=stage, milestone=milestone)
    assert added.journey_map_id == journey_map.pk
    assert added.workspace_id == workspace.pk


def test_milestone_exiting_another_stage_is_a_form_error(admin_client, workspace):
    journey_map = make_map(workspace, stages=2, placements=0)
    first, second = journey_map.stages.order_by("position")
    taken = StageMilestone.objects.get(stage=first).milestone
    data = form_data(admin_client.get(url(Stage, "change", second.pk)))
    data["milestone_placements-1-milestone"] = str(taken.pk)

    response = admin_client.post(url(Stage, "change", second.pk), data)

    assert response.status_code == 200
    assert "already exists in this journey map" in inline_errors(response)
    assert not StageMilestone.objects.filter(stage=second, milestone=taken).exists()


def test_touchpoint_of_another_workspace_is_a_form_error(admin_client, workspace, other_workspace):
    stage = make_map(workspace, stages=1, placements=0).stages.get()
    foreign = TouchpointFactory(workspace=other_workspace)
    data = form_data(admin_client.get(url(Stage, "change", stage.pk)))
    data["touchpoint_placements-0-touchpoint"] = str(foreign.pk)

    response = admin_client.post(url(Stage, "change", stage.pk), data)

    assert response.status_code == 200
    assert "Touchpoint not found." in inline_errors(response)
    assert not stage.touchpoint_placements.exists()


def test_adding_a_stage_in_the_middle_shifts_the_rest(admin_client, workspace):
    journey_map = make_map(workspace, stages=2, placements=0)
    data = form_data(admin_client.get(url(Stage, "add")))
    data.update({"journey_map": str(journey_map.pk), "position": "1", "name": "New first"})

    response = admin_client.post(url(Stage, "add"), data)

    assert response.status_code == 302, response.context["errors"]
    assert list(journey_map.stages.values_list("position", flat=True)) == [1, 2, 3]
    assert journey_map.stages.get(position=1).name == "New first"


def test_duplicate_key_on_change_is_a_form_error(admin_client, workspace):
    TouchpointFactory(workspace=workspace, key="pricing")
    demo = TouchpointFactory(workspace=workspace, key="demo")
    touchpoint_model = StageTouchpoint.touchpoint.field.related_model
    data = form_data(admin_client.get(url(touchpoint_model, "change", demo.pk)))
    data["key"] = "pricing"

    response = admin_client.post(url(touchpoint_model, "change", demo.pk), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["key"] == [
        "Touchpoint with this key already exists in this workspace."
    ]


def test_published_map_change_page_is_read_only(admin_client, workspace):
    published = make_map(workspace, status=JourneyMap.Status.PUBLISHED)
    page = admin_client.get(url(JourneyMap, "change", published.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]

    data = form_data(admin_client.get(url(JourneyMap, "change", make_map(workspace).pk)))
    data["name"] = "Changed in place"
    assert admin_client.post(url(JourneyMap, "change", published.pk), data).status_code == 403
    published.refresh_from_db()
    assert published.name != "Changed in place"


# Tenancy ------------------------------------------------------------------------------


@pytest.fixture
def editor_a(workspace):
    return staff_client(workspace, Role.EDITOR, "editor-a")


def test_staff_sees_only_their_workspace(editor_a, workspace, other_workspace):
    mine = JourneyMapFactory(workspace=workspace)
    theirs = JourneyMapFactory(workspace=other_workspace)

    listed = editor_a.get(url(JourneyMap)).context["cl"].result_list
    assert list(listed) == [mine]
    assert list(editor_a.get(url(workspace.__class__)).context["cl"].result_list) == [workspace]

    response = editor_a.get(url(JourneyMap, "change", theirs.pk))
    assert response.status_code in (302, 404)
    assert editor_a.get(url(Stage, "change", StageFactory(journey_map=theirs).pk)).status_code in (
        302,
        404,
    )
    response = editor_a.post(url(JourneyMap, "delete", theirs.pk), {"post": "yes"})
    assert response.status_code in (302, 404)
    assert JourneyMap.objects.filter(pk=theirs.pk).exists()


def test_staff_cannot_pick_another_workspaces_persona(editor_a, workspace, other_workspace):
    mine = PersonaFactory(workspace=workspace, name="Buyer A")
    theirs = PersonaFactory(workspace=other_workspace, name="Buyer B")

    found = editor_a.get(
        reverse("admin:autocomplete"),
        {"app_label": "journeys", "model_name": "journeymap", "field_name": "persona"},
    ).json()
    assert [row["id"] for row in found["results"]] == [str(mine.pk)]

    page = editor_a.get(url(JourneyMap, "add"))
    assert page.context["adminform"].form.initial["workspace"] == workspace.pk
    data = form_data(page)
    data.update({"persona": str(theirs.pk), "name": "Sneaky"})
    response = editor_a.post(url(JourneyMap, "add"), data)

    assert response.status_code == 200
    assert "persona" in response.context["adminform"].form.errors
    assert not JourneyMap.objects.filter(name="Sneaky").exists()


def test_staff_cannot_put_rows_into_another_workspace(editor_a, other_workspace):
    response = editor_a.post(
        url(StageTouchpoint.touchpoint.field.related_model, "add"),
        {
            "workspace": str(other_workspace.pk),
            "key": "sneaky",
            "name": "Sneaky",
            "channel": "web",
            "phase": "purchase",
        },
    )
    assert response.status_code == 200
    assert "workspace" in response.context["adminform"].form.errors


def test_superuser_cross_workspace_persona_is_a_form_error(
    admin_client, workspace, other_workspace
):
    theirs = PersonaFactory(workspace=other_workspace)
    data = form_data(admin_client.get(url(JourneyMap, "add")))
    data.update({"workspace": str(workspace.pk), "persona": str(theirs.pk), "name": "Mixed"})

    response = admin_client.post(url(JourneyMap, "add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["persona"] == ["Persona not found."]


def test_viewer_can_look_but_not_touch(workspace):
    viewer = staff_client(workspace, Role.VIEWER, "viewer-a")
    journey_map = make_map(workspace)

    assert viewer.get(url(JourneyMap)).status_code == 200
    page = viewer.get(url(JourneyMap, "change", journey_map.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert viewer.post(url(JourneyMap, "change", journey_map.pk), {}).status_code == 403
    assert viewer.get(url(JourneyMap, "add")).status_code == 403
    response = run_action(viewer, "archive_maps", [journey_map], follow=False)
    journey_map.refresh_from_db()
    assert journey_map.status == JourneyMap.Status.DRAFT
    assert response.status_code in (200, 302)


def test_workspaces_and_memberships_are_read_only_for_staff(editor_a, workspace):
    assert editor_a.get(url(workspace.__class__, "add")).status_code == 403
    page = editor_a.get(url(workspace.__class__, "change", workspace.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]


def test_staff_without_membership_sees_nothing(workspace):
    user = UserFactory(username="drifter", is_staff=True)
    client = Client()
    client.force_login(user)
    JourneyMapFactory(workspace=workspace)
    assert client.get(url(JourneyMap)).status_code == 403


def audit_trail(workspace) -> list[tuple[str, str, list[str]]]:
    events = AuditEvent.objects.filter(workspace=workspace).order_by("id")
    return [(event.operation, event.source, event.object_ids) for event in events]


def test_admin_edits_and_actions_land_in_the_audit_log(workspace):
    client = staff_client(workspace, Role.EDITOR, "auditor")
    persona = PersonaFactory(workspace=workspace, name="Before")
    ready = make_map(workspace, name="Ready map")

    data = form_data(client.get(url(Persona, "change", persona.pk)))
    data["name"] = "After"
    response = client.post(url(Persona, "change", persona.pk), data)
    assert response.status_code == 302, response.context["errors"]
    run_action(client, "publish_maps", [ready])

    assert audit_trail(workspace) == [
        ("personaUpdate", "admin", [gid(persona)]),
        ("journeyMapPublish", "admin", [gid(ready)]),
    ]
    assert AuditEvent.objects.get(operation="personaUpdate").actor == "user auditor"
