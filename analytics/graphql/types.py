"""Reports, saved definitions and spend as GraphQL types, and attribution results typed.

A report's result is stored as JSON (analytics/attribution/report.py documents its
shape); `Report.attribution` reads it into the types below, so clients select the rows
they need instead of parsing a blob.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
import strawberry_django
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from strawberry import auto
from strawberry_django.relay import DjangoListConnection

from analytics import models
from analytics.graphql.enums import (
    AttributionDimension,
    AttributionModel,
    MarkovState,
    PositionPreset,
    ReportKind,
    ReportSchedule,
    ReportStatus,
)
from analytics.graphql.filters import (
    ReportDefinitionFilter,
    ReportDefinitionOrder,
    ReportFilter,
    ReportOrder,
    SpendFilter,
    SpendOrder,
)
from journeys.graphql.types import TouchpointType
from workspaces.access import Scope
from workspaces.graphql.base import WorkspaceNode

if TYPE_CHECKING:
    from analytics.graphql.feedback import FeedbackResult
    from analytics.graphql.funnel import FunnelResult
    from analytics.graphql.map_fit import MapFitResult
    from analytics.graphql.map_versions import MapVersionsResult
    from analytics.graphql.paths import PathsResult
    from analytics.graphql.retention import RetentionResult

# Attribution parameters, typed ------------------------------------------------------------


def _datetime(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


@strawberry.type(
    description="Parameters of an attribution report, by the names of "
    "AttributionReportInput. On a report they are complete (defaults filled in, the "
    "position preset resolved to positionFirst and positionLast); on a definition they "
    "are the ones given, and null fields take their defaults at each run."
)
class AttributionParameters:
    models: list[AttributionModel] | None
    conversion_milestones: list[str] | None
    lookback_days: int | None
    conversions_from: datetime | None
    conversions_to: datetime | None
    persona: str | None
    dimensions: list[AttributionDimension] | None
    half_life_days: float | None
    position_preset: PositionPreset | None
    position_first: float | None
    position_last: float | None
    lead_milestone: str | None
    opportunity_milestone: str | None
    markov_order: int | None
    markov_state: MarkovState | None

    @classmethod
    def of(cls, stored: dict[str, Any]) -> "AttributionParameters":
        def values(name: str, enum) -> list | None:
            given = stored.get(name)
            return None if given is None else [enum(value) for value in given]

        def one(name: str, enum):
            given = stored.get(name)
            return None if given is None else enum(given)

        return cls(
            models=values("models", AttributionModel),
            conversion_milestones=stored.get("conversion_milestones"),
            lookback_days=stored.get("lookback_days"),
            conversions_from=_datetime(stored.get("conversions_from")),
            conversions_to=_datetime(stored.get("conversions_to")),
            persona=stored.get("persona"),
            dimensions=values("dimensions", AttributionDimension),
            half_life_days=_float(stored.get("half_life_days")),
            position_preset=one("position_preset", PositionPreset),
            position_first=_float(stored.get("position_first")),
            position_last=_float(stored.get("position_last")),
            lead_milestone=stored.get("lead_milestone"),
            opportunity_milestone=stored.get("opportunity_milestone"),
            markov_order=stored.get("markov_order"),
            markov_state=one("markov_state", MarkovState),
        )


# Attribution results, typed ----------------------------------------------------------------


@strawberry.type(description="What the report covered.")
class AttributionTotals:
    conversions: int
    value: float = strawberry.field(description="The conversions' total value (revenue).")
    converting_journeys: int
    non_converting_journeys: int
    touches: int


@strawberry.type(
    description="The credit one touchpoint, channel, campaign, stage or persona earned "
    "under one model. A model's rows of one dimension add up to the totals."
)
class AttributionRow:
    dimension: AttributionDimension
    key: str
    label: str
    conversions: float = strawberry.field(description="Conversions credited (fractional).")
    value: float = strawberry.field(description="Value (revenue) credited.")
    touches: int
    spend: float | None = strawberry.field(description="Spend recorded for it, if any.")
    cost_per_conversion: float | None
    roi: float | None = strawberry.field(description="(value - spend) / spend.")


@strawberry.type(description="How many conversions are lost when a state is removed.")
class AttributionRemovalEffect:
    state: str
    removal_effect: float


@strawberry.type(description="One model's credited rows.")
class AttributionModelResult:
    model: AttributionModel
    removal_effects: list[AttributionRemovalEffect] = strawberry.field(
        description="Markov models: each state's removal effect; empty for other models."
    )
    _rows: strawberry.Private[list[AttributionRow]]

    @strawberry.field(
        description="The rows, of one dimension or of all. Data-driven models (MARKOV, "
        "SHAPLEY) credit their Markov state's dimension only."
    )
    def rows(self, dimension: AttributionDimension | None = None) -> list[AttributionRow]:
        if dimension is None:
            return self._rows
        return [row for row in self._rows if row.dimension == dimension]


def _row(row: dict[str, Any]) -> AttributionRow:
    return AttributionRow(
        dimension=AttributionDimension(row["dimension"]),
        key=str(row["key"]),
        label=str(row.get("label") or row["key"]),
        conversions=float(row.get("conversions") or 0),
        value=float(row.get("value") or 0),
        touches=int(row.get("touches") or 0),
        spend=_float(row.get("spend")),
        cost_per_conversion=_float(row.get("cost_per_conversion")),
        roi=_float(row.get("roi")),
    )


@strawberry.type(description="The result of an attribution report.")
class AttributionResult:
    totals: AttributionTotals
    notes: list[str] = strawberry.field(description="Caveats about the data, for people.")
    _models: strawberry.Private[list[AttributionModelResult]]

    @strawberry.field(description="One entry per model computed, in the order of the input.")
    def models(self, model: AttributionModel | None = None) -> list[AttributionModelResult]:
        if model is None:
            return self._models
        return [entry for entry in self._models if entry.model == model]

    @classmethod
    def of(cls, result: dict[str, Any]) -> "AttributionResult":
        totals = result.get("totals") or {}
        return cls(
            totals=AttributionTotals(
                conversions=int(totals.get("conversions") or 0),
                value=float(totals.get("value") or 0),
                converting_journeys=int(totals.get("converting_journeys") or 0),
                non_converting_journeys=int(totals.get("non_converting_journeys") or 0),
                touches=int(totals.get("touches") or 0),
            ),
            notes=[str(note) for note in result.get("notes") or []],
            _models=[
                AttributionModelResult(
                    model=AttributionModel(entry["model"]),
                    removal_effects=[
                        AttributionRemovalEffect(
                            state=str(effect["state"]),
                            removal_effect=float(effect["removal_effect"]),
                        )
                        for effect in entry.get("removal_effects") or []
                    ],
                    _rows=[_row(row) for row in entry.get("rows") or []],
                )
                for entry in result.get("models") or []
            ],
        )


# Rows ------------------------------------------------------------------------------------


@strawberry_django.type(models.Report, name="Report", filters=ReportFilter, ordering=ReportOrder)
class ReportType(WorkspaceNode):
    read_scopes = (Scope.ANALYTICS_READ,)

    kind: ReportKind
    status: ReportStatus
    progress: auto
    error: auto = strawberry_django.field(description="Why it failed; empty otherwise.")
    data_cutoff: auto
    code_version: auto
    attempts: auto
    created_at: auto
    started_at: datetime | None
    finished_at: datetime | None
    definition: "ReportDefinitionType | None" = strawberry_django.field(
        description="The saved definition it is a run of, if any."
    )

    @strawberry_django.field(
        only=["started_at", "finished_at"],
        description="Seconds from start to finish (so far, while running); null before.",
    )
    def duration_seconds(self, root: models.Report) -> float | None:
        if root.started_at is None:
            return None
        end = root.finished_at or timezone.now()
        return round((end - root.started_at).total_seconds(), 3)

    @strawberry_django.field(
        only=["kind", "parameters"],
        description="The complete parameters of an attribution report; null for other kinds.",
    )
    def attribution_parameters(self, root: models.Report) -> AttributionParameters | None:
        if root.kind != models.ReportKind.ATTRIBUTION:
            return None
        return AttributionParameters.of(root.parameters or {})

    @strawberry_django.field(
        only=["kind", "status", "result"],
        description="The result, once an attribution report has succeeded; null otherwise.",
    )
    def attribution(self, root: models.Report) -> AttributionResult | None:
        if (
            root.kind != models.ReportKind.ATTRIBUTION
            or root.status != models.Report.Status.SUCCEEDED
            or root.result is None
        ):
            return None
        return AttributionResult.of(root.result)

    # The other kinds' results, each built by its own module (imported here, not at the
    # top, since those modules name ReportType as their mutations' result).

    @strawberry_django.field(
        only=["kind", "status", "result"],
        description="The result, once a paths report has succeeded; null otherwise.",
    )
    def paths(
        self, root: models.Report
    ) -> Annotated["PathsResult", strawberry.lazy("analytics.graphql.paths")] | None:
        from analytics.graphql.paths import PathsResult

        return PathsResult.from_report(root)

    @strawberry_django.field(
        only=["kind", "status", "result"],
        description="The result, once a stage funnel report has succeeded; null otherwise.",
    )
    def funnel(
        self, root: models.Report
    ) -> Annotated["FunnelResult", strawberry.lazy("analytics.graphql.funnel")] | None:
        from analytics.graphql.funnel import FunnelResult

        return FunnelResult.from_report(root)

    @strawberry_django.field(
        only=["kind", "status", "result"],
        description="The result, once a feedback report has succeeded; null otherwise.",
    )
    def feedback(
        self, root: models.Report
    ) -> Annotated["FeedbackResult", strawberry.lazy("analytics.graphql.feedback")] | None:
        from analytics.graphql.feedback import FeedbackResult

        return FeedbackResult.from_report(root)

    @strawberry_django.field(
        only=["kind", "status", "result"],
        description="The result, once a map fit report has succeeded; null otherwise.",
    )
    def map_fit(
        self, root: models.Report
    ) -> Annotated["MapFitResult", strawberry.lazy("analytics.graphql.map_fit")] | None:
        from analytics.graphql.map_fit import MapFitResult

        return MapFitResult.from_report(root)

    @strawberry_django.field(
        only=["kind", "status", "result"],
        description="The result, once a map versions report has succeeded; null otherwise.",
    )
    def map_versions(
        self, root: models.Report
    ) -> Annotated["MapVersionsResult", strawberry.lazy("analytics.graphql.map_versions")] | None:
        from analytics.graphql.map_versions import MapVersionsResult

        return MapVersionsResult.from_report(root)

    @strawberry_django.field(
        only=["kind", "status", "result"],
        description="The result, once a retention report has succeeded; null otherwise.",
    )
    def retention(
        self, root: models.Report
    ) -> Annotated["RetentionResult", strawberry.lazy("analytics.graphql.retention")] | None:
        from analytics.graphql.retention import RetentionResult

        return RetentionResult.from_report(root)


@strawberry_django.type(
    models.ReportDefinition,
    name="ReportDefinition",
    filters=ReportDefinitionFilter,
    ordering=ReportDefinitionOrder,
)
class ReportDefinitionType(WorkspaceNode):
    read_scopes = (Scope.ANALYTICS_READ,)

    name: auto
    kind: ReportKind
    schedule: ReportSchedule
    next_run_at: datetime | None = strawberry_django.field(
        description="When the scheduler runs it next; null when not scheduled."
    )
    created_at: auto
    updated_at: auto
    runs: DjangoListConnection[ReportType] = strawberry_django.connection(
        description="Its reports, newest first: the run history."
    )

    @strawberry_django.field(
        only=["kind", "parameters"],
        description="The parameters given, for an attribution definition; null otherwise.",
    )
    def attribution(self, root: models.ReportDefinition) -> AttributionParameters | None:
        if root.kind != models.ReportKind.ATTRIBUTION:
            return None
        return AttributionParameters.of(root.parameters or {})


@strawberry_django.type(models.Spend, name="Spend", filters=SpendFilter, ordering=SpendOrder)
class SpendType(WorkspaceNode):
    read_scopes = (Scope.ANALYTICS_READ,)

    touchpoint: TouchpointType | None
    campaign: auto
    period_start: date
    period_end: date = strawberry_django.field(description="Inclusive.")
    amount: Decimal
    currency: auto
    created_at: auto
    updated_at: auto


ReportConnection = DjangoListConnection[ReportType]
ReportDefinitionConnection = DjangoListConnection[ReportDefinitionType]
SpendConnection = DjangoListConnection[SpendType]
