"""Feedback reports in GraphQL: the request input and mutation, and the result typed.

analytics/feedback/report.py documents the stored JSON; docs/analytics.md defines it.
"""

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
import strawberry_django
from strawberry import UNSET, relay
from strawberry.types import Info

from analytics import models, runner
from analytics.graphql.report_inputs import ReportParametersInput
from analytics.graphql.types import ReportType
from workspaces.access import Scope
from workspaces.graphql.base import current_workspace
from workspaces.graphql.permissions import requires


@strawberry.enum(name="FeedbackGranularity", description="The length of a period's row.")
class FeedbackGranularity(Enum):
    DAY = strawberry.enum_value("day", description="Calendar days (UTC).")
    WEEK = strawberry.enum_value("week", description="ISO weeks, from Monday (UTC).")
    MONTH = strawberry.enum_value("month", description="Calendar months (UTC).")
    QUARTER = strawberry.enum_value("quarter", description="Calendar quarters (UTC).")


@strawberry.input(
    description="Parameters of a feedback report. Every field is optional: left out (or "
    "null), it takes its default."
)
class FeedbackReportInput(ReportParametersInput):
    persona: str | None = strawberry.field(
        default=UNSET, description="Key of a persona: only its accounts' responses count."
    )
    period_from: datetime | None = strawberry.field(
        default=UNSET, description="Only responses at or after this time. Default: all."
    )
    period_to: datetime | None = strawberry.field(
        default=UNSET,
        description="Only responses before this time. Default (and at the latest): the "
        "report's data cut-off.",
    )
    granularity: FeedbackGranularity | None = strawberry.field(
        default=UNSET, description="The periods of byPeriod. Default: MONTH."
    )
    csat_satisfied_min: int | None = strawberry.field(
        default=UNSET,
        description="A CSAT score at or above this counts as satisfied (1 to 10). Default: "
        "4, for the usual 1-5 scale.",
    )
    comment_samples: int | None = strawberry.field(
        default=UNSET, description="The newest comments shown per stage (0 to 20). Default: 3."
    )


@strawberry.type(description="Net Promoter Score of the NPS responses (0-10).")
class NpsMetrics:
    responses: int = strawberry.field(description="NPS responses.")
    promoters: int = strawberry.field(description="Responses scoring 9 or 10.")
    passives: int = strawberry.field(description="Responses scoring 7 or 8.")
    detractors: int = strawberry.field(description="Responses scoring 0 to 6.")
    score: float | None = strawberry.field(
        description="100 x (promoters - detractors) / responses, from -100 to 100; null "
        "without responses."
    )


@strawberry.type(description="Customer satisfaction of the CSAT responses.")
class CsatMetrics:
    responses: int = strawberry.field(description="CSAT responses.")
    satisfied: int = strawberry.field(description="Responses at or above csatSatisfiedMin.")
    percent: float | None = strawberry.field(
        description="100 x satisfied / responses; null without responses."
    )


@strawberry.type(description="The mean score of an instrument's responses.")
class MeanMetrics:
    responses: int = strawberry.field(description="Responses of the instrument.")
    mean: float | None = strawberry.field(
        description="The mean of their scores, as given; null without responses."
    )


@strawberry.type(description="What a group of feedback responses says.")
class FeedbackMetrics:
    responses: int = strawberry.field(description="Responses of every instrument.")
    nps: NpsMetrics = strawberry.field(description="Net Promoter Score.")
    csat: CsatMetrics = strawberry.field(description="Customer satisfaction.")
    ces: MeanMetrics = strawberry.field(description="Customer effort (higher: easier).")
    rating: MeanMetrics = strawberry.field(description="Ratings (e.g. review-site stars).")
    text_responses: int = strawberry.field(description="Responses with a comment only.")
    comments: int = strawberry.field(description="Responses (of any instrument) with a comment.")

    @classmethod
    def of(cls, row: dict[str, Any]) -> "FeedbackMetrics":
        return cls(
            responses=row["responses"],
            nps=NpsMetrics(**row["nps"]),
            csat=CsatMetrics(**row["csat"]),
            ces=MeanMetrics(**row["ces"]),
            rating=MeanMetrics(**row["rating"]),
            text_responses=row["text_responses"],
            comments=row["comments"],
        )


@strawberry.type(description="A comment a customer left, with its response.")
class FeedbackComment:
    occurred_at: datetime = strawberry.field(description="When the customer answered.")
    instrument: str = strawberry.field(description="nps, csat, ces, rating or text.")
    score: float | None = strawberry.field(description="The response's score, if any.")
    comment: str = strawberry.field(description="What the customer wrote.")
    account: relay.GlobalID = strawberry.field(description="The account that answered.")


@strawberry.type(description="The responses of one persona's accounts (or of none).")
class FeedbackPersonaRow:
    persona: str | None = strawberry.field(description="The persona's key; null: no persona.")
    persona_name: str | None = strawberry.field(description="The persona's name.")
    metrics: FeedbackMetrics = strawberry.field(description="What they say.")


@strawberry.type(description="The responses of one period.")
class FeedbackPeriodRow:
    period_start: datetime = strawberry.field(description="The period's first instant (UTC).")
    metrics: FeedbackMetrics = strawberry.field(description="What they say.")


@strawberry.type(
    description="The responses given while the accounts were at a stage of their persona's "
    "published map (from their exit-milestone achievements up to the response). The row "
    "with a null stage holds responses of accounts without a published map."
)
class FeedbackStageRow:
    journey_map: relay.GlobalID | None = strawberry.field(description="The published map.")
    journey_map_name: str | None = strawberry.field(description="Its name.")
    persona: str | None = strawberry.field(description="The key of the map's persona.")
    stage: relay.GlobalID | None = strawberry.field(description="The stage; null: none.")
    stage_position: int | None = strawberry.field(description="Its position in the map.")
    stage_name: str | None = strawberry.field(description="Its name.")
    metrics: FeedbackMetrics = strawberry.field(description="What they say.")
    comment_samples: list[FeedbackComment] = strawberry.field(
        description="The newest comments given at the stage (commentSamples of them)."
    )


def _gid(type_name: str, pk: Any) -> relay.GlobalID | None:
    return None if pk is None else relay.GlobalID(type_name, str(pk))


@strawberry.type(description="The result of a feedback report.")
class FeedbackResult:
    period_from: datetime | None = strawberry.field(description="The period's start, if any.")
    period_to: datetime = strawberry.field(
        description="The period's end: periodTo or the data cut-off, whichever is earlier."
    )
    persona: str | None = strawberry.field(description="The persona filter, if any.")
    granularity: FeedbackGranularity = strawberry.field(description="The periods of byPeriod.")
    csat_satisfied_min: int = strawberry.field(description="The CSAT satisfaction threshold.")
    totals: FeedbackMetrics = strawberry.field(description="All responses of the period.")
    by_persona: list[FeedbackPersonaRow] = strawberry.field(
        description="Per persona of the accounts, by key; accounts without one last."
    )
    by_period: list[FeedbackPeriodRow] = strawberry.field(
        description="Per period with responses, oldest first."
    )
    by_stage: list[FeedbackStageRow] = strawberry.field(
        description="Per stage of each published map (by persona key, then position); the "
        "row without a stage last."
    )

    @classmethod
    def from_report(cls, report: models.Report) -> "FeedbackResult | None":
        if (
            report.kind != models.ReportKind.FEEDBACK
            or report.status != models.Report.Status.SUCCEEDED
            or not report.result
        ):
            return None
        return cls.of(report.result)

    @classmethod
    def of(cls, result: dict[str, Any]) -> "FeedbackResult":
        period = result["period"]
        return cls(
            period_from=datetime.fromisoformat(period["from"]) if period["from"] else None,
            period_to=datetime.fromisoformat(period["to"]),
            persona=result["persona"],
            granularity=FeedbackGranularity(result["granularity"]),
            csat_satisfied_min=result["csat_satisfied_min"],
            totals=FeedbackMetrics.of(result["totals"]),
            by_persona=[
                FeedbackPersonaRow(
                    persona=row["persona"],
                    persona_name=row["persona_name"],
                    metrics=FeedbackMetrics.of(row),
                )
                for row in result["by_persona"]
            ],
            by_period=[
                FeedbackPeriodRow(
                    period_start=datetime.fromisoformat(row["period_start"]),
                    metrics=FeedbackMetrics.of(row),
                )
                for row in result["by_period"]
            ],
            by_stage=[
                FeedbackStageRow(
                    journey_map=_gid("JourneyMap", row["journey_map_id"]),
                    journey_map_name=row["journey_map_name"],
                    persona=row["persona"],
                    stage=_gid("Stage", row["stage_id"]),
                    stage_position=row["stage_position"],
                    stage_name=row["stage_name"],
                    metrics=FeedbackMetrics.of(row),
                    comment_samples=[
                        FeedbackComment(
                            occurred_at=datetime.fromisoformat(sample["occurred_at"]),
                            instrument=sample["instrument"],
                            score=sample["score"],
                            comment=sample["comment"],
                            account=relay.GlobalID("Account", str(sample["account_id"])),
                        )
                        for sample in row["comment_samples"]
                    ],
                )
                for row in result["by_stage"]
            ],
        )


@strawberry.type
class FeedbackReportMutation:
    @strawberry_django.mutation(
        extensions=requires(Scope.ANALYTICS_WRITE),
        description="Request a feedback report: NPS, CSAT and CES of the customers' "
        "responses, in total, per persona, per period and per stage. It is answered at "
        "once, QUEUED, and computed in the background: poll `report(id:)`. Bad parameters "
        "are field errors, and nothing is queued.",
    )
    def feedback_report_request(
        self,
        info: Info,
        input: Annotated[
            FeedbackReportInput, strawberry.argument(description="The report's parameters.")
        ],
    ) -> ReportType:
        return runner.report_request(
            workspace=current_workspace(info),
            kind=models.ReportKind.FEEDBACK,
            parameters=input.to_parameters(),
            requested_by=info.context.request.user,
        )
