"""Journey health on hand-made timelines: status, due date, recorded changes, weekly
counts, and the GraphQL fields, filters and per-map summary."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import AccountStage, AccountStageChange, JourneyHealthPolicy
from accounts.stages import recompute_stages
from journeys.models import JourneyMap
from tests.factories import (
    AccountFactory,
    InteractionFactory,
    JourneyMapFactory,
    MilestoneAchievementFactory,
    MilestoneFactory,
    PersonaFactory,
    StageFactory,
    StageMilestoneFactory,
    TouchpointFactory,
)
from tests.graphql_helpers import gid

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)  # a Monday


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


class Map:
    """A published map of three stages expected to last 10 days, 20 days and open-ended;
    milestones `trial` and `won` exit the first two, `renewed` the last."""

    def __init__(self, workspace, prefix: str = ""):
        self.workspace = workspace
        self.persona = PersonaFactory(workspace=workspace)
        self.map = JourneyMapFactory(
            workspace=workspace, persona=self.persona, status=JourneyMap.Status.PUBLISHED
        )
        self.stages = [
            StageFactory(journey_map=self.map, position=i + 1, expected_duration_days=d)
            for i, d in enumerate([10, 20, None])
        ]
        self.touchpoint = TouchpointFactory(workspace=workspace)
        self.milestones = {}
        for stage, key in zip(self.stages, ["trial", "won", "renewed"], strict=True):
            self.milestones[key] = MilestoneFactory(workspace=workspace, key=prefix + key)
            StageMilestoneFactory(stage=stage, milestone=self.milestones[key])

    def account(self, **fields):
        return AccountFactory(workspace=self.workspace, persona=self.persona, **fields)

    def touch(self, account, day: float):
        InteractionFactory(account=account, touchpoint=self.touchpoint, occurred_at=at(day))

    def reach(self, account, key: str, day: float):
        MilestoneAchievementFactory(
            account=account, milestone=self.milestones[key], occurred_at=at(day)
        )

    def recompute(self, day: float):
        return recompute_stages(workspace=self.workspace, now=at(day))


@pytest.fixture
def journey(workspace):
    return Map(workspace)


def row(account) -> tuple:
    stage = AccountStage.objects.get(account=account)
    return (stage.stage_id, stage.status, stage.due_at, stage.status_since)


def history(account) -> list[tuple]:
    return list(
        AccountStageChange.objects.filter(account=account)
        .order_by("changed_at", "id")
        .values_list("previous_status", "status", "stage_id", "changed_at")
    )


def test_time_in_stage_moves_an_account_from_on_track_to_behind_to_stuck(journey):
    account = journey.account(first_seen_at=T0)
    journey.touch(account, 0)
    journey.touch(account, 8)  # active on day 8: never idle long enough to count
    first = journey.stages[0].pk

    journey.recompute(5)
    assert row(account) == (first, "on_track", at(10), at(8))
    journey.recompute(10)  # exactly due: still on time
    assert row(account)[1] == "on_track"
    journey.recompute(10.5)
    assert row(account) == (first, "behind", at(10), at(10))
    journey.recompute(20.5)  # twice the expected 10 days
    assert row(account) == (first, "stuck", at(10), at(20))

    assert history(account) == [
        ("", "on_track", first, T0),
        ("on_track", "behind", first, at(10)),
        ("behind", "stuck", first, at(20)),
    ]


def test_inactivity_alone_makes_an_account_behind_then_stuck(journey):
    account = journey.account(first_seen_at=T0)
    journey.reach(account, "won", 1)  # now in the open-ended third stage since day 1
    third = journey.stages[2].pk

    journey.recompute(14)
    assert row(account) == (third, "on_track", None, at(1))
    journey.recompute(15.5)  # 14 idle days after day 1
    assert row(account) == (third, "behind", None, at(15))
    journey.recompute(31.5)  # 30 idle days
    assert row(account) == (third, "stuck", None, at(31))

    # New activity puts it back on track; the change is dated by that activity.
    journey.touch(account, 32)
    journey.recompute(33)
    assert row(account) == (third, "on_track", None, at(32))
    assert [h[:2] for h in history(account)] == [
        ("", "on_track"),
        ("on_track", "behind"),
        ("behind", "stuck"),
        ("stuck", "on_track"),
    ]
    assert history(account)[-1][3] == at(32)


def test_entering_the_next_stage_restarts_the_clock(journey):
    account = journey.account(first_seen_at=T0)
    journey.recompute(12)
    assert row(account)[1] == "behind"

    journey.reach(account, "trial", 13)
    journey.recompute(14)

    second = journey.stages[1].pk
    assert row(account) == (second, "on_track", at(33), at(13))
    assert history(account)[-1] == ("behind", "on_track", second, at(13))


def test_an_account_that_finished_the_journey_is_on_track_without_a_due_date(journey):
    account = journey.account(first_seen_at=T0)
    journey.reach(account, "renewed", 2)

    journey.recompute(400)

    assert row(account) == (journey.stages[2].pk, "on_track", None, at(2))


def test_workspace_thresholds_replace_the_defaults(journey, workspace):
    JourneyHealthPolicy.objects.create(
        workspace=workspace,
        stuck_duration_factor=Decimal("1.5"),
        behind_idle_days=3,
        stuck_idle_days=6,
    )
    idle = journey.account(first_seen_at=T0)
    slow = journey.account(first_seen_at=T0)
    for day in range(0, 16, 2):  # active every other day: never idle for 3 days
        journey.touch(slow, day)

    journey.recompute(3.5)
    assert row(idle)[1:] == ("behind", at(10), at(3))
    assert row(slow)[1] == "on_track"
    journey.recompute(15.5)  # 1.5 x 10 days
    assert row(idle)[1:] == ("stuck", at(10), at(6))
    assert row(slow)[1:] == ("stuck", at(10), at(15))


def test_a_recompute_without_change_records_nothing(journey):
    account = journey.account(first_seen_at=T0)
    assert journey.recompute(1) == 1
    assert journey.recompute(2) == 0
    assert len(history(account)) == 1


def test_an_account_leaving_the_map_is_recorded(journey):
    account = journey.account(first_seen_at=T0)
    journey.recompute(1)
    account.persona = None
    account.save()

    journey.recompute(2)

    assert AccountStage.objects.filter(account=account).count() == 0
    assert history(account)[-1] == ("on_track", "", None, at(2))


def test_accounts_stuck_per_week_are_read_from_the_changes(journey):
    from accounts.selectors import accounts_per_week

    early = journey.account(first_seen_at=T0)  # stuck from day 20 on
    late = journey.account(first_seen_at=at(7))  # stuck from day 27 until it moves on day 30
    for day in (11, 21, 31):
        journey.recompute(day)
    journey.reach(late, "trial", 30)
    journey.recompute(31.5)
    # Found behind on day 11, the account had been on track until its due date.
    assert [(h[1], h[3]) for h in history(early)] == [
        ("on_track", T0),
        ("behind", at(10)),
        ("stuck", at(20)),
    ]

    weeks = accounts_per_week(
        workspace=journey.workspace,
        journey_map=journey.map,
        status="stuck",
        since=date(2026, 1, 7),
        weeks=6,
    )

    # Weeks start on Mondays: Jan 5 (days 0-6), 12, 19 (days 14-20), 26 (21-27), Feb 2, 9.
    assert [(w.week_start, w.accounts) for w in weeks] == [
        (date(2026, 1, 5), 0),
        (date(2026, 1, 12), 0),
        (date(2026, 1, 19), 1),  # early, from day 20
        (date(2026, 1, 26), 2),  # and late, from day 27
        (date(2026, 2, 2), 2),  # late was stuck until day 30 (Feb 4)
        (date(2026, 2, 9), 1),
    ]
    assert history(late)[-1] == ("stuck", "on_track", journey.stages[1].pk, at(30))


# GraphQL ----------------------------------------------------------------------------------

CURRENT = """
query($id: ID!) { node(id: $id) { ... on Account {
  currentStages { status dueAt enteredAt statusSince stage { name } }
} } }
"""


def test_account_current_stages_show_health(journey, viewer):
    account = journey.account(first_seen_at=T0)
    journey.recompute(10.5)

    data = viewer(CURRENT, {"id": gid(account)}).data

    assert data["node"]["currentStages"] == [
        {
            "status": "BEHIND",
            "dueAt": "2026-01-15T09:00:00+00:00",
            "enteredAt": "2026-01-05T09:00:00+00:00",
            "statusSince": "2026-01-15T09:00:00+00:00",
            "stage": {"name": journey.stages[0].name},
        }
    ]


FILTERED = """
query($stage: ID, $status: JourneyHealthStatus) {
  accounts(filters: { stage: $stage, stageStatus: $status }) { edges { node { name } } }
}
"""


def names(result) -> list[str]:
    return sorted(edge["node"]["name"] for edge in result.data["accounts"]["edges"])


def test_accounts_filter_by_stage_and_status_in_the_same_row(journey, workspace, viewer):
    other = Map(workspace, prefix="other-")
    behind = journey.account(name="behind", first_seen_at=T0)
    fresh = journey.account(name="fresh", first_seen_at=at(10))
    moved = journey.account(name="moved", first_seen_at=T0)
    journey.reach(moved, "trial", 10)
    elsewhere = other.account(name="elsewhere", first_seen_at=T0)
    recompute_stages(workspace=workspace, now=at(12))
    assert {a.name for a in (behind, fresh, moved, elsewhere)}

    first, second = gid(journey.stages[0]), gid(journey.stages[1])
    assert names(viewer(FILTERED, {"stage": first})) == ["behind", "fresh"]
    assert names(viewer(FILTERED, {"stage": first, "status": "BEHIND"})) == ["behind"]
    assert names(viewer(FILTERED, {"stage": second, "status": "BEHIND"})) == []
    assert names(viewer(FILTERED, {"status": "BEHIND"})) == ["behind", "elsewhere"]
    assert names(viewer(FILTERED, {"status": "ON_TRACK"})) == ["fresh", "moved"]
    assert names(viewer(FILTERED, {"stage": gid(journey.map)})) == []  # not a stage id


SUMMARY = """
query($map: ID!) { journeyHealth(journeyMap: $map) {
  onTrack behind stuck total
  stages { stage { position } onTrack behind stuck total }
} }
"""


def test_the_summary_counts_accounts_per_stage_and_status(journey, viewer):
    for first_seen in (0, 0, 15, 22):  # stuck, stuck, behind, on track on day 25.5
        journey.account(first_seen_at=at(first_seen))
    moved = journey.account(first_seen_at=T0)
    journey.reach(moved, "trial", 3)  # second stage, idle since day 3: behind
    journey.recompute(25.5)

    data = viewer(SUMMARY, {"map": gid(journey.map)}).data["journeyHealth"]

    assert data == {
        "onTrack": 1,
        "behind": 2,
        "stuck": 2,
        "total": 5,
        "stages": [
            {"stage": {"position": 1}, "onTrack": 1, "behind": 1, "stuck": 2, "total": 4},
            {"stage": {"position": 2}, "onTrack": 0, "behind": 1, "stuck": 0, "total": 1},
            {"stage": {"position": 3}, "onTrack": 0, "behind": 0, "stuck": 0, "total": 0},
        ],
    }


WEEKLY = """
query($map: ID!, $weeks: Int!) {
  journeyHealthWeekly(journeyMap: $map, status: STUCK, since: "2026-01-19", weeks: $weeks) {
    weekStart accounts
  }
}
"""


def test_weekly_counts_over_graphql(journey, viewer):
    journey.account(first_seen_at=T0)
    journey.recompute(1)
    journey.recompute(21)

    data = viewer(WEEKLY, {"map": gid(journey.map), "weeks": 2}).data
    assert data["journeyHealthWeekly"] == [
        {"weekStart": "2026-01-19", "accounts": 1},
        {"weekStart": "2026-01-26", "accounts": 1},
    ]

    refused = viewer(WEEKLY, {"map": gid(journey.map), "weeks": 0})
    assert refused.errors[0]["extensions"] == {"code": "OUT_OF_RANGE", "argument": "weeks"}


def test_another_workspaces_map_is_not_found(journey, other_workspace, viewer):
    theirs = Map(other_workspace)

    result = viewer(SUMMARY, {"map": gid(theirs.map)})

    assert result.errors[0]["extensions"] == {"code": "NOT_FOUND", "argument": "journeyMap"}
    assert result.body["data"] is None


# Thresholds in the admin ------------------------------------------------------------------


def test_admins_set_thresholds_in_the_admin_and_health_is_recomputed(
    journey, workspace, django_capture_on_commit_callbacks
):
    from tests.admin_helpers import staff_client
    from workspaces.models import Role

    account = journey.account(first_seen_at=timezone.now() - timedelta(days=5))
    recompute_stages(workspace=workspace)
    assert AccountStage.objects.get(account=account).status == "on_track"
    boss = staff_client(workspace, Role.ADMIN, "boss")

    with django_capture_on_commit_callbacks(execute=True):
        response = boss.post(
            "/admin/accounts/journeyhealthpolicy/add/",
            {
                "workspace": workspace.pk,
                "stuck_duration_factor": "1.5",
                "behind_idle_days": "2",
                "stuck_idle_days": "4",
            },
        )

    assert response.status_code == 302
    assert JourneyHealthPolicy.objects.get().behind_idle_days == 2
    assert AccountStage.objects.get(account=account).status == "stuck"  # 5 days idle


def test_stuck_cannot_come_before_behind(workspace):
    from tests.admin_helpers import staff_client
    from workspaces.models import Role

    boss = staff_client(workspace, Role.ADMIN, "boss")
    response = boss.post(
        "/admin/accounts/journeyhealthpolicy/add/",
        {
            "workspace": workspace.pk,
            "stuck_duration_factor": "2",
            "behind_idle_days": "20",
            "stuck_idle_days": "10",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "stuck_idle_days": ["Must be at least the days idle before behind."]
    }
    assert not JourneyHealthPolicy.objects.exists()


def test_editors_cannot_change_thresholds(workspace):
    from tests.admin_helpers import staff_client
    from workspaces.models import Role

    editor = staff_client(workspace, Role.EDITOR, "ed")
    response = editor.post(
        "/admin/accounts/journeyhealthpolicy/add/",
        {
            "workspace": workspace.pk,
            "stuck_duration_factor": "2",
            "behind_idle_days": "1",
            "stuck_idle_days": "2",
        },
    )
    assert response.status_code == 403
    assert not JourneyHealthPolicy.objects.exists()
