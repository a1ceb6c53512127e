"""Services of the journey domain: every write, its rules and its error codes."""

import pytest
from django.core.exceptions import ValidationError

from journeys import services
from journeys.models import JourneyMap, Milestone, Persona, Stage, StageTouchpoint
from tests.factories import (
    JourneyMapFactory,
    MilestoneFactory,
    PersonaFactory,
    StageFactory,
    StageMilestoneFactory,
    TouchpointFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db


def error_codes(excinfo) -> dict[str, list[str]]:
    error = excinfo.value
    if hasattr(error, "error_dict"):
        return {field: [item.code for item in items] for field, items in error.error_dict.items()}
    return {"__all__": [item.code for item in error.error_list]}


def positions(journey_map) -> list[tuple[str, int]]:
    return list(journey_map.stages.order_by("position").values_list("name", "position"))


def make_stages(journey_map, *names):
    return [services.stage_create(journey_map=journey_map, name=name) for name in names]


# Catalogues ------------------------------------------------------------------------


def test_persona_create_stores_lists_and_firmographics(workspace):
    persona = services.persona_create(
        workspace=workspace,
        key="revops",
        name="Head of RevOps",
        seniority="director",
        goals=["One view of the funnel"],
        preferred_channels=["webinar", "email"],
    )
    persona.refresh_from_db()
    assert persona.workspace == workspace
    assert persona.goals == ["One view of the funnel"]
    assert persona.preferred_channels == ["webinar", "email"]


def test_persona_key_is_unique_per_workspace_only(workspace, other_workspace):
    services.persona_create(workspace=workspace, key="cfo", name="CFO")
    services.persona_create(workspace=other_workspace, key="cfo", name="CFO")
    with pytest.raises(ValidationError) as excinfo:
        services.persona_create(workspace=workspace, key="cfo", name="Another")
    assert error_codes(excinfo) == {"key": ["duplicate"]}
    assert Persona.objects.filter(workspace=workspace).count() == 1


@pytest.mark.parametrize(
    ("data", "field", "code"),
    [
        ({"key": "not a slug", "name": "X"}, "key", "invalid"),
        ({"key": "x", "name": ""}, "name", "blank"),
        ({"key": "x", "name": "X", "goals": "not a list"}, "goals", "invalid"),
        ({"key": "x", "name": "X", "goals": [""]}, "goals", "invalid"),
        (
            {"key": "x", "name": "X", "preferred_channels": ["fax"]},
            "preferred_channels",
            "invalid_choice",
        ),
        ({"key": "x", "name": "X", "seniority": "intern"}, "seniority", "invalid_choice"),
        ({"key": "x", "name": "X", "preferred_channels": 5}, "preferred_channels", "invalid"),
        ({"key": "x", "name": "X", "matching_rules": []}, "matching_rules", "invalid"),
    ],
)
def test_persona_create_rejects_bad_input(workspace, data, field, code):
    with pytest.raises(ValidationError) as excinfo:
        services.persona_create(workspace=workspace, **data)
    assert code in error_codes(excinfo)[field]
    assert not Persona.objects.exists()


def test_persona_update_refuses_unknown_fields(workspace):
    persona = PersonaFactory(workspace=workspace)
    with pytest.raises(ValidationError) as excinfo:
        services.persona_update(persona=persona, workspace=WorkspaceFactory())
    assert error_codes(excinfo) == {"workspace": ["read_only"]}


def test_persona_update_and_delete(workspace):
    persona = PersonaFactory(workspace=workspace, name="Old")
    services.persona_update(persona=persona, name="New", region="EMEA")
    persona.refresh_from_db()
    assert (persona.name, persona.region) == ("New", "EMEA")
    services.persona_delete(persona=persona)
    assert not Persona.objects.exists()


def test_persona_with_maps_cannot_be_deleted(workspace):
    journey_map = JourneyMapFactory(workspace=workspace)
    with pytest.raises(ValidationError) as excinfo:
        services.persona_delete(persona=journey_map.persona)
    assert error_codes(excinfo) == {"__all__": ["in_use"]}


def test_touchpoint_crud(workspace):
    touchpoint = services.touchpoint_create(
        workspace=workspace,
        key="pricing-page",
        name="Pricing page",
        channel="web",
        phase="pre_purchase",
    )
    services.touchpoint_update(touchpoint=touchpoint, owner_team="Marketing", is_online=True)
    touchpoint.refresh_from_db()
    assert touchpoint.owner_team == "Marketing"
    with pytest.raises(ValidationError) as excinfo:
        services.touchpoint_update(touchpoint=touchpoint, channel="carrier-pigeon")
    assert error_codes(excinfo) == {"channel": ["invalid_choice"]}


def test_touchpoint_delete_closes_gaps_in_stages(workspace):
    stage = StageFactory(journey_map__workspace=workspace)
    first, second, third = (TouchpointFactory(workspace=workspace) for _ in range(3))
    services.stage_touchpoints_set(
        stage=stage,
        placements=[services.TouchpointPlacement(touchpoint=t) for t in (first, second, third)],
    )
    services.touchpoint_delete(touchpoint=first)
    placed = list(StageTouchpoint.objects.filter(stage=stage).values_list("touchpoint", "position"))
    assert placed == [(second.pk, 1), (third.pk, 2)]


def test_milestone_rule_is_validated(workspace):
    TouchpointFactory(workspace=workspace, key="user-invited")
    milestone = services.milestone_create(
        workspace=workspace,
        key="five-users",
        name="Five users added",
        rule={"touchpoint": "user-invited", "min_count": 5, "within_days": 30},
    )
    assert milestone.rule["min_count"] == 5
    with pytest.raises(ValidationError) as excinfo:
        services.milestone_update(
            milestone=milestone, rule={"touchpoint": "nope", "min_count": 5, "within_days": 30}
        )
    assert error_codes(excinfo) == {"rule": ["not_found"]}
    with pytest.raises(ValidationError) as excinfo:
        services.milestone_update(
            milestone=milestone,
            rule={"touchpoint": "user-invited", "min_count": 0, "within_days": 30},
        )
    assert error_codes(excinfo) == {"rule": ["invalid"]}


def test_milestone_rule_touchpoint_must_be_in_the_same_workspace(workspace, other_workspace):
    TouchpointFactory(workspace=other_workspace, key="user-invited")
    with pytest.raises(ValidationError) as excinfo:
        services.milestone_create(
            workspace=workspace,
            key="m",
            name="M",
            rule={"touchpoint": "user-invited", "min_count": 1, "within_days": 1},
        )
    assert error_codes(excinfo) == {"rule": ["not_found"]}


def test_milestone_value_cannot_be_negative_and_delete_removes_placements(workspace):
    with pytest.raises(ValidationError) as excinfo:
        services.milestone_create(workspace=workspace, key="m", name="M", value=-1)
    assert error_codes(excinfo) == {"value": ["min_value"]}
    placement = StageMilestoneFactory(stage__journey_map__workspace=workspace)
    services.milestone_delete(milestone=placement.milestone)
    assert not Milestone.objects.exists()
    assert not placement.stage.exit_milestones.exists()


# Journey maps ----------------------------------------------------------------------


def test_journey_map_needs_a_persona_unless_template(workspace):
    with pytest.raises(ValidationError) as excinfo:
        services.journey_map_create(workspace=workspace, name="Map")
    assert error_codes(excinfo) == {"persona": ["required"]}
    template = services.journey_map_create(workspace=workspace, name="Tpl", is_template=True)
    assert template.status == JourneyMap.Status.DRAFT


def test_journey_map_persona_from_another_workspace_is_not_found(workspace, other_workspace):
    foreign = PersonaFactory(workspace=other_workspace)
    with pytest.raises(ValidationError) as excinfo:
        services.journey_map_create(workspace=workspace, name="Map", persona=foreign)
    assert error_codes(excinfo) == {"persona": ["not_found"]}
    journey_map = JourneyMapFactory(workspace=workspace)
    with pytest.raises(ValidationError) as excinfo:
        services.journey_map_update(journey_map=journey_map, persona=foreign)
    assert error_codes(excinfo) == {"persona": ["not_found"]}


def test_publish_archives_the_personas_previous_map(workspace):
    persona = PersonaFactory(workspace=workspace)
    first = JourneyMapFactory(workspace=workspace, persona=persona)
    second = JourneyMapFactory(workspace=workspace, persona=persona)
    make_stages(first, "Awareness")
    make_stages(second, "Awareness")
    services.journey_map_publish(journey_map=first)
    services.journey_map_publish(journey_map=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == JourneyMap.Status.ARCHIVED
    assert first.archived_at is not None
    assert second.status == JourneyMap.Status.PUBLISHED
    assert second.published_at is not None


@pytest.mark.parametrize(
    ("setup", "code"),
    [("empty", "empty_map"), ("template", "template"), ("published", "invalid_transition")],
)
def test_publish_refusals(workspace, setup, code):
    journey_map = JourneyMapFactory(workspace=workspace, is_template=setup == "template")
    if setup != "empty":
        make_stages(journey_map, "Only")
    if setup == "published":
        services.journey_map_publish(journey_map=journey_map)
    with pytest.raises(ValidationError) as excinfo:
        services.journey_map_publish(journey_map=journey_map)
    assert error_codes(excinfo) == {"__all__": [code]}


def test_archived_maps_are_read_only_and_published_maps_are_not_deleted(workspace):
    journey_map = JourneyMapFactory(workspace=workspace)
    (stage,) = make_stages(journey_map, "Only")
    services.journey_map_publish(journey_map=journey_map)
    with pytest.raises(ValidationError) as excinfo:
        services.journey_map_delete(journey_map=journey_map)
    assert error_codes(excinfo) == {"__all__": ["invalid_transition"]}
    services.journey_map_archive(journey_map=journey_map)
    for attempt in (
        lambda: services.stage_create(journey_map=journey_map, name="More"),
        lambda: services.stage_update(stage=stage, name="Renamed"),
        lambda: services.journey_map_update(journey_map=journey_map, name="Renamed"),
    ):
        with pytest.raises(ValidationError) as excinfo:
            attempt()
        assert error_codes(excinfo) == {"__all__": ["map_archived"]}
    with pytest.raises(ValidationError) as excinfo:
        services.journey_map_archive(journey_map=journey_map)
    assert error_codes(excinfo) == {"__all__": ["invalid_transition"]}
    services.journey_map_delete(journey_map=journey_map)
    assert not JourneyMap.objects.exists()


def test_duplicate_deep_copies_stages_and_placements(workspace):
    source = JourneyMapFactory(workspace=workspace, name="Enterprise")
    awareness, _decision = make_stages(source, "Awareness", "Decision")
    services.stage_update(stage=awareness, emotion_score=2, actions=["Reads blog"])
    webinar, demo = TouchpointFactory(workspace=workspace), TouchpointFactory(workspace=workspace)
    services.stage_touchpoints_set(
        stage=awareness,
        placements=[
            services.TouchpointPlacement(touchpoint=webinar, notes="Monthly"),
            services.TouchpointPlacement(touchpoint=demo),
        ],
    )
    signup = MilestoneFactory(workspace=workspace)
    services.stage_milestones_set(stage=awareness, milestones=[signup])
    services.journey_map_publish(journey_map=source)

    copy = services.journey_map_duplicate(journey_map=source)

    assert copy.pk != source.pk
    assert (copy.name, copy.status, copy.persona, copy.duplicated_from) == (
        "Enterprise (copy)",
        "draft",
        source.persona,
        source,
    )
    assert positions(copy) == [("Awareness", 1), ("Decision", 2)]
    copied = copy.stages.get(position=1)
    assert copied.pk != awareness.pk
    assert (copied.emotion_score, copied.actions) == (2, ["Reads blog"])
    assert list(copied.touchpoint_placements.values_list("touchpoint", "position", "notes")) == [
        (webinar.pk, 1, "Monthly"),
        (demo.pk, 2, ""),
    ]
    assert list(copied.exit_milestones.all()) == [signup]
    # The source is untouched.
    assert awareness.touchpoint_placements.count() == 2
    assert Stage.objects.count() == 4


def test_duplicate_a_template_for_a_persona(workspace, other_workspace):
    template = JourneyMapFactory(workspace=workspace, persona=None, is_template=True)
    make_stages(template, "Awareness")
    with pytest.raises(ValidationError) as excinfo:
        services.journey_map_duplicate(journey_map=template)
    assert error_codes(excinfo) == {"persona": ["required"]}
    with pytest.raises(ValidationError) as excinfo:
        services.journey_map_duplicate(
            journey_map=template, persona=PersonaFactory(workspace=other_workspace)
        )
    assert error_codes(excinfo) == {"persona": ["not_found"]}
    persona = PersonaFactory(workspace=workspace)
    copy = services.journey_map_duplicate(journey_map=template, persona=persona, name="CFO map")
    assert (copy.name, copy.persona, copy.is_template) == ("CFO map", persona, False)
    assert positions(copy) == [("Awareness", 1)]


# Stages ----------------------------------------------------------------------------


def test_stage_create_appends_or_inserts(workspace):
    journey_map = JourneyMapFactory(workspace=workspace)
    make_stages(journey_map, "A", "B")
    services.stage_create(journey_map=journey_map, name="First", position=1)
    services.stage_create(journey_map=journey_map, name="Last", position=4)
    assert positions(journey_map) == [("First", 1), ("A", 2), ("B", 3), ("Last", 4)]
    with pytest.raises(ValidationError) as excinfo:
        services.stage_create(journey_map=journey_map, name="Far", position=6)
    assert error_codes(excinfo) == {"position": ["invalid_position"]}


@pytest.mark.parametrize(
    ("moved", "to", "expected"),
    [
        ("A", 3, ["B", "C", "A", "D"]),
        ("D", 1, ["D", "A", "B", "C"]),
        ("B", 3, ["A", "C", "B", "D"]),
        ("C", 2, ["A", "C", "B", "D"]),
        ("B", 2, ["A", "B", "C", "D"]),
    ],
)
def test_stage_move_keeps_positions_dense(workspace, moved, to, expected):
    journey_map = JourneyMapFactory(workspace=workspace)
    stages = {stage.name: stage for stage in make_stages(journey_map, "A", "B", "C", "D")}
    result = services.stage_move(stage=stages[moved], position=to)
    assert result.position == to
    assert positions(journey_map) == [(name, i) for i, name in enumerate(expected, start=1)]


@pytest.mark.parametrize("position", [0, 5, -1])
def test_stage_move_rejects_positions_outside_the_map(workspace, position):
    journey_map = JourneyMapFactory(workspace=workspace)
    stages = make_stages(journey_map, "A", "B", "C", "D")
    with pytest.raises(ValidationError) as excinfo:
        services.stage_move(stage=stages[0], position=position)
    assert error_codes(excinfo) == {"position": ["invalid_position"]}
    assert positions(journey_map) == [("A", 1), ("B", 2), ("C", 3), ("D", 4)]


def test_stage_delete_closes_the_gap(workspace):
    journey_map = JourneyMapFactory(workspace=workspace)
    _, b, _ = make_stages(journey_map, "A", "B", "C")
    services.stage_delete(stage=b)
    assert positions(journey_map) == [("A", 1), ("C", 2)]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("emotion_score", 6, "max_value"),
        ("emotion_score", -6, "min_value"),
        ("kpis", [1], "invalid"),
        ("name", "", "blank"),
    ],
)
def test_stage_update_validates(workspace, field, value, code):
    (stage,) = make_stages(JourneyMapFactory(workspace=workspace), "A")
    with pytest.raises(ValidationError) as excinfo:
        services.stage_update(stage=stage, **{field: value})
    assert code in error_codes(excinfo)[field]


# Placements ------------------------------------------------------------------------


def test_stage_touchpoints_set_reorders_keeps_and_removes(workspace):
    (stage,) = make_stages(JourneyMapFactory(workspace=workspace), "A")
    a, b, c = (TouchpointFactory(workspace=workspace) for _ in range(3))
    Placement = services.TouchpointPlacement
    first = services.stage_touchpoints_set(
        stage=stage, placements=[Placement(a, "one"), Placement(b), Placement(c)]
    )
    second = services.stage_touchpoints_set(
        stage=stage, placements=[Placement(c, "now first"), Placement(a, "one")]
    )
    assert [(p.touchpoint, p.position, p.notes) for p in second] == [
        (c, 1, "now first"),
        (a, 2, "one"),
    ]
    # Kept placements keep their identity.
    assert {p.pk for p in second} == {first[0].pk, first[2].pk}
    assert stage.touchpoint_placements.count() == 2


def test_stage_touchpoints_set_rejections(workspace, other_workspace):
    (stage,) = make_stages(JourneyMapFactory(workspace=workspace), "A")
    touchpoint = TouchpointFactory(workspace=workspace)
    Placement = services.TouchpointPlacement
    with pytest.raises(ValidationError) as excinfo:
        services.stage_touchpoints_set(
            stage=stage, placements=[Placement(touchpoint), Placement(touchpoint)]
        )
    assert error_codes(excinfo) == {"touchpoints": ["duplicate"]}
    with pytest.raises(ValidationError) as excinfo:
        services.stage_touchpoints_set(
            stage=stage, placements=[Placement(TouchpointFactory(workspace=other_workspace))]
        )
    assert error_codes(excinfo) == {"touchpoints": ["not_found"]}
    with pytest.raises(ValidationError) as excinfo:
        services.stage_touchpoints_set(stage=stage, placements=[Placement(touchpoint)] * 101)
    assert error_codes(excinfo) == {"touchpoints": ["too_many"]}
    assert not stage.touchpoint_placements.exists()


def test_stage_milestones_set_and_one_stage_per_milestone_per_map(workspace):
    journey_map = JourneyMapFactory(workspace=workspace)
    first, second = make_stages(journey_map, "A", "B")
    signup, paid = MilestoneFactory(workspace=workspace), MilestoneFactory(workspace=workspace)
    services.stage_milestones_set(stage=first, milestones=[signup, paid])
    services.stage_milestones_set(stage=first, milestones=[paid])
    assert list(first.exit_milestones.all()) == [paid]
    with pytest.raises(ValidationError) as excinfo:
        services.stage_milestones_set(stage=second, milestones=[paid])
    assert error_codes(excinfo) == {"milestones": ["milestone_in_use"]}
    assert "stage 1 (A)" in excinfo.value.error_dict["milestones"][0].message
    # Another map may use the same milestone.
    (elsewhere,) = make_stages(JourneyMapFactory(workspace=workspace), "X")
    services.stage_milestones_set(stage=elsewhere, milestones=[paid])


def test_stage_milestones_from_another_workspace_are_not_found(workspace, other_workspace):
    (stage,) = make_stages(JourneyMapFactory(workspace=workspace), "A")
    with pytest.raises(ValidationError) as excinfo:
        services.stage_milestones_set(
            stage=stage, milestones=[MilestoneFactory(workspace=other_workspace)]
        )
    assert error_codes(excinfo) == {"milestones": ["not_found"]}
