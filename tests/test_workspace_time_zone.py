"""A workspace's time zone sets the days, weeks and months of its cohorts and the local
time of its schedules (default UTC)."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from analytics.registry import RunContext, spec_for
from analytics.services import next_run_after
from tests.factories import AccountFactory, MilestoneAchievementFactory, MilestoneFactory
from workspaces.models import Workspace

pytestmark = pytest.mark.django_db
BERLIN = ZoneInfo("Europe/Berlin")


def _cohorts(workspace):
    start = MilestoneFactory(workspace=workspace, key="paid")
    login = MilestoneFactory(workspace=workspace, key="login")
    account = AccountFactory(workspace=workspace)
    received = datetime(2024, 1, 1, tzinfo=UTC)
    # Paid at 23:30 UTC on 31 January, which is 00:30 on 1 February in Berlin; logs in
    # mid-February.
    for milestone, when in ((start, datetime(2024, 1, 31, 23, 30)), (login, datetime(2024, 2, 15))):
        MilestoneAchievementFactory(
            account=account,
            milestone=milestone,
            occurred_at=when.replace(tzinfo=UTC),
            received_at=received,
        )
    spec = spec_for("retention")
    parameters = spec.parse(
        workspace,
        {
            "start_milestone": "paid",
            "period": "month",
            "periods": 3,
            "as_of": "2024-04-15T00:00:00Z",
            "activity": "milestones",
            "activity_keys": ["login"],
        },
    )
    result = spec.compute(
        RunContext(workspace, parameters, datetime(2030, 1, 1, tzinfo=UTC), lambda _: None)
    )
    return {c["start"]: (c["size"], c["retained"]) for c in result["cohorts"]}, result


def test_a_cohort_boundary_follows_the_workspace_time_zone(workspace):
    utc, _ = _cohorts(workspace)
    assert utc == {
        "2024-01-01T00:00:00+00:00": (1, [0, 1, 0]),
        "2024-02-01T00:00:00+00:00": (0, [0, 0]),
        "2024-03-01T00:00:00+00:00": (0, [0]),
    }


def test_the_same_events_in_berlin_fall_in_the_next_month(db):
    workspace = Workspace.objects.create(slug="berlin", name="Berlin", time_zone="Europe/Berlin")
    berlin, result = _cohorts(workspace)
    assert berlin == {
        "2024-01-01T00:00:00+01:00": (0, [0, 0, 0]),
        "2024-02-01T00:00:00+01:00": (1, [1, 0]),
        "2024-03-01T00:00:00+01:00": (0, [0]),
    }
    assert result["cohorts_to"] == "2024-04-01T00:00:00+02:00"  # summer time by April


def test_a_daily_schedule_keeps_its_local_time_across_daylight_saving():
    # 04:00 in Berlin on 28 March 2026 (UTC+1); summer time starts on the 29th (UTC+2).
    previous = datetime(2026, 3, 28, 4, tzinfo=BERLIN)
    now = datetime(2026, 3, 28, 3, 30, tzinfo=UTC)
    following = next_run_after(previous, "daily", now, BERLIN)
    assert following == datetime(2026, 3, 29, 2, tzinfo=UTC)  # 04:00 CEST
    assert following.astimezone(BERLIN).hour == 4
    # In UTC the same schedule stays at 03:00 UTC.
    assert next_run_after(previous, "daily", now) == datetime(2026, 3, 29, 3, tzinfo=UTC)


def test_an_unknown_time_zone_is_refused(db):
    workspace = Workspace(slug="x", name="X", time_zone="Mars/Olympus")
    with pytest.raises(ValidationError) as error:
        workspace.full_clean()
    assert error.value.message_dict["time_zone"] == [
        "Unknown time zone 'Mars/Olympus': use an IANA name such as Europe/Berlin or UTC."
    ]
    assert Workspace(slug="y", name="Y").time_zone == "UTC"


def test_the_time_zone_is_readable_over_graphql(viewer, workspace):
    workspace.time_zone = "America/New_York"
    workspace.save()
    data = viewer("{ me { workspace { slug timeZone } } }").data
    assert data["me"]["workspace"] == {"slug": "acme", "timeZone": "America/New_York"}
