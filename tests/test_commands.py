from collections import Counter
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client

from journeys import demo
from journeys.models import (
    Channel,
    JourneyMap,
    Milestone,
    Persona,
    Phase,
    Stage,
    StageMilestone,
    StageTouchpoint,
    Touchpoint,
)
from tests.factories import UserFactory, WorkspaceFactory
from workspaces.models import Membership, Role, Workspace

pytestmark = pytest.mark.django_db


def run(*args, **options) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


# create_workspace --------------------------------------------------------------------


def test_create_workspace_with_owner_makes_the_owner_admin():
    owner = UserFactory(username="alice")

    out = run("create_workspace", "acme", "--name", "Acme Corp", "--owner", "alice")

    workspace = Workspace.objects.get(slug="acme")
    assert workspace.name == "Acme Corp"
    membership = Membership.objects.get(workspace=workspace)
    assert (membership.user, membership.role) == (owner, Role.ADMIN)
    assert 'Created workspace "Acme Corp" (slug acme' in out
    assert '"alice" as admin' in out


def test_create_workspace_without_owner_has_no_members():
    out = run("create_workspace", "acme", "--name", "Acme Corp")

    workspace = Workspace.objects.get(slug="acme")
    assert not Membership.objects.filter(workspace=workspace).exists()
    assert "Created workspace" in out


def test_create_workspace_duplicate_slug_is_refused_and_writes_nothing():
    existing = WorkspaceFactory(slug="acme", name="Acme")
    UserFactory(username="alice")

    with pytest.raises(CommandError, match=r"slug: .*already exists"):
        run("create_workspace", "acme", "--name", "Another", "--owner", "alice")

    assert list(Workspace.objects.values_list("pk", "name")) == [(existing.pk, "Acme")]
    assert not Membership.objects.exists()


def test_create_workspace_invalid_slug_is_refused_and_writes_nothing():
    UserFactory(username="alice")

    with pytest.raises(CommandError, match=r'"not a slug!": slug: Enter a valid'):
        run("create_workspace", "not a slug!", "--name", "Acme", "--owner", "alice")

    assert not Workspace.objects.exists()
    assert not Membership.objects.exists()


def test_create_workspace_unknown_owner_is_refused_and_writes_nothing():
    with pytest.raises(CommandError, match='No user with username "nobody"'):
        run("create_workspace", "acme", "--name", "Acme", "--owner", "nobody")

    assert not Workspace.objects.exists()


def test_create_workspace_requires_a_name():
    with pytest.raises(CommandError, match="--name"):
        run("create_workspace", "acme")


# seed_demo ---------------------------------------------------------------------------
# The catalogue and maps; tests/test_demo_activity.py covers the accounts and activity.


def demo_workspace() -> Workspace:
    return Workspace.objects.get(slug=demo.WORKSPACE["slug"])


def test_seed_demo_creates_the_catalogue():
    out = run("seed_demo", "--no-activity")

    workspace = demo_workspace()
    assert workspace.name == "Northwind Analytics (demo)"
    assert Persona.objects.filter(workspace=workspace).count() == 3
    assert 20 <= Touchpoint.objects.filter(workspace=workspace).count() <= 30
    assert 8 <= Milestone.objects.filter(workspace=workspace).count() <= 12
    assert "Personas: 3 created, 0 already present" in out
    assert "Journey maps: 4 created, 0 already present" in out
    assert "Log in at /admin/ as demo / demo" in out

    touchpoints = Touchpoint.objects.filter(workspace=workspace)
    assert set(touchpoints.values_list("phase", flat=True)) == set(Phase.values)
    assert len(set(touchpoints.values_list("channel", flat=True))) >= len(Channel.values) - 1
    assert set(touchpoints.values_list("owner_team", flat=True)) == {
        "Marketing",
        "Sales",
        "Customer Success",
        "Product",
        "Support",
    }
    for persona in Persona.objects.filter(workspace=workspace):
        for name in ("role", "department", "seniority", "industry", "headcount_band", "region"):
            assert getattr(persona, name), (persona.key, name)
        for name in ("goals", "pain_points", "objections", "preferred_channels"):
            assert getattr(persona, name), (persona.key, name)

    five_users = Milestone.objects.get(workspace=workspace, key="five-users-added")
    assert five_users.rule == {"touchpoint": "user-invited", "min_count": 5, "within_days": 30}
    assert touchpoints.filter(key="user-invited").exists()
    conversions = Milestone.objects.filter(workspace=workspace, is_conversion=True)
    assert {"paid-plan-purchased", "renewal", "expansion"} <= set(
        conversions.values_list("key", flat=True)
    )
    assert Milestone.objects.get(workspace=workspace, key="paid-plan-purchased").value > 0
    assert Milestone.objects.get(workspace=workspace, key="renewal").value > 0


def test_seed_demo_creates_three_published_maps_and_a_template():
    run("seed_demo", "--no-activity")

    workspace = demo_workspace()
    maps = JourneyMap.objects.filter(workspace=workspace)
    assert maps.count() == 5  # the RevOps map's version 1 is archived
    published = maps.filter(status=JourneyMap.Status.PUBLISHED)
    assert published.count() == 3
    assert published.filter(is_template=False).count() == 3
    assert sorted(jm.stages.count() for jm in published) == [5, 6, 6]
    assert set(published.values_list("persona__key", flat=True)) == {
        spec["key"] for spec in demo.PERSONAS
    }
    stage_names = {
        jm.persona.key: list(jm.stages.values_list("name", flat=True)) for jm in published
    }
    assert stage_names["sales-team-lead"] == [
        "Awareness",
        "Purchase",
        "Onboarding",
        "Adoption",
        "Expansion",
        "Loyalty",
    ]
    assert stage_names["revops-lead"] == [
        "Awareness",
        "Consideration",
        "Decision",
        "Onboarding",
        "Retention",
        "Advocacy",
    ]

    template = maps.get(is_template=True)
    assert template.name == "B2B SaaS journey template"
    assert template.persona is None
    assert template.status == JourneyMap.Status.DRAFT

    for journey_map in published:
        stages = list(journey_map.stages.order_by("position"))
        assert [stage.position for stage in stages] == list(range(1, len(stages) + 1))
        for stage in stages:
            assert stage.touchpoint_placements.exists(), stage
            assert -5 <= stage.emotion_score <= 5, stage
            content = (
                "customer_goal",
                "actions",
                "thoughts",
                "emotion_label",
                "pain_points",
                "opportunities",
                "kpis",
                "owner_team",
                "expected_duration_days",
            )
            missing = [name for name in content if not getattr(stage, name)]
            assert not missing, (journey_map.name, stage.name, missing)
            positions = list(stage.touchpoint_placements.values_list("position", flat=True))
            assert positions == list(range(1, len(positions) + 1))
        for stage in stages[:-1]:
            assert stage.milestone_placements.exists(), stage


def test_seed_demo_exit_milestones_appear_once_per_map():
    run("seed_demo", "--no-activity")

    for journey_map in JourneyMap.objects.filter(workspace=demo_workspace()):
        keys = StageMilestone.objects.filter(journey_map=journey_map).values_list(
            "milestone__key", flat=True
        )
        duplicates = [key for key, n in Counter(keys).items() if n > 1]
        assert keys, journey_map.name
        assert not duplicates, (journey_map.name, duplicates)
        assert set(
            StageMilestone.objects.filter(journey_map=journey_map).values_list(
                "stage__journey_map", flat=True
            )
        ) == {journey_map.pk}


def test_seed_demo_user_can_log_in_to_the_admin():
    run("seed_demo", "--no-activity")

    user = get_user_model().objects.get(username="demo")
    assert user.is_staff
    assert user.is_superuser
    assert user.is_active
    membership = Membership.objects.get(workspace=demo_workspace(), user=user)
    assert membership.role == Role.ADMIN

    client = Client()
    assert client.login(username="demo", password="demo")
    assert client.get("/admin/").status_code == 200


def test_seed_demo_custom_credentials():
    out = run("seed_demo", "--no-activity", "--username", "showcase", "--password", "s3cret-pass")

    assert Client().login(username="showcase", password="s3cret-pass")
    assert not get_user_model().objects.filter(username="demo").exists()
    assert "as showcase / s3cret-pass" in out


def test_seed_demo_promotes_an_existing_user_and_resets_the_password():
    UserFactory(username="demo", password="something-else")

    out = run("seed_demo", "--no-activity")

    user = get_user_model().objects.get(username="demo")
    assert user.is_superuser
    assert user.is_staff
    assert user.check_password("demo")
    assert "Demo user: 0 created, 1 updated" in out


SNAPSHOT_MODELS = (
    get_user_model(),
    Workspace,
    Membership,
    Persona,
    Touchpoint,
    Milestone,
    JourneyMap,
    Stage,
    StageTouchpoint,
    StageMilestone,
)


def snapshot() -> dict[str, list[dict]]:
    """Every row of every model the seed writes, all fields, timestamps included."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values()) for model in SNAPSHOT_MODELS
    }


def test_seed_demo_twice_changes_nothing():
    run("seed_demo", "--no-activity")
    before = snapshot()

    out = run("seed_demo", "--no-activity")

    assert snapshot() == before
    assert "Touchpoints: 0 created, " in out
    assert f"{len(demo.TOUCHPOINTS)} already present" in out
    assert "Journey maps: 0 created, 4 already present" in out
    assert "updated" not in out


def test_seed_demo_restores_edited_catalogue_rows_and_leaves_maps_alone():
    run("seed_demo", "--no-activity")
    workspace = demo_workspace()
    Touchpoint.objects.filter(workspace=workspace, key="pricing-page").update(name="Prices")
    Touchpoint.objects.filter(workspace=workspace, key="webinar").delete()
    stage = Stage.objects.filter(workspace=workspace).first()
    Stage.objects.filter(pk=stage.pk).update(name="Renamed by a user")

    out = run("seed_demo", "--no-activity")

    assert Touchpoint.objects.get(workspace=workspace, key="pricing-page").name == "Pricing page"
    assert Touchpoint.objects.filter(workspace=workspace, key="webinar").exists()
    assert "Touchpoints: 1 created, 1 updated" in out
    stage.refresh_from_db()
    assert stage.name == "Renamed by a user"
    assert JourneyMap.objects.filter(workspace=workspace).count() == 5


def test_seed_demo_uses_an_existing_demo_workspace():
    workspace = WorkspaceFactory(slug="demo", name="Our demo")

    run("seed_demo", "--no-activity")

    assert Workspace.objects.filter(slug="demo").get() == workspace
    assert Membership.objects.get(workspace=workspace, user__username="demo").role == Role.ADMIN
    assert Persona.objects.filter(workspace=workspace).count() == 3


def test_seed_demo_rows_are_all_in_the_demo_workspace():
    other = WorkspaceFactory(slug="acme")

    run("seed_demo", "--no-activity")

    for model in (Persona, Touchpoint, Milestone, JourneyMap, Stage, StageTouchpoint):
        assert not model.objects.filter(workspace=other).exists()
        assert model.objects.filter(workspace=demo_workspace()).exists()


def test_seed_demo_places_every_catalogue_touchpoint_somewhere():
    run("seed_demo", "--no-activity")

    placed = set(
        StageTouchpoint.objects.filter(
            workspace=demo_workspace(), stage__journey_map__status=JourneyMap.Status.PUBLISHED
        ).values_list("touchpoint__key", flat=True)
    )
    assert placed == {spec["key"] for spec in demo.TOUCHPOINTS}


def test_seed_demo_failure_rolls_everything_back(monkeypatch):
    broken = {
        **demo.MILESTONES[0],
        "key": "broken",
        "rule": {"touchpoint": "no-such-touchpoint", "min_count": 1, "within_days": 1},
    }
    monkeypatch.setattr(demo, "MILESTONES", (*demo.MILESTONES, broken))

    with pytest.raises(CommandError, match="rule: Unknown touchpoint key 'no-such-touchpoint'"):
        run("seed_demo")

    assert not Workspace.objects.exists()
    assert not get_user_model().objects.exists()
    assert not Touchpoint.objects.exists()
