"""Map versions: snapshots at publish, the refusal of in-place edits, drafts published as
the next version, the typed diff, stage at the time in attribution, funnel and map fit,
and the map_versions report, with numbers computed by hand across two versions.

The world (all times 2026, UTC; cut-off 1 March):

  version 1, published 1 Jan:  1 Discover [web, demo] exit signup
                               2 Evaluate [call]      exit trial
                               3 Buy      []          exit won
  version 2, published 1 Feb:  Buy moved to 2 and renamed Purchase, demo moved from
                               Discover to Evaluate, Discover's emotion 1 -> 3:
                               1 Discover [web]       exit signup
                               2 Purchase []          exit won
                               3 Evaluate [call, demo] exit trial

  A: web 5 Jan, signup 10 Jan, demo 15 Jan, trial 20 Jan, demo 12 Feb, won 15 Feb
  B: web 5 Feb, signup 10 Feb, won 20 Feb, demo 25 Feb
  C: web 12 Feb
"""

import importlib
from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Interaction, MilestoneAchievement
from analytics.registry import RunContext, spec_for
from journeys import services
from journeys.models import JourneyMap, JourneyMapVersion, Stage
from journeys.versions import diff_snapshots
from tests.admin_helpers import messages_of, staff_client, url
from tests.conftest import token_client
from tests.factories import (
    AccountFactory,
    MilestoneFactory,
    PersonaFactory,
    TouchpointFactory,
)
from tests.graphql_helpers import gid
from workspaces.access import Scope
from workspaces.models import Role

pytestmark = pytest.mark.django_db


def day(month: int, dom: int) -> datetime:
    return datetime(2026, month, dom, 9, tzinfo=UTC)


T1, T2, CUTOFF = day(1, 1), day(2, 1), day(3, 1)


class World:
    def __init__(self, workspace):
        self.workspace = workspace
        self.persona = PersonaFactory(workspace=workspace, key="buyer")
        tp = {k: TouchpointFactory(workspace=workspace, key=k) for k in ("web", "demo", "call")}
        self.touchpoints = tp
        ms = {
            "signup": MilestoneFactory(workspace=workspace, key="signup"),
            "trial": MilestoneFactory(workspace=workspace, key="trial"),
            "won": MilestoneFactory(workspace=workspace, key="won", is_conversion=True, value=100),
        }
        self.milestones = ms
        self.v1_map = services.journey_map_create(
            workspace=workspace, persona=self.persona, name="Buyer map"
        )
        for name, touchpoints, exit_key in (
            ("Discover", ["web", "demo"], "signup"),
            ("Evaluate", ["call"], "trial"),
            ("Buy", [], "won"),
        ):
            stage = services.stage_create(
                journey_map=self.v1_map, name=name, emotion_score=1 if name == "Discover" else None
            )
            services.stage_touchpoints_set(
                stage=stage,
                placements=[services.TouchpointPlacement(touchpoint=tp[k]) for k in touchpoints],
            )
            services.stage_milestones_set(stage=stage, milestones=[ms[exit_key]])
        services.journey_map_publish(journey_map=self.v1_map, published_at=T1)
        self.v1_stages = {s.name: s for s in self.v1_map.stages.all()}

        self.v2_map = services.journey_map_draft_from_published(journey_map=self.v1_map)
        stages = {s.name: s for s in self.v2_map.stages.all()}
        services.stage_move(stage=stages["Buy"], position=2)
        services.stage_update(stage=stages["Buy"], name="Purchase")
        services.stage_update(stage=stages["Discover"], emotion_score=3)
        services.stage_touchpoints_set(
            stage=stages["Discover"], placements=[services.TouchpointPlacement(tp["web"])]
        )
        services.stage_touchpoints_set(
            stage=stages["Evaluate"],
            placements=[
                services.TouchpointPlacement(tp["call"]),
                services.TouchpointPlacement(tp["demo"]),
            ],
        )
        services.journey_map_publish(journey_map=self.v2_map, published_at=T2)
        self.v1_map.refresh_from_db()
        self.v1, self.v2 = JourneyMapVersion.objects.order_by("number")

        self.a, self.b, self.c = (
            AccountFactory(workspace=workspace, persona=self.persona) for _ in range(3)
        )
        for account, key, at in (
            (self.a, "web", day(1, 5)),
            (self.a, "demo", day(1, 15)),
            (self.a, "demo", day(2, 12)),
            (self.b, "web", day(2, 5)),
            (self.b, "demo", day(2, 25)),
            (self.c, "web", day(2, 12)),
        ):
            self.touch(account, key, at)
        for account, key, at in (
            (self.a, "signup", day(1, 10)),
            (self.a, "trial", day(1, 20)),
            (self.a, "won", day(2, 15)),
            (self.b, "signup", day(2, 10)),
            (self.b, "won", day(2, 20)),
        ):
            self.achieve(account, key, at)

    def touch(self, account, key, at):
        self._event(Interaction, "touchpoint", self.touchpoints[key], account, at)

    def achieve(self, account, key, at):
        self._event(MilestoneAchievement, "milestone", self.milestones[key], account, at)

    def _event(self, model, field, row, account, at):
        model.objects.create(
            workspace=self.workspace,
            account=account,
            occurred_at=at,
            received_at=at,
            client_id=f"{field}-{account.pk}-{row.key}-{at:%m%d}",
            **{field: row},
        )

    def run(self, kind: str, **raw):
        parameters = spec_for(kind).parse(self.workspace, raw)
        return spec_for(kind).compute(
            RunContext(self.workspace, parameters, CUTOFF, lambda percent: None)
        )


@pytest.fixture
def world(workspace):
    return World(workspace)


# Versions and the lifecycle ---------------------------------------------------------


def test_each_publish_stores_the_next_version(world):
    assert [(v.number, v.published_at, v.live_until) for v in (world.v1, world.v2)] == [
        (1, T1, T2),
        (2, T2, None),
    ]
    assert (world.v1.journey_map, world.v2.journey_map) == (world.v1_map, world.v2_map)
    assert world.v1_map.status == JourneyMap.Status.ARCHIVED
    assert world.v1_map.archived_at == T2
    assert [
        (
            s["position"],
            s["name"],
            [t["key"] for t in s["touchpoints"]],
            s["exit_milestones"][0]["key"],
        )
        for s in world.v2.snapshot["stages"]
    ] == [
        (1, "Discover", ["web"], "signup"),
        (2, "Purchase", [], "won"),
        (3, "Evaluate", ["call", "demo"], "trial"),
    ]
    # A stage keeps its key across versions: the id of the stage first published.
    assert [s["key"] for s in world.v2.snapshot["stages"]] == [
        str(world.v1_stages[name].pk) for name in ("Discover", "Buy", "Evaluate")
    ]


def test_a_version_survives_its_map(world):
    before = dict(world.v1.snapshot)
    services.journey_map_delete(journey_map=world.v1_map)
    world.v1.refresh_from_db()
    assert world.v1.journey_map is None
    assert world.v1.snapshot == before


def test_archiving_ends_the_live_window(world):
    services.journey_map_archive(journey_map=world.v2_map)
    world.v2.refresh_from_db()
    assert world.v2.live_until is not None


def test_backdated_publish_must_follow_the_latest_version(world):
    draft = services.journey_map_draft_from_published(journey_map=world.v2_map)
    with pytest.raises(ValidationError) as caught:
        services.journey_map_publish(journey_map=draft, published_at=day(1, 20))
    assert caught.value.error_dict["published_at"][0].code == "invalid_transition"


def test_only_a_published_map_has_a_next_version_to_draft(world):
    with pytest.raises(ValidationError) as caught:
        services.journey_map_draft_from_published(journey_map=world.v1_map)
    assert caught.value.error_dict["id"][0].code == "not_published"


def test_migration_makes_published_maps_version_1(workspace):
    from django.apps import apps

    persona = PersonaFactory(workspace=workspace)
    journey_map = services.journey_map_create(workspace=workspace, persona=persona, name="Old")
    services.stage_create(journey_map=journey_map, name="Only")
    services.journey_map_publish(journey_map=journey_map)
    JourneyMapVersion.objects.all().delete()  # as before versions existed
    migration = importlib.import_module("journeys.migrations.0002_map_versions")
    migration.published_maps_become_version_1(apps, None)
    [version] = JourneyMapVersion.objects.all()
    journey_map.refresh_from_db()
    assert (version.number, version.published_at, version.journey_map) == (
        1,
        journey_map.published_at,
        journey_map,
    )
    assert [s["name"] for s in version.snapshot["stages"]] == ["Only"]


# Published maps are not edited in place ---------------------------------------------


def test_services_refuse_edits_of_a_published_map(world):
    stage = world.v2_map.stages.get(name="Discover")
    edits = [
        lambda: services.journey_map_update(journey_map=world.v2_map, name="x"),
        lambda: services.stage_create(journey_map=world.v2_map, name="x"),
        lambda: services.stage_update(stage=stage, name="x"),
        lambda: services.stage_move(stage=stage, position=2),
        lambda: services.stage_delete(stage=stage),
        lambda: services.stage_touchpoints_set(stage=stage, placements=[]),
        lambda: services.stage_milestones_set(stage=stage, milestones=[]),
        lambda: services.touchpoint_delete(touchpoint=world.touchpoints["web"]),
        lambda: services.milestone_delete(milestone=world.milestones["signup"]),
    ]
    for edit in edits:
        with pytest.raises(ValidationError) as caught:
            edit()
        assert caught.value.error_list[0].code == "map_published"
    assert world.v2_map.stages.get(pk=stage.pk).name == "Discover"


def test_graphql_refuses_edits_and_drafts_the_next_version(world):
    client = token_client(world.workspace, [Scope.JOURNEYS_WRITE, Scope.JOURNEYS_READ])
    stage = world.v2_map.stages.get(name="Discover")
    moved = client(
        "mutation($input: StageMoveInput!) { stageMove(input: $input) { "
        "... on OperationInfo { messages { code message } } } }",
        {"input": {"id": gid(stage), "position": 2}},
    ).data["stageMove"]
    assert [m["code"] for m in moved["messages"]] == ["map_published"]
    assert "journeyMapDraftFromPublished" in moved["messages"][0]["message"]

    draft = client(
        "mutation($id: ID!) { journeyMapDraftFromPublished(id: $id) { "
        "... on JourneyMap { id status name stages { name } } } }",
        {"id": gid(world.v2_map)},
    ).data["journeyMapDraftFromPublished"]
    assert (draft["status"], draft["name"]) == ("DRAFT", "Buyer map")
    assert [s["name"] for s in draft["stages"]] == ["Discover", "Purchase", "Evaluate"]
    published = client(
        "mutation($id: ID!) { journeyMapPublish(id: $id) { "
        "... on JourneyMap { status versions { number liveUntil } } } }",
        {"id": draft["id"]},
    ).data["journeyMapPublish"]
    assert published == {"status": "PUBLISHED", "versions": [{"number": 3, "liveUntil": None}]}


def test_admin_refuses_edits_of_a_published_map(admin_client, world):
    stage = world.v2_map.stages.get(name="Discover")
    assert admin_client.post(url(Stage, "change", stage.pk), {"name": "x"}).status_code == 403
    page = admin_client.get(url(Stage, "change", stage.pk))
    assert not page.context["has_change_permission"]
    response = admin_client.post(
        url(Stage, "add"),
        {
            "journey_map": world.v2_map.pk,
            "name": "Sneaked in",
            "actions": "[]",
            "thoughts": "[]",
            "pain_points": "[]",
            "opportunities": "[]",
            "kpis": "[]",
            **{
                f"{p}-{f}": v
                for p in ("touchpoint_placements", "milestone_placements")
                for f, v in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        },
        follow=True,
    )
    assert "cannot be changed in place" in " ".join(messages_of(response))
    assert not world.v2_map.stages.filter(name="Sneaked in").exists()


def test_admin_drafts_the_next_version_and_shows_the_diff(admin_client, world):
    response = admin_client.post(
        url(JourneyMap),
        {"action": "draft_next_versions", "_selected_action": [world.v2_map.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert JourneyMap.objects.filter(status="draft", duplicated_from=world.v2_map).count() == 1
    page = admin_client.get(url(JourneyMapVersion, "change", world.v2.pk))
    text = page.content.decode()
    for line in (
        "Stage moved: Purchase from 3 to 2",
        "Stage renamed: Buy -&gt; Purchase",
        "Moved: demo from Discover to Evaluate",
        "Discover: emotion_score 1 -&gt; 3",
    ):
        assert line in text


# Diff -------------------------------------------------------------------------------


def test_diff_of_the_two_versions(world):
    client = token_client(world.workspace, [Scope.JOURNEYS_READ])
    diff = client(
        "query($a: ID!, $b: ID!) { journeyMapVersionDiff(a: $a, b: $b) { fromNumber toNumber "
        "stagesAdded { key } stagesRemoved { key } "
        "stagesMoved { name fromPosition toPosition } stagesRenamed { fromName toName } "
        "laneChanges { stageName lane before after } "
        "placementsAdded { touchpointKey } placementsRemoved { touchpointKey } "
        "placementsMoved { touchpointKey fromStageName toStageName } "
        "milestoneChanges { milestoneKey } } }",
        {"a": gid(world.v1), "b": gid(world.v2)},
    ).data["journeyMapVersionDiff"]
    assert diff == {
        "fromNumber": 1,
        "toNumber": 2,
        "stagesAdded": [],
        "stagesRemoved": [],
        # Only Buy moved (3 -> 2); Evaluate's shift to 3 follows from it.
        "stagesMoved": [{"name": "Purchase", "fromPosition": 3, "toPosition": 2}],
        "stagesRenamed": [{"fromName": "Buy", "toName": "Purchase"}],
        "laneChanges": [
            {"stageName": "Discover", "lane": "emotion_score", "before": 1, "after": 3}
        ],
        "placementsAdded": [],
        "placementsRemoved": [],
        "placementsMoved": [
            {"touchpointKey": "demo", "fromStageName": "Discover", "toStageName": "Evaluate"}
        ],
        "milestoneChanges": [],
    }
    version = client(
        "query($id: ID!) { journeyMapVersion(id: $id) { number liveUntil snapshot "
        "persona { key mapVersions { number } } journeyMap { status versions { number } } } }",
        {"id": gid(world.v1)},
    ).data["journeyMapVersion"]
    assert version["number"] == 1
    assert version["liveUntil"] == T2.isoformat()
    assert [s["name"] for s in version["snapshot"]["stages"]] == ["Discover", "Evaluate", "Buy"]
    assert version["persona"] == {"key": "buyer", "mapVersions": [{"number": 1}, {"number": 2}]}
    assert version["journeyMap"] == {"status": "ARCHIVED", "versions": [{"number": 1}]}


def _snapshot(*stages):
    return {
        "stages": [
            {
                "key": key,
                "id": index,
                "position": index,
                "name": key.title(),
                "touchpoints": [{"id": 0, "key": t, "position": 1, "notes": ""} for t in tps],
                "exit_milestones": [{"id": 0, "key": m} for m in exits],
            }
            for index, (key, tps, exits) in enumerate(stages, start=1)
        ]
    }


def test_diff_of_stages_placements_and_milestones_added_and_removed():
    a = _snapshot(("one", ["web"], ["signup"]), ("two", ["call"], ["won"]))
    b = _snapshot(("two", ["call", "web"], ["signup"]), ("three", [], ["trial"]))
    diff = diff_snapshots(a, b)
    assert [(s.key, s.position) for s in diff.stages_removed] == [("one", 1)]
    assert [(s.key, s.position) for s in diff.stages_added] == [("three", 2)]
    assert diff.stages_moved == []  # "two" is the only common stage
    assert [
        (p.touchpoint_key, p.from_stage_key, p.to_stage_key) for p in diff.placements_moved
    ] == [("web", "one", "two")]
    assert [
        (m.milestone_key, m.from_stage_key, m.to_stage_key) for m in diff.milestone_changes
    ] == [("signup", "one", "two"), ("trial", None, "three"), ("won", "two", None)]
    assert diff_snapshots(a, a).is_empty


# Stage at the time ------------------------------------------------------------------


def _stage_rows(result):
    [model] = result["models"]
    return {row["label"]: round(row["conversions"], 6) for row in model["rows"]}


def test_attribution_credits_the_stage_in_force_at_each_touch(world):
    # A's journey to won (15 Feb): web 5 Jan and demo 15 Jan under version 1 (both in
    # Discover), demo 12 Feb under version 2 (Evaluate): a third each. B's (20 Feb): web
    # 5 Feb, Discover: 1.
    result = world.run("attribution", models=["linear"], dimensions=["stage"])
    assert _stage_rows(result) == {
        "Buyer map: 1. Discover": pytest.approx(5 / 3),
        "Buyer map: 3. Evaluate": pytest.approx(1 / 3),
    }
    [model] = result["models"]
    assert {row["key"] for row in model["rows"]} == {
        str(world.v1_stages["Discover"].pk),
        str(world.v1_stages["Evaluate"].pk),
    }


def test_attribution_with_a_pinned_version(world):
    # Version 1 places demo in Discover: everything is Discover's.
    assert _stage_rows(
        world.run("attribution", models=["linear"], dimensions=["stage"], stage_version=1)
    ) == {"Buyer map: 1. Discover": pytest.approx(2.0)}
    # Version 2 places demo in Evaluate: A's two demo touches are Evaluate's.
    assert _stage_rows(
        world.run("attribution", models=["linear"], dimensions=["stage"], stage_version=2)
    ) == {
        "Buyer map: 1. Discover": pytest.approx(4 / 3),
        "Buyer map: 3. Evaluate": pytest.approx(2 / 3),
    }


def _funnel(result):
    return [
        (s["name"], s["entered"], s["advanced"], s["skipped"], s["median_days"])
        for s in result["stages"]
    ]


def test_funnel_reads_each_achievement_under_the_version_in_force(world):
    # Laid out by version 2. A's trial (20 Jan, version 1) exits Evaluate, now the last
    # stage, so at 20 Jan A passes Purchase and goes through Evaluate at once (skipped);
    # its won (15 Feb) changes nothing more. B advances through Discover and Purchase.
    result = world.run("funnel", map_persona="buyer")
    assert result["journey_map"]["version"] == 2
    assert _funnel(result) == [
        ("Discover", 3, 2, 0, 5.0),
        ("Purchase", 2, 2, 0, 10.0),
        ("Evaluate", 2, 1, 1, None),
    ]


def test_funnel_with_a_pinned_version(world):
    # Everything under version 1: signup, trial, won exit stages 1, 2, 3. B skips
    # Evaluate's exit: it enters Buy at its won (20 Feb) and leaves it at once.
    result = world.run("funnel", map_persona="buyer", map_version=1)
    assert result["journey_map"]["version"] == 1
    assert _funnel(result) == [
        ("Discover", 3, 2, 0, 5.0),
        ("Evaluate", 2, 2, 0, 10.0),
        ("Buy", 2, 2, 1, 26.0),
    ]


def test_map_fit_reads_placements_under_the_version_in_force(world):
    # A's demo 15 Jan is in Evaluate (after signup) where version 1 does not place it:
    # off the map. The demo touches of February are in Evaluate, where version 2 does.
    result = world.run("map_fit", journey_map=gid(world.v2_map))
    assert [
        (row["stage_name"], row["touchpoint_key"], row["interactions"]) for row in result["off_map"]
    ] == [("Evaluate", "demo", 1)]
    assert result["totals"]["interactions"] == 6
    # Pinned to version 2, that demo is read in version 2's order: after Discover comes
    # Purchase, where version 2 does not place demo either.
    pinned = world.run("map_fit", journey_map=gid(world.v2_map), map_version=2)
    assert [
        (row["stage_name"], row["touchpoint_key"], row["interactions"]) for row in pinned["off_map"]
    ] == [("Purchase", "demo", 1)]


# The map_versions report ------------------------------------------------------------


def test_map_versions_report_per_live_window(world):
    result = world.run("map_versions", map_persona="buyer", retention_days=7)
    v1, v2 = result["versions"]
    assert (v1["window"], v2["window"]) == (
        {"from": T1.isoformat(), "to": T2.isoformat(), "days": 31.0, "live": False},
        {"from": T2.isoformat(), "to": CUTOFF.isoformat(), "days": 28.0, "live": True},
    )
    # Version 1's window: A enters and moves on twice; its demo of 15 Jan is off-map.
    assert _funnel(v1) == [
        ("Discover", 1, 1, 0, 5.0),
        ("Evaluate", 1, 1, 0, 10.0),
        ("Buy", 1, 0, 0, None),
    ]
    assert v1["funnel"] == {"entered": 3, "advanced": 2, "conversion_rate": 2 / 3, "stalled": 0}
    assert v1["accounts"] == {"entered": 1, "active": 1}
    assert v1["off_map"] == {"interactions": 2, "off_map_interactions": 1, "share": 0.5}
    # A's next interaction came 10 days after it entered: in week 1 (days 7 to 14).
    assert v1["retention"] == {"eligible": 1, "retained": 1, "rate": 1.0}

    # Version 2's window: B and C enter (A entered under version 1, but is active).
    assert _funnel(v2) == [
        ("Discover", 2, 1, 0, 5.0),
        ("Purchase", 1, 1, 0, 10.0),
        ("Evaluate", 1, 0, 0, None),
    ]
    assert v2["funnel"] == {"entered": 4, "advanced": 2, "conversion_rate": 0.5, "stalled": 0}
    assert v2["accounts"] == {"entered": 2, "active": 3}
    assert v2["off_map"] == {"interactions": 4, "off_map_interactions": 0, "share": 0.0}
    # B's next interaction came 20 days on, C has none: neither in week 1.
    assert v2["retention"] == {"eligible": 2, "retained": 0, "rate": 0.0}
    assert "seasonality" in result["notes"][0]


def test_map_versions_parameters(world, workspace):
    parse = spec_for("map_versions").parse
    assert parse(workspace, {"map_persona": "buyer"}) == {
        "map_persona": "buyer",
        "stall_days": 90,
        "retention_days": 30,
        "retention_period": 1,
    }
    PersonaFactory(workspace=workspace, key="none")
    for raw, field, code in (
        ({}, "mapPersona", "required"),
        ({"map_persona": "nope"}, "mapPersona", "not_found"),
        ({"map_persona": "none"}, "mapPersona", "not_published"),
        ({"map_persona": "buyer", "retention_days": 0}, "retentionDays", "invalid"),
        ({"map_persona": "buyer", "stage": 1}, "stage", "invalid"),
    ):
        with pytest.raises(ValidationError) as caught:
            parse(workspace, raw)
        assert caught.value.error_dict[field][0].code == code
    with pytest.raises(ValidationError) as caught:
        spec_for("funnel").parse(workspace, {"map_persona": "buyer", "map_version": 3})
    assert caught.value.error_dict["mapVersion"][0].code == "not_found"
    with pytest.raises(ValidationError) as caught:
        spec_for("attribution").parse(workspace, {"stage_version": 0})
    assert caught.value.error_dict["stageVersion"][0].code == "invalid"


def test_versions_of_another_workspace_are_not_found(world, other_workspace):
    client = token_client(other_workspace, [Scope.JOURNEYS_READ])
    response = client(
        "query($a: ID!, $b: ID!) { journeyMapVersionDiff(a: $a, b: $b) { fromNumber } }",
        {"a": gid(world.v1), "b": gid(world.v2)},
    )
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in response.errors] == [
        ("not_found", "a")
    ]
    listed = client("{ journeyMapVersions { totalCount } }").data["journeyMapVersions"]
    assert listed == {"totalCount": 0}


def test_editors_see_the_versions_of_their_workspace_only(world, other_workspace):
    editor = staff_client(world.workspace, Role.EDITOR, "editor")
    listed = editor.get(url(JourneyMapVersion)).context["cl"].result_list
    assert [version.number for version in listed] == [1, 2]
    assert editor.get(url(JourneyMapVersion, "change", world.v2.pk)).status_code == 200
    outsider = staff_client(other_workspace, Role.EDITOR, "outsider")
    assert list(outsider.get(url(JourneyMapVersion)).context["cl"].result_list) == []
    assert (
        editor.post(url(JourneyMapVersion, "delete", world.v2.pk), {"post": "yes"}).status_code
        == 403
    )
