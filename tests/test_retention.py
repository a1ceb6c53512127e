"""Retention cohorts: small fixtures whose cohort triangles are worked out by hand (in the
comments), through the report kind's parse and compute. Runs on SQLite and on PostgreSQL
(scripts/with-postgres.sh)."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from analytics.registry import RunContext, spec_for
from analytics.retention.compute import period_start, shift
from journeys.models import Channel
from tests.factories import (
    AccountFactory,
    InteractionFactory,
    MilestoneAchievementFactory,
    MilestoneFactory,
    PersonaFactory,
    TouchpointFactory,
)

pytestmark = pytest.mark.django_db
SPEC = spec_for("retention")
RECEIVED = datetime(2024, 1, 1, tzinfo=UTC)  # every event is received early, unless told
CUTOFF = datetime(2030, 1, 1, tzinfo=UTC)


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=UTC)


def run(workspace, cutoff=CUTOFF, **raw):
    parameters = SPEC.parse(workspace, raw)
    return SPEC.compute(RunContext(workspace, parameters, cutoff, lambda percent: None))


def table(result, group=""):
    """{cohort start date: (size, retained, rates)} of one group."""
    return {
        cohort["start"][:10]: (cohort["size"], cohort["retained"], cohort["rates"])
        for cohort in result["cohorts"]
        if cohort["group"] == group
    }


class World:
    def __init__(self, workspace):
        self.workspace = workspace
        self.start = MilestoneFactory(workspace=workspace, key="paid", is_conversion=True)
        self.login = MilestoneFactory(workspace=workspace, key="login")
        self.renewal = MilestoneFactory(workspace=workspace, key="renewal", value=50)
        self.web = TouchpointFactory(workspace=workspace, key="docs", channel=Channel.WEB)
        self.mail = TouchpointFactory(workspace=workspace, key="newsletter", channel=Channel.EMAIL)
        self.accounts = {}

    def account(self, name, **fields):
        if name not in self.accounts:
            self.accounts[name] = AccountFactory(workspace=self.workspace, name=name, **fields)
        return self.accounts[name]

    def reach(self, name, when, milestone=None, value=None, received=RECEIVED):
        MilestoneAchievementFactory(
            account=self.account(name),
            milestone=milestone or self.start,
            occurred_at=when,
            received_at=received,
            value=value,
        )

    def touch(self, name, when, touchpoint=None, received=RECEIVED):
        InteractionFactory(
            account=self.account(name),
            touchpoint=touchpoint or self.web,
            occurred_at=when,
            received_at=received,
        )


# Weeks ----------------------------------------------------------------------------------

# As of Wednesday 2024-03-13 12:00, the last complete week is Monday 03-04 to Sunday
# 03-10; with 3 periods the cohorts are the weeks of 02-19, 02-26 and 03-04.
WEEKLY_AS_OF = "2024-03-13T12:00:00+00:00"


@pytest.fixture
def weekly(workspace):
    w = World(workspace)
    # A starts Tue 02-20 10:00. Touch at 09:00 that day: before its start, not counted.
    # Sun 02-25 23:00: same Monday-based week -> period 0. Mon 03-04 00:00 -> period 2.
    # Tue 03-12: the week of 03-11 is not complete -> not reported.
    w.reach("A", at(2, 20, 10))
    for when in (at(2, 20, 9), at(2, 25, 23), at(3, 4), at(3, 12)):
        w.touch("A", when)
    # B starts Wed 02-21 and never shows up again: in the cohort, never retained.
    w.reach("B", at(2, 21))
    # C starts Mon 02-26 00:00; a touch at that very moment is not strictly after it;
    # Sun 03-03 23:59 -> period 0. A second start later changes nothing.
    w.reach("C", at(2, 26))
    w.reach("C", at(3, 5))
    w.touch("C", at(2, 26))
    w.touch("C", at(3, 3, 23, 59))
    # D starts Sun 03-10 12:00, active Mon 03-11 (incomplete week): size 1, retained 0.
    w.reach("D", at(3, 10, 12))
    w.touch("D", at(3, 11))
    # E started before the window (02-10): in no cohort, though active in it.
    w.reach("E", at(2, 10))
    w.reach("E", at(2, 20))
    w.touch("E", at(2, 27))
    # F starts in the incomplete week: in no cohort.
    w.reach("F", at(3, 12))
    # G never reaches the start milestone: in no cohort.
    w.touch("G", at(2, 27))
    return w


def test_weekly_triangle_period_zero_and_incomplete_last_period(workspace, weekly):
    result = run(workspace, period="week", periods=3, as_of=WEEKLY_AS_OF)
    assert result["cohorts_from"] == "2024-02-19T00:00:00+00:00"
    assert result["cohorts_to"] == "2024-03-11T00:00:00+00:00"
    assert table(result) == {
        "2024-02-19": (2, [1, 0, 1], [0.5, 0.0, 0.5]),
        "2024-02-26": (1, [1, 0], [1.0, 0.0]),
        "2024-03-04": (1, [0], [0.0]),
    }
    # Weighted by size: period 0 over 2 + 1 + 1 accounts, period 1 over 3, period 2 over 2.
    assert result["average"] == {
        "sizes": [4, 3, 2],
        "retained": [2, 1 - 1, 1],
        "rates": [0.5, 0.0, 0.5],
    }
    assert result["averages"] == [{"group": "", **result["average"]}]
    assert result["notes"] == []


def test_weeks_start_on_monday():
    sunday, monday = at(3, 10, 23, 59), at(3, 11)
    assert period_start(sunday, "week") == at(3, 4)
    assert period_start(monday, "week") == at(3, 11)
    assert shift(at(3, 4), "week", -2) == at(2, 19)


def test_as_of_at_a_period_boundary_counts_the_period_that_just_ended(workspace, weekly):
    # As of Mon 03-11 00:00 exactly, the week of 03-04 is complete: same triangle.
    result = run(workspace, period="week", periods=3, as_of="2024-03-11T00:00:00+00:00")
    assert table(result)["2024-03-04"] == (1, [0], [0.0])
    # One second earlier, the last complete week is 02-26: D's cohort is not reported.
    result = run(workspace, period="week", periods=2, as_of="2024-03-10T23:59:59+00:00")
    assert table(result) == {
        "2024-02-19": (2, [1, 0], [0.5, 0.0]),
        "2024-02-26": (1, [1], [1.0]),
    }


def test_as_of_defaults_to_the_cutoff_and_late_data_is_left_out(workspace, weekly):
    # A's period-0 touch arrives after the cut-off: only its period-2 touch counts.
    weekly.touch("B", at(2, 22), received=at(3, 13, 13))
    result = run(workspace, cutoff=at(3, 13, 12), period="week", periods=3)
    assert result["as_of"] == "2024-03-13T12:00:00+00:00"
    assert table(result)["2024-02-19"] == (2, [1, 0, 1], [0.5, 0.0, 0.5])
    # An as-of after the cut-off falls back to the cut-off, with a note.
    later = run(
        workspace, cutoff=at(3, 13, 12), period="week", periods=3, as_of="2025-01-01T00:00:00Z"
    )
    assert later["as_of"] == "2024-03-13T12:00:00+00:00"
    assert len(later["notes"]) == 1


def test_day_periods(workspace, weekly):
    # As of 02-22 00:00 with 3 days: cohorts 02-19 (empty), 02-20 (A), 02-21 (B).
    # A: 02-20 09:00 is before its start; no other touch before 02-22.
    result = run(workspace, period="day", periods=3, as_of="2024-02-22T00:00:00Z")
    assert table(result) == {
        "2024-02-19": (0, [0, 0, 0], [None, None, None]),
        "2024-02-20": (1, [0, 0], [0.0, 0.0]),
        "2024-02-21": (1, [0], [0.0]),
    }
    assert result["average"]["rates"] == [0.0, 0.0, None]


# Activity kinds -------------------------------------------------------------------------


def test_activity_by_touchpoint_and_channel(workspace):
    w = World(workspace)
    w.reach("A", at(3, 4))
    w.touch("A", at(3, 5), touchpoint=w.mail)  # period 0 by email
    w.touch("A", at(3, 12), touchpoint=w.web)  # period 1 on the web
    as_of = "2024-03-20T00:00:00Z"  # weeks 03-04 and 03-11 complete
    expected = [
        ("any", None, [1, 1]),
        ("touchpoints", ["newsletter"], [1, 0]),
        ("channels", ["web"], [0, 1]),
        ("milestones", ["login"], [0, 0]),
    ]
    for activity, keys, retained in expected:
        result = run(
            workspace, period="week", periods=2, as_of=as_of, activity=activity, activity_keys=keys
        )
        assert table(result)["2024-03-04"][1] == retained, activity


# Months and value retention ---------------------------------------------------------------


def test_months_with_milestone_activity_and_value_retention(workspace):
    w = World(workspace)
    # As of 04-15 with 3 months: cohorts January, February, March.
    # H starts 01-31 23:00, logs in 02-01 00:30 -> period 1; renews 02-15 for 100
    # (period 1) and 03-15 without a value -> the milestone's 50 (period 2).
    w.reach("H", at(1, 31, 23))
    w.reach("H", at(2, 1, 0, 30), milestone=w.login)
    w.reach("H", at(2, 15), milestone=w.renewal, value=100)
    w.reach("H", at(3, 15), milestone=w.renewal)
    # I starts 03-01, logs in 03-31 23:59 -> period 0; renews 04-02 (incomplete month).
    w.reach("I", at(3, 1))
    w.reach("I", at(3, 31, 23, 59), milestone=w.login)
    w.reach("I", at(4, 2), milestone=w.renewal, value=70)
    # J starts in February, only interactions (not activity here) and no renewal.
    w.reach("J", at(2, 10))
    w.touch("J", at(2, 11))
    result = run(
        workspace,
        period="month",
        periods=3,
        as_of="2024-04-15T00:00:00Z",
        activity="milestones",
        activity_keys=["login"],
        value_milestone="renewal",
    )
    assert table(result) == {
        "2024-01-01": (1, [0, 1, 0], [0.0, 1.0, 0.0]),
        "2024-02-01": (1, [0, 0], [0.0, 0.0]),
        "2024-03-01": (1, [1], [1.0]),
    }
    values = {cohort["start"][:10]: cohort["values"] for cohort in result["cohorts"]}
    assert values == {
        "2024-01-01": [0.0, 100.0, 50.0],
        "2024-02-01": [0.0, 0.0],
        "2024-03-01": [0.0],
    }
    assert result["average"] == {
        "sizes": [3, 2, 1],
        "retained": [1, 1, 0],
        "rates": [1 / 3, 0.5, 0.0],
        "values": [0.0, 100.0, 50.0],
    }


def test_month_shift_crosses_years():
    assert shift(datetime(2024, 2, 1, tzinfo=UTC), "month", -3) == datetime(2023, 11, 1, tzinfo=UTC)
    assert period_start(datetime(2024, 2, 29, 23, 59, tzinfo=UTC), "month") == at(2, 1)


# Breakdowns and the persona filter --------------------------------------------------------


@pytest.fixture
def segmented(workspace):
    w = World(workspace)
    smb = PersonaFactory(workspace=workspace, key="smb")
    ent = PersonaFactory(workspace=workspace, key="ent")
    w.account("A", persona=smb, industry="saas", employee_count=8)
    w.account("B", persona=smb, industry="retail", employee_count=50)
    w.account("C", persona=ent, industry="saas", employee_count=7000)
    w.account("D", industry="saas")
    # All start in the week of 03-04; A and C come back the week after; D in week 0.
    for name in "ABCD":
        w.reach(name, at(3, 5))
    w.touch("A", at(3, 12))
    w.touch("C", at(3, 13))
    w.touch("D", at(3, 6))
    return w


BREAKDOWN_AS_OF = "2024-03-18T00:00:00Z"  # weeks 03-04 and 03-11 complete


@pytest.mark.parametrize(
    ("breakdown", "expected"),
    [
        (
            "persona",
            {"": (1, [1]), "ent": (1, [0, 1]), "smb": (2, [0, 1])},
        ),
        (
            "industry",
            {"retail": (1, [0, 0]), "saas": (3, [1, 2])},
        ),
        (
            "employee_count_band",
            {"": (1, [1, 0]), "1-10": (1, [0, 1]), "11-50": (1, [0, 0]), "5001+": (1, [0, 1])},
        ),
    ],
)
def test_breakdowns(workspace, segmented, breakdown, expected):
    result = run(workspace, period="week", periods=2, as_of=BREAKDOWN_AS_OF, breakdown=breakdown)
    groups = {}
    for cohort in result["cohorts"]:
        if cohort["start"].startswith("2024-03-04"):
            groups[cohort["group"]] = (cohort["size"], cohort["retained"])
    # Every group lists every cohort; the week of 03-11 is empty in each.
    assert len(result["cohorts"]) == 2 * len(groups)
    expected = {
        group: (size, retained + [0] * (2 - len(retained)))
        for group, (size, retained) in expected.items()
    }
    assert groups == expected
    by_group = {a["group"]: a for a in result["averages"]}
    assert sorted(by_group) == sorted(expected)
    # Period 1 is complete for the cohort of 03-04 only: 4 accounts, A and C back.
    assert result["average"]["sizes"] == [4, 4]
    assert result["average"]["retained"] == [1, 2]
    assert result["average"]["rates"] == [0.25, 0.5]


def test_persona_filter(workspace, segmented):
    result = run(workspace, period="week", periods=2, as_of=BREAKDOWN_AS_OF, persona="smb")
    assert table(result)["2024-03-04"] == (2, [0, 1], [0.0, 0.5])


def test_deleted_persona_matches_nothing(workspace, segmented):
    parameters = SPEC.parse(workspace, {"persona": "smb", "as_of": BREAKDOWN_AS_OF})
    segmented.accounts["A"].persona.delete()
    context = RunContext(workspace, parameters, CUTOFF, lambda percent: None)
    result = SPEC.compute(context)
    assert result["average"]["sizes"] == [0] * 12
    assert result["notes"]


# Parameters -------------------------------------------------------------------------------


def test_defaults_start_with_the_earliest_created_conversion_milestone(workspace):
    MilestoneFactory(workspace=workspace, key="zeta", is_conversion=True)
    MilestoneFactory(workspace=workspace, key="alpha", is_conversion=True)
    MilestoneFactory(workspace=workspace, key="before", is_conversion=False)
    assert SPEC.parse(workspace, {}) == {
        "start_milestone": "zeta",
        "activity": "any",
        "activity_keys": None,
        "period": "week",
        "periods": 12,
        "as_of": None,
        "persona": None,
        "breakdown": None,
        "value_milestone": None,
    }


def test_parameter_errors_name_the_fields(workspace):
    TouchpointFactory(workspace=workspace, key="docs")
    with pytest.raises(ValidationError) as raised:
        SPEC.parse(
            workspace,
            {
                "period": "year",
                "periods": 0,
                "activity": "touchpoints",
                "activity_keys": ["docs", "nope"],
                "as_of": "2024-01-01T00:00:00",
                "persona": "nobody",
                "breakdown": "region",
                "value_milestone": "nope",
                "colour": "blue",
            },
        )
    assert sorted(raised.value.message_dict) == [
        "activityKeys",
        "asOf",
        "breakdown",
        "colour",
        "period",
        "periods",
        "persona",
        "startMilestone",
        "valueMilestone",
    ]
    MilestoneFactory(workspace=workspace, key="paid", is_conversion=True)
    with pytest.raises(ValidationError) as raised:
        SPEC.parse(workspace, {"activity": "channels", "activity_keys": ["web", "fax"]})
    assert list(raised.value.message_dict) == ["activityKeys"]
    with pytest.raises(ValidationError) as raised:
        SPEC.parse(workspace, {"activity": "milestones"})
    assert list(raised.value.message_dict) == ["activityKeys"]


def test_other_workspaces_do_not_count(workspace, other_workspace, weekly):
    other = World(other_workspace)
    other.reach("X", at(2, 20))
    other.touch("X", at(2, 21))
    assert run(other_workspace, period="week", periods=3, as_of=WEEKLY_AS_OF)["average"][
        "retained"
    ] == [1, 0, 0]
    assert table(run(workspace, period="week", periods=3, as_of=WEEKLY_AS_OF))["2024-02-19"][0] == 2


# The typed result (the GraphQL wiring itself is the lead's) --------------------------------


def test_typed_result_from_report_and_schema(workspace, weekly):
    import strawberry

    from analytics.graphql.retention import (
        RetentionReportInput,
        RetentionReportMutation,
        RetentionResult,
    )
    from analytics.models import Report

    parameters = SPEC.parse(workspace, {"period": "week", "periods": 3, "as_of": WEEKLY_AS_OF})
    result = SPEC.compute(RunContext(workspace, parameters, CUTOFF, lambda percent: None))
    report = Report(
        workspace=workspace,
        kind="retention",
        parameters=parameters,
        status=Report.Status.SUCCEEDED,
        result=result,
        data_cutoff=CUTOFF,
    )
    typed = RetentionResult.from_report(report)
    assert [c.retained for c in typed.cohorts] == [[1, 0, 1], [1, 0], [0]]
    assert typed.average.rates == [0.5, 0.0, 0.5]
    assert typed.cohorts[0].values is None
    report.status = Report.Status.RUNNING
    assert RetentionResult.from_report(report) is None
    report.status, report.kind = Report.Status.SUCCEEDED, "attribution"
    assert RetentionResult.from_report(report) is None
    assert RetentionReportInput(periods=4, activity_keys=None).to_parameters() == {"periods": 4}

    @strawberry.type
    class Query:
        retention: RetentionResult | None = None

    sdl = str(strawberry.Schema(query=Query, mutation=RetentionReportMutation))
    assert (
        "retentionReportRequest(input: RetentionReportInput!): RetentionReportRequestPayload!"
        in sdl
    )
    assert "union RetentionReportRequestPayload = Report | OperationInfo" in sdl
