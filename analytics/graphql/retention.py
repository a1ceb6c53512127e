"""Retention reports in GraphQL: the request input, the typed result and the mutation.

The lead mounts `RetentionReportMutation` and adds a `Report.retention` field that calls
`RetentionResult.from_report`. ReportType is referenced lazily, so that types.py may
import this module without a cycle.
"""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
import strawberry_django
from django.utils.dateparse import parse_datetime
from strawberry.types import Info

from analytics import models, runner
from analytics.graphql.enums import parameter_enum
from analytics.graphql.report_inputs import ReportParametersInput
from analytics.retention import parameters
from workspaces.access import Scope
from workspaces.graphql.base import current_workspace
from workspaces.graphql.describe import described
from workspaces.graphql.permissions import requires

if TYPE_CHECKING:
    from analytics.graphql.types import ReportType

UNSET = strawberry.UNSET


RetentionPeriod = parameter_enum(
    "RetentionPeriod",
    parameters.PERIODS,
    "The length of a cohort period, in the workspace's time zone: DAY, WEEK (starting "
    "Monday) or MONTH.",
    {"day": "A calendar day.", "week": "A week, Monday to Sunday.", "month": "A calendar month."},
)
RetentionActivity = parameter_enum(
    "RetentionActivity",
    parameters.ACTIVITIES,
    "What counts as activity: ANY interaction, interactions with chosen TOUCHPOINTS or on "
    "chosen CHANNELS, or achievements of chosen MILESTONES (keys in activityKeys).",
    {
        "any": "Any interaction.",
        "touchpoints": "Interactions with the touchpoints named in activityKeys.",
        "channels": "Interactions on the channels named in activityKeys.",
        "milestones": "Achievements of the milestones named in activityKeys.",
    },
)
RetentionBreakdown = parameter_enum(
    "RetentionBreakdown",
    parameters.BREAKDOWNS,
    "What the cohorts are split by: the account's persona, industry or employee-count band.",
    {
        "persona": "The account's persona.",
        "industry": "The account's industry.",
        "employee_count_band": "The account's employee-count band (1-10, 11-50, ...).",
    },
)


@strawberry.input(
    description="Parameters of a retention report. Every field is optional: left out (or "
    "null), it takes its default. Milestones, touchpoints and the persona are named by key."
)
class RetentionReportInput(ReportParametersInput):
    start_milestone: str | None = strawberry.field(
        default=UNSET,
        description="Key of the milestone whose first achievement puts an account in a "
        "cohort. Default: the conversion milestone created first.",
    )
    activity: RetentionActivity | None = strawberry.field(  # type: ignore[valid-type]
        default=UNSET, description="What counts as activity. Default: ANY interaction."
    )
    activity_keys: list[str] | None = strawberry.field(
        default=UNSET,
        description="Touchpoint keys, channel values (e.g. web) or milestone keys, as "
        "activity says; none with ANY.",
    )
    period: RetentionPeriod | None = strawberry.field(  # type: ignore[valid-type]
        default=UNSET, description="Default: WEEK."
    )
    periods: int | None = strawberry.field(
        default=UNSET,
        description="How many cohorts (the last complete periods) and periods after the "
        "start, 1 to 366. Default: 12.",
    )
    as_of: datetime | None = strawberry.field(
        default=UNSET,
        description="Only periods complete before this time are reported. Default (and "
        "at most): the report's data cut-off.",
    )
    persona: str | None = strawberry.field(
        default=UNSET, description="Key of a persona: only its accounts count."
    )
    breakdown: RetentionBreakdown | None = strawberry.field(  # type: ignore[valid-type]
        default=UNSET, description="Split every cohort by this. Default: no split."
    )
    value_milestone: str | None = strawberry.field(
        default=UNSET,
        description="Key of a milestone (e.g. a renewal) whose value is summed per cohort "
        "and period. Default: none.",
    )


@strawberry.type(description="One cohort: the accounts that first started in one period.")
class RetentionCohort:
    group: str = strawberry.field(
        description="The breakdown key (persona key, industry or employee-count band); "
        "empty without a breakdown, and for accounts that have none."
    )
    start: datetime = strawberry.field(description="The cohort period's start (UTC).")
    size: int = strawberry.field(description="Accounts that started, active later or not.")
    retained: list[int] = strawberry.field(
        description="Accounts active in period 0, 1, ... after their start (complete "
        "periods only): period 0 is the rest of the start period."
    )
    rates: list[float | None] = strawberry.field(description="retained / size; null if 0.")
    values: list[float] | None = strawberry.field(
        description="The value milestone's value per period; null without one."
    )


@described(
    retained="Per period k: of them, the accounts active in period k.",
    values="Per period k: the value of the retained accounts' conversions, when asked for.",
)
@strawberry.type(description="The average retention curve, weighted by cohort size.")
class RetentionCurve:
    group: str | None = strawberry.field(description="The breakdown key; null for all.")
    sizes: list[int] = strawberry.field(
        description="Per period k: the accounts of the cohorts for which k is complete."
    )
    retained: list[int]
    rates: list[float | None] = strawberry.field(description="retained / sizes.")
    values: list[float] | None


def _curve(data: dict[str, Any], group: str | None) -> RetentionCurve:
    return RetentionCurve(
        group=group,
        sizes=[int(v) for v in data.get("sizes") or []],
        retained=[int(v) for v in data.get("retained") or []],
        rates=[None if v is None else float(v) for v in data.get("rates") or []],
        values=None if data.get("values") is None else [float(v) for v in data["values"]],
    )


@described(
    period="Length of one period.",
    periods="Number of periods after the cohort's own.",
    as_of="The data cut-off: what the report saw.",
    cohorts_from="Start of the first cohort period.",
    breakdown="What the cohorts are split by; null: not split.",
    notes="Caveats about the data, for people.",
)
@strawberry.type(description="The result of a retention report.")
class RetentionResult:
    period: RetentionPeriod  # type: ignore[valid-type]
    periods: int
    as_of: datetime
    cohorts_from: datetime
    cohorts_to: datetime = strawberry.field(description="End of the last complete period.")
    breakdown: RetentionBreakdown | None  # type: ignore[valid-type]
    cohorts: list[RetentionCohort] = strawberry.field(description="Oldest first, per group.")
    average: RetentionCurve = strawberry.field(description="Over every cohort and group.")
    averages: list[RetentionCurve] = strawberry.field(description="One per breakdown group.")
    notes: list[str]

    @classmethod
    def of(cls, result: dict[str, Any]) -> "RetentionResult":
        return cls(
            period=RetentionPeriod(result["period"]),
            periods=int(result["periods"]),
            as_of=parse_datetime(result["as_of"]),
            cohorts_from=parse_datetime(result["cohorts_from"]),
            cohorts_to=parse_datetime(result["cohorts_to"]),
            breakdown=None
            if not result.get("breakdown")
            else RetentionBreakdown(result["breakdown"]),
            cohorts=[
                RetentionCohort(
                    group=str(c["group"]),
                    start=parse_datetime(c["start"]),
                    size=int(c["size"]),
                    retained=[int(v) for v in c["retained"]],
                    rates=[None if v is None else float(v) for v in c["rates"]],
                    values=None if c.get("values") is None else [float(v) for v in c["values"]],
                )
                for c in result.get("cohorts") or []
            ],
            average=_curve(result.get("average") or {}, None),
            averages=[_curve(a, str(a["group"])) for a in result.get("averages") or []],
            notes=[str(note) for note in result.get("notes") or []],
        )

    @classmethod
    def from_report(cls, report: models.Report) -> "RetentionResult | None":
        """The typed result of a succeeded retention report; None otherwise."""
        if (
            report.kind != models.ReportKind.RETENTION
            or report.status != models.Report.Status.SUCCEEDED
            or not report.result
        ):
            return None
        return cls.of(report.result)


@strawberry.type
class RetentionReportMutation:
    @strawberry_django.mutation(
        extensions=requires(Scope.ANALYTICS_WRITE),
        description="Request a retention report. It is answered at once, QUEUED, and "
        "computed in the background: poll `report(id:)` for its status and progress. Bad "
        "parameters are field errors, and nothing is queued.",
    )
    def retention_report_request(
        self, info: Info, input: RetentionReportInput
    ) -> Annotated["ReportType", strawberry.lazy("analytics.graphql.types")]:
        return runner.report_request(
            workspace=current_workspace(info),
            kind=models.ReportKind.RETENTION,
            parameters=input.to_parameters(),
            requested_by=info.context.request.user,
        )
