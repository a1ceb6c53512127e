"""Every journey mutation over GraphQL: success, and the errors a client can read."""

import pytest

from journeys.models import JourneyMap, Persona, Stage, StageTouchpoint, Touchpoint
from tests.factories import (
    JourneyMapFactory,
    MilestoneFactory,
    PersonaFactory,
    StageFactory,
    TouchpointFactory,
)
from tests.graphql_helpers import gid, messages, run

pytestmark = pytest.mark.django_db

ID_ARG = {"arg": "id", "arg_type": "ID!"}


def test_persona_create_update_delete(editor, workspace):
    created = run(
        editor,
        "personaCreate",
        "Persona",
        "id key name seniority goals preferredChannels",
        {
            "key": "revops",
            "name": "Head of RevOps",
            "seniority": "DIRECTOR",
            "goals": ["Forecast accuracy"],
            "preferredChannels": ["WEBINAR", "EMAIL"],
        },
    )
    assert created == {
        "__typename": "Persona",
        "id": created["id"],
        "key": "revops",
        "name": "Head of RevOps",
        "seniority": "DIRECTOR",
        "goals": ["Forecast accuracy"],
        "preferredChannels": ["WEBINAR", "EMAIL"],
    }
    updated = run(
        editor,
        "personaUpdate",
        "Persona",
        "name region",
        {"id": created["id"], "name": "RevOps lead", "region": "EMEA"},
    )
    assert (updated["name"], updated["region"]) == ("RevOps lead", "EMEA")
    deleted = run(editor, "personaDelete", "Deleted", "id", created["id"], **ID_ARG)
    assert deleted["id"] == created["id"]
    assert not Persona.objects.exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"key": "Bad Key", "name": "X"}, [("key", "invalid")]),
        ({"key": "x", "name": "X", "goals": ["  "]}, [("goals", "invalid")]),
        ({"key": "taken", "name": "X"}, [("key", "duplicate")]),
    ],
)
def test_persona_create_errors(editor, workspace, value, expected):
    PersonaFactory(workspace=workspace, key="taken")
    payload = run(editor, "personaCreate", "Persona", "id", value)
    assert messages(payload) == expected
    assert Persona.objects.count() == 1


def test_persona_delete_in_use(editor, workspace):
    journey_map = JourneyMapFactory(workspace=workspace)
    payload = run(editor, "personaDelete", "Deleted", "id", gid(journey_map.persona), **ID_ARG)
    assert messages(payload) == [(None, "in_use")]


def test_touchpoint_create_update_delete(editor, workspace):
    created = run(
        editor,
        "touchpointCreate",
        "Touchpoint",
        "id key channel phase isOnline ownerTeam",
        {
            "key": "g2-review",
            "name": "G2 review",
            "channel": "REVIEW_SITE",
            "phase": "PRE_PURCHASE",
            "ownerTeam": "Marketing",
        },
    )
    assert created["channel"] == "REVIEW_SITE"
    assert created["isOnline"] is True
    updated = run(
        editor,
        "touchpointUpdate",
        "Touchpoint",
        "phase isOnline",
        {"id": created["id"], "phase": "POST_PURCHASE", "isOnline": False},
    )
    assert updated == {"__typename": "Touchpoint", "phase": "POST_PURCHASE", "isOnline": False}
    payload = run(editor, "touchpointUpdate", "Touchpoint", "key", {"id": created["id"], "key": ""})
    assert messages(payload) == [("key", "blank")]
    run(editor, "touchpointDelete", "Deleted", "id", created["id"], **ID_ARG)
    assert not Touchpoint.objects.exists()


def test_milestone_create_with_rule_update_delete(editor, workspace):
    TouchpointFactory(workspace=workspace, key="user-invited")
    created = run(
        editor,
        "milestoneCreate",
        "Milestone",
        "id isConversion value rule { touchpointKey minCount withinDays }",
        {
            "key": "five-users",
            "name": "Five users added",
            "isConversion": True,
            "value": "99.50",
            "rule": {"touchpointKey": "user-invited", "minCount": 5, "withinDays": 30},
        },
    )
    assert created["rule"] == {"touchpointKey": "user-invited", "minCount": 5, "withinDays": 30}
    assert (created["isConversion"], created["value"]) == (True, "99.50")
    payload = run(
        editor,
        "milestoneUpdate",
        "Milestone",
        "id",
        {
            "id": created["id"],
            "rule": {"touchpointKey": "missing", "minCount": 5, "withinDays": 30},
        },
    )
    assert messages(payload) == [("rule", "not_found")]
    cleared = run(
        editor,
        "milestoneUpdate",
        "Milestone",
        "rule { minCount }",
        {"id": created["id"], "rule": None},
    )
    assert cleared["rule"] is None
    payload = run(
        editor, "milestoneUpdate", "Milestone", "id", {"id": created["id"], "value": "-1"}
    )
    assert messages(payload) == [("value", "min_value")]
    run(editor, "milestoneDelete", "Deleted", "id", created["id"], **ID_ARG)


def test_journey_map_create_update_publish_archive_delete(editor, workspace):
    persona = PersonaFactory(workspace=workspace)
    created = run(
        editor,
        "journeyMapCreate",
        "JourneyMap",
        "id name status persona { key }",
        {"name": "Enterprise", "persona": gid(persona)},
    )
    assert created["status"] == "DRAFT"
    assert created["persona"] == {"key": persona.key}
    map_id = created["id"]
    assert messages(run(editor, "journeyMapPublish", "JourneyMap", "id", map_id, **ID_ARG)) == [
        (None, "empty_map")
    ]
    StageFactory(journey_map=JourneyMap.objects.get(), position=1)
    published = run(
        editor, "journeyMapPublish", "JourneyMap", "status publishedAt", map_id, **ID_ARG
    )
    assert published["status"] == "PUBLISHED"
    assert published["publishedAt"]
    assert messages(run(editor, "journeyMapDelete", "Deleted", "id", map_id, **ID_ARG)) == [
        (None, "invalid_transition")
    ]
    assert messages(
        run(editor, "journeyMapUpdate", "JourneyMap", "name", {"id": map_id, "name": "v2"})
    ) == [(None, "map_published")]
    archived = run(editor, "journeyMapArchive", "JourneyMap", "status", map_id, **ID_ARG)
    assert archived["status"] == "ARCHIVED"
    assert messages(
        run(editor, "journeyMapUpdate", "JourneyMap", "id", {"id": map_id, "name": "x"})
    ) == [(None, "map_archived")]
    run(editor, "journeyMapDelete", "Deleted", "id", map_id, **ID_ARG)
    assert not JourneyMap.objects.exists()


def test_journey_map_create_errors(editor, workspace):
    assert messages(
        run(editor, "journeyMapCreate", "JourneyMap", "id", {"name": "No persona"})
    ) == [("persona", "required")]
    stage = StageFactory(journey_map__workspace=workspace)
    assert messages(
        run(
            editor,
            "journeyMapCreate",
            "JourneyMap",
            "id",
            {"name": "Wrong id", "persona": gid(stage)},
        )
    ) == [("persona", "invalid_id")]
    template = run(
        editor,
        "journeyMapCreate",
        "JourneyMap",
        "isTemplate persona { id }",
        {"name": "Template", "isTemplate": True},
    )
    assert template == {"__typename": "JourneyMap", "isTemplate": True, "persona": None}


def test_journey_map_duplicate(editor, workspace):
    source = JourneyMapFactory(workspace=workspace, name="Source")
    stage = StageFactory(journey_map=source, position=1, name="Awareness")
    StageFactory(journey_map=source, position=2, name="Decision")
    touchpoint = TouchpointFactory(workspace=workspace)
    StageTouchpoint.objects.create(
        workspace=workspace, stage=stage, touchpoint=touchpoint, position=1, notes="n"
    )
    other_persona = PersonaFactory(workspace=workspace)
    copy = run(
        editor,
        "journeyMapDuplicate",
        "JourneyMap",
        "name status persona { id } duplicatedFrom { id }"
        " stages { position name touchpoints { position notes touchpoint { id } } }",
        {"id": gid(source), "name": "Copy", "persona": gid(other_persona)},
    )
    assert copy == {
        "__typename": "JourneyMap",
        "name": "Copy",
        "status": "DRAFT",
        "persona": {"id": gid(other_persona)},
        "duplicatedFrom": {"id": gid(source)},
        "stages": [
            {
                "position": 1,
                "name": "Awareness",
                "touchpoints": [
                    {"position": 1, "notes": "n", "touchpoint": {"id": gid(touchpoint)}}
                ],
            },
            {"position": 2, "name": "Decision", "touchpoints": []},
        ],
    }


def test_stage_create_update_move_delete(editor, workspace):
    journey_map = JourneyMapFactory(workspace=workspace)
    ids = [
        run(
            editor,
            "stageCreate",
            "Stage",
            "id position",
            {"journeyMap": gid(journey_map), "name": name},
        )["id"]
        for name in ("Awareness", "Consideration", "Decision")
    ]
    inserted = run(
        editor,
        "stageCreate",
        "Stage",
        "id position",
        {
            "journeyMap": gid(journey_map),
            "name": "Trigger",
            "position": 1,
            "emotionScore": -2,
            "kpis": ["Visits"],
        },
    )
    assert inserted["position"] == 1
    updated = run(
        editor,
        "stageUpdate",
        "Stage",
        "emotionScore emotionLabel customerGoal",
        {
            "id": ids[0],
            "emotionScore": 3,
            "emotionLabel": "curious",
            "customerGoal": "Understand the problem",
        },
    )
    assert updated == {
        "__typename": "Stage",
        "emotionScore": 3,
        "emotionLabel": "curious",
        "customerGoal": "Understand the problem",
    }
    moved = run(editor, "stageMove", "Stage", "position", {"id": ids[2], "position": 1})
    assert moved["position"] == 1
    run(editor, "stageDelete", "Deleted", "id", inserted["id"], **ID_ARG)
    assert list(Stage.objects.order_by("position").values_list("name", "position")) == [
        ("Decision", 1),
        ("Awareness", 2),
        ("Consideration", 3),
    ]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("stageMove", {"position": 9}, [("position", "invalid_position")]),
        ("stageUpdate", {"emotionScore": 10}, [("emotionScore", "max_value")]),
        ("stageUpdate", {"expectedDurationDays": -1}, [("expectedDurationDays", "min_value")]),
    ],
)
def test_stage_errors(editor, workspace, name, value, expected):
    stage = StageFactory(journey_map__workspace=workspace, position=1)
    assert messages(run(editor, name, "Stage", "id", {"id": gid(stage), **value})) == expected


def test_stage_create_on_unknown_map(editor, workspace):
    journey_map = JourneyMapFactory(workspace=workspace)
    missing = gid(journey_map)
    journey_map.delete()
    payload = run(editor, "stageCreate", "Stage", "id", {"journeyMap": missing, "name": "X"})
    assert messages(payload) == [("journeyMap", "not_found")]


def test_stage_touchpoints_and_milestones_set(editor, workspace):
    stage = StageFactory(journey_map__workspace=workspace, position=1)
    demo, pricing = TouchpointFactory(workspace=workspace), TouchpointFactory(workspace=workspace)
    signup = MilestoneFactory(workspace=workspace)
    placed = run(
        editor,
        "stageTouchpointsSet",
        "Stage",
        "touchpoints { position notes touchpoint { key } }",
        {
            "id": gid(stage),
            "touchpoints": [
                {"touchpoint": gid(pricing), "notes": "Compare plans"},
                {"touchpoint": gid(demo)},
            ],
        },
    )
    assert placed["touchpoints"] == [
        {"position": 1, "notes": "Compare plans", "touchpoint": {"key": pricing.key}},
        {"position": 2, "notes": "", "touchpoint": {"key": demo.key}},
    ]
    exits = run(
        editor,
        "stageMilestonesSet",
        "Stage",
        "milestones { key }",
        {"id": gid(stage), "milestones": [gid(signup)]},
    )
    assert exits["milestones"] == [{"key": signup.key}]
    duplicate = run(
        editor,
        "stageTouchpointsSet",
        "Stage",
        "id",
        {"id": gid(stage), "touchpoints": [{"touchpoint": gid(demo)}] * 2},
    )
    assert messages(duplicate) == [("touchpoints", "duplicate")]
    other_stage = StageFactory(journey_map=stage.journey_map, position=2)
    taken = run(
        editor,
        "stageMilestonesSet",
        "Stage",
        "id",
        {"id": gid(other_stage), "milestones": [gid(signup)]},
    )
    assert messages(taken) == [("milestones", "milestone_in_use")]


def test_lists_filter_and_order(viewer, workspace):
    PersonaFactory(workspace=workspace, name="Head of RevOps", key="revops")
    PersonaFactory(workspace=workspace, name="IT security lead", key="it")
    TouchpointFactory(workspace=workspace, name="Webinar", channel="webinar", owner_team="Mkt")
    TouchpointFactory(
        workspace=workspace, name="Demo call", channel="sales", phase="purchase", owner_team="Sales"
    )
    published = JourneyMapFactory(workspace=workspace, status="published", name="B")
    JourneyMapFactory(workspace=workspace, name="A")

    def names(query):
        return [edge["node"]["name"] for edge in next(iter(viewer(query).data.values()))["edges"]]

    assert names('{ personas(filters: {search: "revops"}) { edges { node { name } } } }') == [
        "Head of RevOps"
    ]
    assert names("{ touchpoints(filters: {channel: SALES}) { edges { node { name } } } }") == [
        "Demo call"
    ]
    assert names("{ touchpoints(filters: {phase: PURCHASE}) { edges { node { name } } } }") == [
        "Demo call"
    ]
    assert names('{ touchpoints(filters: {ownerTeam: "Mkt"}) { edges { node { name } } } }') == [
        "Webinar"
    ]
    assert names("{ touchpoints(ordering: [{name: DESC}]) { edges { node { name } } } }") == [
        "Webinar",
        "Demo call",
    ]
    assert names("{ journeyMaps(filters: {status: PUBLISHED}) { edges { node { name } } } }") == [
        "B"
    ]
    by_persona = viewer(
        "query($id: ID!) { journeyMaps(filters: {persona: $id}) { edges { node { name } } } }",
        {"id": gid(published.persona)},
    )
    assert by_persona.data["journeyMaps"]["edges"] == [{"node": {"name": "B"}}]
    count = viewer("{ journeyMaps { totalCount } }").data["journeyMaps"]["totalCount"]
    assert count == 2
