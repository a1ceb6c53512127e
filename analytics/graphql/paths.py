"""Paths reports in GraphQL: the request input and mutation, and the result typed.

The result is stored as JSON (analytics/paths/report.py documents its shape);
`PathsResult.from_report` reads it into the types below. ReportType is imported lazily,
so that analytics/graphql/types.py may import this module for its `paths` field."""

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
import strawberry_django
from strawberry.types import Info

from analytics import models, runner
from analytics.graphql.report_inputs import ReportParametersInput
from analytics.paths.parameters import STATES
from workspaces.access import Scope
from workspaces.graphql.base import current_workspace
from workspaces.graphql.describe import described, described_enum
from workspaces.graphql.permissions import requires

if TYPE_CHECKING:
    from analytics.graphql.types import ReportType

UNSET = strawberry.UNSET

PathsState = described_enum(
    Enum("PathsState", [(value.upper(), value) for value in STATES], module=__name__),
    name="PathsState",
    description="What a state of a path is: a touchpoint (by key) or a channel.",
    values={"TOUCHPOINT": "The touchpoint, by key.", "CHANNEL": "The touchpoint's channel."},
)


@strawberry.input(
    description="Parameters of a paths report. Every field is optional: left out (or "
    "null), it takes its default. Milestones and touchpoints are named by key."
)
class PathsReportInput(ReportParametersInput):
    state: PathsState | None = strawberry.field(
        default=UNSET, description="What a state of a path is. Default: TOUCHPOINT."
    )
    conversion_milestones: list[str] | None = strawberry.field(
        default=UNSET,
        description="Keys of the milestones that count as conversions. Default: every "
        "milestone flagged as a conversion.",
    )
    collapse_repeats: bool | None = strawberry.field(
        default=UNSET,
        description="Merge consecutive repeats of a state into one (ad, ad, demo -> ad, "
        "demo). Default: true.",
    )
    max_length: int | None = strawberry.field(
        default=UNSET,
        description="Longest path (1 to 20): a longer one keeps its last maxLength states "
        "before the conversion. Default: 5.",
    )
    start_touchpoint: str | None = strawberry.field(
        default=UNSET,
        description="Key of a touchpoint every path must begin with (with state CHANNEL: "
        "its channel). Default: any.",
    )
    end_touchpoint: str | None = strawberry.field(
        default=UNSET,
        description="Key of a touchpoint every path must end with (with state CHANNEL: its "
        "channel). Default: any.",
    )
    top: int | None = strawberry.field(
        default=UNSET, description="How many paths to return (1 to 1000). Default: 20."
    )
    conversions_from: datetime | None = strawberry.field(
        default=UNSET, description="Only conversions at or after this time. Default: all."
    )
    conversions_to: datetime | None = strawberry.field(
        default=UNSET, description="Only conversions at or before this time. Default: all."
    )


@strawberry.type(description="What a paths report covered.")
class PathsTotals:
    conversions: int = strawberry.field(description="Conversions in scope, with or without touch.")
    untouched_conversions: int = strawberry.field(
        description="Conversions whose journey has no touch, hence no path."
    )
    converting_journeys: int = strawberry.field(
        description="Converting journeys with a path that passes the start and end filters."
    )
    non_converting_journeys: int = strawberry.field(
        description="Non-converting journeys with a path that passes the start and end filters."
    )
    distinct_paths: int = strawberry.field(description="Distinct paths of converting journeys.")


@described(length="Number of states in the path.")
@strawberry.type(description="One path of states before conversion.")
class PathsRow:
    path: list[str] = strawberry.field(description="The states, first to last.")
    labels: list[str] = strawberry.field(description="Their names, for people.")
    length: int
    conversions: int = strawberry.field(description="Converting journeys with this path.")
    non_converting: int = strawberry.field(description="Non-converting journeys with this path.")
    journeys: int = strawberry.field(description="conversions + nonConverting.")
    conversion_rate: float = strawberry.field(description="conversions / journeys.")
    value: float = strawberry.field(description="The conversions' total value.")


@described(
    from_="The state stepped from.",
    to="The state stepped to.",
    count="How many converting journeys made the step.",
)
@strawberry.type(
    description="How many converting journeys step from one state to the next; "
    "(start) and (conversion) are the ends of every path."
)
class PathsTransition:
    from_: str = strawberry.field(name="from")
    to: str
    count: int


@described(key="The state's key (as in paths and transitions).", label="Its name, for people.")
@strawberry.type(description="A node of the transitions (Sankey) diagram.")
class PathsNode:
    key: str
    label: str


@described(totals="What the report covered.", nodes="Every state that appears in the transitions.")
@strawberry.type(description="The result of a paths report.")
class PathsResult:
    totals: PathsTotals
    paths: list[PathsRow] = strawberry.field(
        description="The top paths, most conversions first (then higher rate, then path)."
    )
    transitions: list[PathsTransition] = strawberry.field(
        description="Transition counts over every converting journey's path, most first."
    )
    nodes: list[PathsNode]
    notes: list[str] = strawberry.field(description="Caveats about the data, for people.")

    @classmethod
    def of(cls, result: dict[str, Any]) -> "PathsResult":
        totals = result.get("totals") or {}
        return cls(
            totals=PathsTotals(
                conversions=int(totals.get("conversions") or 0),
                untouched_conversions=int(totals.get("untouched_conversions") or 0),
                converting_journeys=int(totals.get("converting_journeys") or 0),
                non_converting_journeys=int(totals.get("non_converting_journeys") or 0),
                distinct_paths=int(totals.get("distinct_paths") or 0),
            ),
            paths=[
                PathsRow(
                    path=[str(state) for state in row["path"]],
                    labels=[str(label) for label in row.get("labels") or row["path"]],
                    length=int(row.get("length") or len(row["path"])),
                    conversions=int(row.get("conversions") or 0),
                    non_converting=int(row.get("non_converting") or 0),
                    journeys=int(row.get("journeys") or 0),
                    conversion_rate=float(row.get("conversion_rate") or 0),
                    value=float(row.get("value") or 0),
                )
                for row in result.get("paths") or []
            ],
            transitions=[
                PathsTransition(from_=str(row["from"]), to=str(row["to"]), count=int(row["count"]))
                for row in result.get("transitions") or []
            ],
            nodes=[
                PathsNode(key=str(node["key"]), label=str(node.get("label") or node["key"]))
                for node in result.get("nodes") or []
            ],
            notes=[str(note) for note in result.get("notes") or []],
        )

    @classmethod
    def from_report(cls, report: models.Report) -> "PathsResult | None":
        """The typed result of a paths report that succeeded; None otherwise."""
        if (
            report.kind != models.ReportKind.PATHS
            or report.status != models.Report.Status.SUCCEEDED
            or report.result is None
        ):
            return None
        return cls.of(report.result)


@strawberry.type
class PathsReportMutation:
    @strawberry_django.mutation(
        extensions=requires(Scope.ANALYTICS_WRITE),
        description="Request a paths report. It is answered at once, QUEUED, and computed "
        "in the background: poll `report(id:)` for its status and progress. Bad parameters "
        "are field errors, and nothing is queued.",
    )
    def paths_report_request(
        self, info: Info, input: PathsReportInput
    ) -> Annotated["ReportType", strawberry.lazy("analytics.graphql.types")]:
        return runner.report_request(
            workspace=current_workspace(info),
            kind=models.ReportKind.PATHS,
            parameters=input.to_parameters(),
            requested_by=info.context.request.user,
        )
